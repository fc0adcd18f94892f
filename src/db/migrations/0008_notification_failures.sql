-- Issue 10: one bad notification never blocks the others. A group whose message cannot be built is retried with
-- backoff (attempts, retry_at, last_error) and the grouping goes on with the next group; a notification that
-- cannot be represented in PiemontePAY's XSD at all, or whose group kept failing, is FAILED (failed_at): left out
-- of grouping, visible in the admin API and in the metrics, until an operator replays it (back to pending) or
-- releases it (released_at: it will not be sent; the gestionale reads the payment through paymentdata).
alter table gestionale_notification add column attempts integer not null default 0;
alter table gestionale_notification add column retry_at timestamptz;
alter table gestionale_notification add column last_error varchar(1000);
alter table gestionale_notification add column failed_at timestamptz;
alter table gestionale_notification add column released_at timestamptz;

drop index gestionale_notification_pending;
create index gestionale_notification_pending on gestionale_notification (ente_id, payment_type_id, kind, id)
  where id_messaggio is null and failed_at is null;
create index gestionale_notification_failed on gestionale_notification (id desc)
  where failed_at is not null and released_at is null;
