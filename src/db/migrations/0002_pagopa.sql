-- pagoPA node integration (SANP 3.x, creditor side): payment attempts (activations through
-- paGetPayment / paGetPaymentV2), receipts (paSendRT / paSendRTV2) with their raw XML, and the
-- carts Cassa starts on pagoPA Checkout. Money in integer euro cents.

-- One row per activation. Verify and activation never change the position (SANP best practice):
-- an attempt is only a record, token-less until its receipt names it (receipt.payment_attempt_id).
create table payment_attempt (
  id                bigint generated always as identity primary key,
  position_id       bigint not null references debt_position(id),
  ente_id           bigint not null references ente(id),
  notice_number     varchar(18) not null,
  iuv               varchar(35) not null,
  primitive         varchar(20) not null check (primitive in ('paGetPayment', 'paGetPaymentV2')),
  amount_cents      bigint not null,
  transfer_type     varchar(10),
  payment_note      varchar(210),
  id_psp_hint       varchar(35),
  created_at        timestamptz not null default now()
);
create index payment_attempt_position on payment_attempt (position_id, id desc);

-- Every receipt pagoPA sent, once per (ente it was sent for, receiptId): a resent receipt never
-- re-applies. position_id is null only for a receipt of an IUV Cassa does not know.
create table receipt (
  id                    bigint generated always as identity primary key,
  ente_id               bigint not null references ente(id),
  position_id           bigint references debt_position(id),
  payment_attempt_id    bigint references payment_attempt(id),
  receipt_id            varchar(70) not null,
  primitive             varchar(20) not null check (primitive in ('paSendRT', 'paSendRTV2')),
  outcome               varchar(2) not null check (outcome in ('OK', 'KO')),
  notice_number         varchar(18) not null,
  iuv                   varchar(35) not null,
  fiscal_code           varchar(11) not null,
  amount_cents          bigint not null,
  fee_cents             bigint,
  payment_date_time     timestamptz,
  application_date      date,
  transfer_date         date,
  id_psp                varchar(35),
  psp_company_name      varchar(70),
  psp_fiscal_code       varchar(70),
  id_channel            varchar(35),
  channel_description   varchar(35),
  payment_method        varchar(35),
  payment_note          varchar(210),
  stand_in              boolean not null default false,
  debtor                jsonb,
  payer                 jsonb,
  transfers             jsonb not null default '[]',
  metadata              jsonb,
  -- why this receipt needs a person's attention (null: none): DOUBLE_PAYMENT, POSITION_CANCELLED,
  -- POSITION_EXPIRED, POSITION_NOT_YET_ACTIVE, AMOUNT_MISMATCH, UNKNOWN_POSITION
  anomaly               varchar(40),
  raw_xml               text not null,
  received_at           timestamptz not null default now(),
  unique (ente_id, receipt_id)
);
create index receipt_position on receipt (position_id, id desc);
create index receipt_iuv on receipt (ente_id, iuv);
create index receipt_anomaly on receipt (anomaly, id desc) where anomaly is not null;

-- Carts Cassa sent to pagoPA Checkout (POST /carts): what the citizen's browser was sent to pay.
create table checkout_cart (
  id                bigint generated always as identity primary key,
  id_cart           varchar(64) not null unique,
  notices           jsonb not null,
  email             varchar(256),
  return_urls       jsonb not null,
  location          varchar(2000),
  outcome           varchar(20),
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now()
);
