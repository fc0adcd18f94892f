-- One payment flow per landing (issue 11). A portal_session row is a payment flow: the pages of a
-- flow carry its public id, and the browser that may use it is named by browser_key (the SHA-256,
-- hex, of the Sportello cookie's value). Before this migration the cookie's value was the row's id:
-- those rows get the digest of their id, so a visit in progress across the upgrade goes on.
alter table portal_session add column browser_key varchar(64);
update portal_session set browser_key = encode(sha256(convert_to(id, 'UTF8')), 'hex') where browser_key is null;
create index portal_session_browser on portal_session (browser_key) where browser_key is not null;

-- A landing's flow is bound to the browser at its first GET (the landing is a cross-site POST: the
-- browser's SameSite cookie is not sent with it). claim_hash is the digest of the single-use token
-- of that GET; null once claimed.
alter table portal_session add column claim_hash varchar(64);

-- The cart's version: a summary page carries it, and "Prosegui" from a page showing an older cart
-- (changed in another window) is refused with the current one shown.
alter table portal_session add column revision integer not null default 0;

-- A gestionale's flow reopened by a later landing of the same position in the same browser.
alter table portal_session add column superseded_at timestamptz;

-- A browser's cookie value changes when a landing's flow is bound to it and when a notice enters its
-- cart. A landing bound at the same moment by another tab still carrying the previous value joins
-- the browser's new key for a minute (digests only: the previous value never learns the new one).
create table portal_browser_rotation (
  old_key     varchar(64) primary key,
  new_key     varchar(64) not null,
  expires_at  timestamptz not null
);
create index portal_browser_rotation_expires on portal_browser_rotation (expires_at);

-- "< Indietro" from a gestionale's summary closes the flow (the caller was told codEsito 100).
alter table portal_session drop constraint if exists portal_session_outcome_check;
alter table portal_session add constraint portal_session_outcome_check check (outcome in ('ok', 'ko', 'annullato', 'attesa', 'indietro'));
