-- Issue 13. Mass printing (docs/printing.md "Mass printing"): the payment notices of a lista di carico or
-- of a filter (payment type, due dates) printed by a worker into one merged PDF or a ZIP of PDFs. Web and
-- worker share nothing but the database, so the output lives here too (never on a local disk another
-- instance cannot see), and is removed after the retention period (CASSA_PRINT_RETENTION_DAYS).
create table print_job (
  id               bigint generated always as identity primary key,
  -- what the API shows and takes: random (128 bits, base64url), so that one job's id never leads to another's
  public_id        varchar(32) not null unique,
  ente_id          bigint not null references ente(id),
  -- the source: a lista di carico, or a filter {"paymentTypeId", "dueFrom", "dueTo"} (payable positions only)
  list_id          bigint references load_list(id),
  filter           jsonb,
  format           varchar(3) not null check (format in ('pdf', 'zip')),
  -- QUEUED (waiting for a worker, or for its next attempt), RUNNING (a worker holds its lease), DONE,
  -- FAILED (gave up after its attempts), EXPIRED (done and its output removed after the retention period)
  status           varchar(10) not null default 'QUEUED'
                     check (status in ('QUEUED', 'RUNNING', 'DONE', 'FAILED', 'EXPIRED')),
  -- notices to print (items frozen at creation), of which done (printed or skipped) and skipped
  total            integer not null,
  done             integer not null default 0,
  skipped          integer not null default 0,
  -- bytes stored so far (DONE: the file's size for a PDF, the entries' for a ZIP)
  bytes            bigint not null default 0,
  -- the worker holding the job: a token of its claim and until when its lease holds (renewed at every
  -- batch); a lease past its time is a worker gone (crash, kill), and the job is claimed again
  lease_token      varchar(32),
  lease_until      timestamptz,
  attempts         integer not null default 0,
  next_attempt_at  timestamptz not null default now(),
  -- why the last attempt failed: the error's type and message only, never data (shared/safe-error.ts)
  last_error       varchar(1000),
  created_by       varchar(80) not null,
  created_at       timestamptz not null default now(),
  started_at       timestamptz,
  finished_at      timestamptz,
  -- when the output is removed (set when the job ends)
  expires_at       timestamptz,
  updated_at       timestamptz not null default now(),
  check ((list_id is null) <> (filter is null)),
  check (done >= 0 and done <= total and skipped >= 0 and skipped <= done)
);
-- the worker's claim: jobs waiting, and running ones (whose lease may have run out)
create index print_job_active on print_job (id) where status in ('QUEUED', 'RUNNING');
create index print_job_ente on print_job (ente_id, id desc);
-- the retention clean-up
create index print_job_expiry on print_job (expires_at) where status in ('DONE', 'FAILED');

-- The job's items, frozen at creation in print order (the list's order, or the filter's), one per notice:
-- the positions of a document are one item (a document's notice prints all of it; its thresholds, ENTRO/OLTRE, are
-- notices of their own). A resumed job goes on
-- from the first item without an outcome. For a ZIP each item keeps its own PDF (an entry of the file).
create table print_job_item (
  job_id       bigint not null references print_job(id) on delete cascade,
  seq          integer not null,
  position_id  bigint not null references debt_position(id),
  document_id  bigint references document(id),
  outcome      varchar(7) check (outcome in ('PRINTED', 'SKIPPED')),
  -- why it was skipped: a code of the printing module (NOTICE_CANCELLED...), no personal data
  skip_reason  varchar(200),
  pdf          bytea,
  primary key (job_id, seq)
);

-- A merged PDF's parts: each batch's notices as a complete PDF of their own (seq: the batch's first item),
-- committed with the batch's outcomes, so that a job claimed again goes on after its last committed batch.
-- When every item is done the worker merges them, one at a time, into the chunks below and deletes them.
create table print_job_part (
  job_id  bigint not null references print_job(id) on delete cascade,
  seq     integer not null,
  data    bytea not null,
  primary key (job_id, seq)
);

-- A merged PDF's bytes in order, about 1 MB a row, written by the final merge of its parts.
create table print_job_chunk (
  job_id  bigint not null references print_job(id) on delete cascade,
  seq     integer not null,
  data    bytea not null,
  primary key (job_id, seq)
);
