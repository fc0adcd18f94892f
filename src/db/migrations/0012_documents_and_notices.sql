-- Issue 13. Documents (GovPay's `documento`): positions of one ente that pay the same debt, either
-- in one solution or by instalments (documento.rata), or as alternatives by deadline
-- (documento.soglia: ENTRO/OLTRE n days, e.g. a fine reduced when paid within 5 days).
create table document (
  id              bigint generated always as identity primary key,
  ente_id         bigint not null references ente(id),
  identificativo  varchar(35) not null,
  descrizione     varchar(80) not null,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  unique (ente_id, identificativo)
);

-- A position's place in its document: instalment_number (documento.rata, 1..n), or a threshold
-- (documento.soglia), or neither (the single solution). Null document_id: a position on its own.
alter table debt_position add column document_id bigint references document(id);
alter table debt_position add column instalment_number integer;
alter table debt_position add column threshold_kind varchar(6);
alter table debt_position add column threshold_days integer;
alter table debt_position add constraint debt_position_document_place check (
  (document_id is null and instalment_number is null and threshold_kind is null and threshold_days is null)
  or (document_id is not null and not (instalment_number is not null and threshold_kind is not null)
      and (instalment_number is null or instalment_number >= 1)
      and ((threshold_kind is null and threshold_days is null)
           or (threshold_kind in ('ENTRO', 'OLTRE') and threshold_days >= 0)))
);
create index debt_position_document on debt_position (document_id) where document_id is not null;
-- one single solution per document, one position per instalment number
create unique index debt_position_document_single on debt_position (document_id)
  where document_id is not null and instalment_number is null and threshold_kind is null;
create unique index debt_position_document_instalment on debt_position (document_id, instalment_number)
  where instalment_number is not null;

-- What an ente prints on its notices (docs/printing.md): a second language (de, fr, sl, en), its
-- own "dove pagare" texts per language ({"it": {"online": "…", "physical": "…"}, "de": {…}}), and
-- for a postal account the holder's name and Poste's authorisation to print bollettini.
alter table ente add column notice_second_language varchar(2);
alter table ente add column notice_texts jsonb not null default '{}'::jsonb;
alter table ente add column postal_account_holder varchar(50);
alter table ente add column postal_authorisation varchar(60);
