-- Cassa foundation: enti creditori, payment types, applications (gestionali), debt positions,
-- status history, single-use identifiers and the audit journal.
-- Money is always integer euro cents (bigint). Calendar dates (due date, validity) are `date`,
-- read in the Europe/Rome calendar.

create table ente (
  id                    bigint generated always as identity primary key,
  codice_fiscale        varchar(11) not null unique check (codice_fiscale ~ '^[0-9]{11}$'),
  denominazione         varchar(140) not null,
  unita_organizzativa   varchar(140),
  codice_segregazione   char(2) not null check (codice_segregazione ~ '^[0-9]{2}$'),
  application_code      char(2) check (application_code ~ '^[0-9]{2}$'),
  cbill                 varchar(5) check (cbill ~ '^[A-Z0-9]{5}$'),
  iban_bancario         varchar(27),
  iban_postale          varchar(27),
  logo_mime             varchar(40),
  logo                  bytea,
  email                 varchar(256),
  pec                   varchar(256),
  telefono              varchar(40),
  sito_web              varchar(256),
  indirizzo             varchar(140),
  civico                varchar(16),
  cap                   varchar(16),
  localita              varchar(70),
  provincia             varchar(2),
  id_broker_pa          varchar(11) check (id_broker_pa ~ '^[0-9]{11}$'),
  id_station            varchar(35),
  active                boolean not null default true,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now()
);

create table payment_type (
  id                    bigint generated always as identity primary key,
  ente_id               bigint not null references ente(id),
  codice_versamento     varchar(4) not null check (codice_versamento ~ '^[A-Za-z0-9]{4}$'),
  descrizione           varchar(140) not null,
  iban                  varchar(27),
  iban_postale          varchar(27),
  iban_appoggio         varchar(27),
  transfer_category     varchar(140) not null,
  spontaneous_allowed   boolean not null default false,
  marca_da_bollo        boolean not null default false,
  multi_beneficiary     boolean not null default false,
  valid_from            date,
  valid_to              date,
  active                boolean not null default true,
  created_at            timestamptz not null default now(),
  updated_at            timestamptz not null default now(),
  unique (ente_id, codice_versamento)
);

create table application (
  id                      bigint generated always as identity primary key,
  codice_chiamante        varchar(50) not null unique,
  descrizione             varchar(140) not null,
  passphrase_enc          text not null,
  return_url              varchar(1000),
  scopes                  text[] not null default '{}',
  page_email              boolean not null default true,
  page_privacy            boolean not null default true,
  page_captcha            boolean not null default true,
  digest_separator        varchar(8) not null default 'any' check (digest_separator in ('any', '%%%', '%%%%')),
  return_digest_mode      varchar(8) not null default 'echo' check (return_digest_mode in ('echo', 'signed')),
  valid_from              date,
  valid_to                date,
  active                  boolean not null default true,
  passphrase_rotated_at   timestamptz not null default now(),
  created_at              timestamptz not null default now(),
  updated_at              timestamptz not null default now()
);

create table application_payment_type (
  application_id   bigint not null references application(id) on delete cascade,
  payment_type_id  bigint not null references payment_type(id) on delete cascade,
  primary key (application_id, payment_type_id)
);
create index application_payment_type_pt on application_payment_type (payment_type_id);

-- Where Cassa calls the gestionale back (EPaywso2EntiService), per kind of message;
-- payment_type_id null = every payment type the application may use.
create table application_endpoint (
  id               bigint generated always as identity primary key,
  application_id   bigint not null references application(id) on delete cascade,
  payment_type_id  bigint references payment_type(id) on delete cascade,
  kind             varchar(40) not null check (kind in (
                     'ESITO_INSERIMENTO_LISTA_DI_CARICO', 'ESITO_AGGIORNA_POSIZIONI_DEBITORIE',
                     'TRASMETTI_NOTIFICHE_PAGAMENTO', 'TRASMETTI_AVVISI_SCADUTI', 'TRASMETTI_RT')),
  url              varchar(1000) not null,
  username         varchar(140),
  password_enc     text,
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now()
);
create unique index application_endpoint_uq
  on application_endpoint (application_id, coalesce(payment_type_id, 0), kind);

create table debt_position (
  id                        bigint generated always as identity primary key,
  ente_id                   bigint not null references ente(id),
  payment_type_id           bigint not null references payment_type(id),
  id_posizione_debitoria    varchar(50),
  iuv                       varchar(35) not null,
  notice_number             varchar(18) not null,
  amount_cents              bigint not null check (amount_cents >= 0 and amount_cents <= 99999999999),
  components                jsonb not null,
  causale                   varchar(140) not null,
  descrizione_rata          varchar(16),
  debtor_type               char(1) check (debtor_type in ('F', 'G')),
  debtor_fiscal_code        varchar(35) not null,
  debtor_name               varchar(70),
  debtor_surname            varchar(70),
  debtor_company            varchar(140),
  debtor_address            varchar(70),
  debtor_civic              varchar(16),
  debtor_postal_code        varchar(16),
  debtor_locality           varchar(35),
  debtor_province           varchar(35),
  debtor_nation             char(2),
  debtor_email              varchar(256),
  due_date                  date,
  valid_from                date,
  valid_to                  date,
  payment_references        jsonb not null default '[]',
  payer_note                varchar(1000),
  reference_year            integer,
  status                    varchar(20) not null check (status in (
                              'NOT_YET_ACTIVE', 'PAYABLE', 'PAYMENT_IN_PROGRESS', 'PAID', 'CANCELLED', 'EXPIRED')),
  status_changed_at         timestamptz not null default now(),
  cancellation_reason       varchar(400),
  content_hash              varchar(64),
  version                   integer not null default 1,
  created_by_application_id bigint references application(id),
  created_at                timestamptz not null default now(),
  updated_at                timestamptz not null default now()
);
create unique index debt_position_iuv_uq on debt_position (ente_id, iuv);
create unique index debt_position_notice_uq on debt_position (ente_id, notice_number);
create unique index debt_position_external_uq
  on debt_position (ente_id, payment_type_id, id_posizione_debitoria) where id_posizione_debitoria is not null;
create index debt_position_debtor on debt_position (debtor_fiscal_code);
-- positions whose status depends on the calendar (activation, expiry), for the worker's sweep
create index debt_position_time_driven on debt_position (status, valid_from, valid_to)
  where status in ('NOT_YET_ACTIVE', 'PAYABLE');

create table debt_position_status_history (
  id            bigint generated always as identity primary key,
  position_id   bigint not null references debt_position(id),
  from_status   varchar(20),
  to_status     varchar(20) not null,
  at            timestamptz not null default now(),
  actor         varchar(80) not null,
  reason        varchar(400)
);
create index debt_position_status_history_pos on debt_position_status_history (position_id, id);

-- Audit journal (like GovPay's Giornale degli Eventi): every inbound and outbound call.
create table audit_event (
  id                bigint generated always as identity primary key,
  at                timestamptz not null,
  interface         varchar(40) not null,
  direction         varchar(3) not null check (direction in ('IN', 'OUT')),
  operation         varchar(80) not null,
  caller            varchar(80),
  ente_fiscal_code  varchar(16),
  iuv               varchar(35),
  outcome           varchar(40) not null,
  http_status       integer,
  duration_ms       integer not null,
  correlation_id    varchar(80) not null,
  detail            varchar(1000),
  request_payload   text,
  response_payload  text
);
-- Keyset paging newest first, with one equality filter served by its own index.
create index audit_event_at on audit_event (at);
create index audit_event_ente on audit_event (ente_fiscal_code, id desc) where ente_fiscal_code is not null;
create index audit_event_iuv on audit_event (iuv, id desc) where iuv is not null;
create index audit_event_caller on audit_event (caller, id desc) where caller is not null;
create index audit_event_correlation on audit_event (correlation_id);
create index audit_event_operation on audit_event (interface, operation, id desc);
create index audit_event_outcome on audit_event (outcome, id desc);
