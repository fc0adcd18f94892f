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
