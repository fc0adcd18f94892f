-- The Sportello's conclusion URLs (handed to pagoPA Checkout, kept in browser histories and request
-- logs) name a session by a public id of its own, never by the session cookie's value (the id).
-- Sessions opened before this migration get a random public id: conclusion URLs handed out before
-- the upgrade stop working (the receipt still arrives through paForNode).
alter table portal_session add column public_id varchar(64);
update portal_session set public_id = replace(gen_random_uuid()::text, '-', '') || replace(gen_random_uuid()::text, '-', '') where public_id is null;
alter table portal_session alter column public_id set not null;
create unique index portal_session_public_id on portal_session (public_id);
