-- Issue 10, item 6: limits that hold across web instances and against guessing (docs/security.md).
-- Fixed-window counters, one row per key: the Sportello's per-route, per-address request limits
-- ('portal:<method> <url>:<address>') and the failed HTTP Basic authentications of the gestionali
-- per caller ('auth:caller:<codiceChiamante>') and per address ('auth:address:<address>').
-- A row whose reset_at has passed counts as absent: the next hit starts a new window.
create table rate_limit (
  key text primary key,
  count integer not null,
  reset_at timestamptz not null
);
create index rate_limit_reset_at on rate_limit (reset_at);

-- The addresses a gestionale authenticated from successfully (its own servers): while its caller is
-- over its failure limit, requests from these addresses are still served.
create table auth_known_address (
  codice_chiamante text not null,
  address text not null,
  last_success_at timestamptz not null,
  primary key (codice_chiamante, address)
);
create index auth_known_address_last_success_at on auth_known_address (last_success_at);
