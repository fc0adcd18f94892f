-- Outbound deliveries to the gestionali's EPaywso2EntiService (list outcomes, payment notifications,
-- expired notices, RT copies), sent by the worker with retries; and the notifications waiting to be
-- grouped into messages. See docs/gestionali.md "Notifiche".

-- One row per (application, message). id_messaggio is kept across retries (the gestionale discards
-- duplicates by it). A row is due when next_attempt_at <= now() and it is not DELIVERED; a worker
-- claims it (status SENDING, next_attempt_at = now() + lease), so a worker that dies mid-send leaves
-- it to be claimed again when the lease ends.
create table outbound_message (
  id                bigint generated always as identity primary key,
  id_messaggio      varchar(35) not null,
  operation         varchar(40) not null check (operation in ('EsitoInserimentoListaDiCarico',
                      'EsitoAggiornaPosizioniDebitorie', 'TrasmettiNotifichePagamento', 'TrasmettiAvvisiScaduti', 'TrasmettiRT')),
  kind              varchar(40) not null,
  ente_id           bigint not null references ente(id),
  payment_type_id   bigint references payment_type(id),
  application_id    bigint not null references application(id) on delete cascade,
  -- the endpoint of the last attempt (resolved again at every attempt: a corrected URL is used at once)
  endpoint_id       bigint,
  endpoint_url      varchar(1000),
  body_xml          text not null,
  status            varchar(12) not null default 'PENDING' check (status in ('PENDING', 'SENDING', 'DELIVERED', 'FAILING')),
  attempts          integer not null default 0,
  next_attempt_at   timestamptz not null default now(),
  last_error        varchar(1000),
  last_http_status  integer,
  last_result_code  varchar(3),
  created_at        timestamptz not null default now(),
  updated_at        timestamptz not null default now(),
  delivered_at      timestamptz
);
create unique index outbound_message_uq on outbound_message (application_id, operation, id_messaggio);
-- the sender's claim: due messages, oldest first
create index outbound_message_due on outbound_message (next_attempt_at) where status <> 'DELIVERED';
-- admin listing (keyset by id, newest first)
create index outbound_message_status on outbound_message (status, id desc);
create index outbound_message_ente on outbound_message (ente_id, id desc);
create index outbound_message_id_messaggio on outbound_message (id_messaggio);

create table outbound_attempt (
  id            bigint generated always as identity primary key,
  message_id    bigint not null references outbound_message(id) on delete cascade,
  attempt       integer not null,
  started_at    timestamptz not null,
  duration_ms   integer not null,
  endpoint_url  varchar(1000),
  http_status   integer,
  result_code   varchar(3),
  outcome       varchar(20) not null,
  error         varchar(1000)
);
create index outbound_attempt_message on outbound_attempt (message_id, id);

-- Notifications to send, recorded in the SAME transaction as the fact they notify, by triggers:
-- a positive receipt of a known position (kind PAYMENT, TrasmettiNotifichePagamento and TrasmettiRT)
-- and a position's first expiry (kind EXPIRED, TrasmettiAvvisiScaduti). A crash can therefore never
-- lose one: either the receipt (or expiry) and its notification row exist, or neither. The worker
-- groups pending rows into messages (id_messaggio set in the same transaction as the enqueue).
create table gestionale_notification (
  id                bigint generated always as identity primary key,
  kind              varchar(8) not null check (kind in ('PAYMENT', 'EXPIRED')),
  ente_id           bigint not null references ente(id),
  payment_type_id   bigint not null references payment_type(id),
  position_id       bigint not null references debt_position(id),
  receipt_id        bigint references receipt(id),
  history_id        bigint,
  created_at        timestamptz not null default clock_timestamp(),
  id_messaggio      varchar(35),
  rt_id_messaggio   varchar(35),
  grouped_at        timestamptz
);
create index gestionale_notification_pending on gestionale_notification (ente_id, payment_type_id, kind, id) where id_messaggio is null;
create index gestionale_notification_position on gestionale_notification (position_id);
create index gestionale_notification_message on gestionale_notification (id_messaggio) where id_messaggio is not null;
-- "notify once": a position that expires, is extended and expires again is announced once
create unique index gestionale_notification_expired_once on gestionale_notification (position_id) where kind = 'EXPIRED';

create function gestionale_notify_receipt() returns trigger language plpgsql as $$
begin
  insert into gestionale_notification (kind, ente_id, payment_type_id, position_id, receipt_id)
  select 'PAYMENT', p.ente_id, p.payment_type_id, p.id, new.id from debt_position p where p.id = new.position_id;
  return null;
end $$;
create trigger receipt_gestionale_notification after insert on receipt
  for each row when (new.outcome = 'OK' and new.position_id is not null)
  execute function gestionale_notify_receipt();

create function gestionale_notify_expired() returns trigger language plpgsql as $$
begin
  insert into gestionale_notification (kind, ente_id, payment_type_id, position_id, history_id)
  select 'EXPIRED', p.ente_id, p.payment_type_id, p.id, new.id from debt_position p where p.id = new.position_id
  on conflict (position_id) where kind = 'EXPIRED' do nothing;
  return null;
end $$;
create trigger history_gestionale_notification after insert on debt_position_status_history
  for each row when (new.to_status = 'EXPIRED')
  execute function gestionale_notify_expired();
