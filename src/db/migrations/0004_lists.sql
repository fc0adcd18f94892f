-- Liste di carico (PiemontePAY Enti2EPaywsoService): lists of debt positions a gestionale sends over
-- SOAP (InserisciListaDiCarico, AggiornaPosizioniDebitorie). A list is stored with its raw XML in one
-- transaction BEFORE the gestionale gets its acknowledgement; the worker then claims it
-- (`for update skip locked`) and processes it in ONE transaction: the positions, the per-position
-- outcomes (load_list_item), the list's result and the outcome message for the gestionale
-- (outbound_message, 0005_deliveries.sql). A crash at any point leaves the list DA_ELABORARE, to be
-- claimed again: nothing is lost, nothing half-loaded. See docs/gestionali.md "Liste di carico".

create table load_list (
  id                    bigint generated always as identity primary key,
  kind                  varchar(16) not null check (kind in ('INSERIMENTO', 'AGGIORNAMENTO')),
  application_id        bigint not null references application(id),
  ente_id               bigint not null references ente(id),
  payment_type_id       bigint not null references payment_type(id),
  -- the gestionale's message id: unique per application (a resent list is answered 112, nothing stored)
  id_messaggio          varchar(35) not null,
  multi_beneficiario    boolean,
  declared_count        integer not null,
  declared_total_cents  bigint,
  -- PiemontePAY StatoRichiestaType: DA_ELABORARE (stored, acknowledged, waiting or being processed),
  -- ELABORATA (outcomes recorded and the outcome message enqueued), ERRORE_IN_FASE_DI_ELABORAZIONE
  -- (processing failed repeatedly: the gestionale is told with Result 100).
  status                varchar(40) not null default 'DA_ELABORARE' check (status in (
                          'IN_CORSO_DI_ACQUISIZIONE', 'ERRORE_IN_FASE_DI_ACQUISIZIONE', 'DA_ELABORARE',
                          'ERRORE_IN_FASE_DI_ELABORAZIONE', 'ELABORATA')),
  -- the list's result once processed: 000 all OK, 050 partially OK, 051 all KO, 100 processing error
  result_code           varchar(3),
  ok_count              integer,
  ko_count              integer,
  raw_xml               text not null,
  correlation_id        varchar(80),
  attempts              integer not null default 0,
  next_attempt_at       timestamptz not null default now(),
  last_error            varchar(1000),
  received_at           timestamptz not null default now(),
  processed_at          timestamptz,
  unique (application_id, id_messaggio)
);
-- the worker's claim: pending lists, oldest first
create index load_list_pending on load_list (id) where status = 'DA_ELABORARE';
create index load_list_ente on load_list (ente_id, id desc);
create index load_list_status on load_list (status, id desc);

-- One row per position of a processed list, with its outcome (PiemontePAY CodiciEsito).
create table load_list_item (
  list_id                 bigint not null references load_list(id),
  seq                     integer not null,
  id_posizione_debitoria  varchar(50) not null,
  tipo_aggiornamento      varchar(12) check (tipo_aggiornamento in ('MODIFICA', 'ANNULLAMENTO')),
  position_id             bigint references debt_position(id),
  iuv                     varchar(35),
  notice_number           varchar(18),
  outcome_code            varchar(3) not null,
  outcome_description     varchar(200),
  primary key (list_id, seq)
);
create index load_list_item_position on load_list_item (position_id) where position_id is not null;
