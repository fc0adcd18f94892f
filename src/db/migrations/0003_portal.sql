-- The citizen portal ("Sportello dei pagamenti"): the state of a citizen's way through the pages
-- (kept here, not in process memory, so that any instance serves any page), the single-use
-- identificativoPagamento of the gestionali's redirects, and the captcha challenges already solved.

-- One row per visit: a landing from a gestionale (kind 'gestionale') or the manual flow of the home
-- page (kind 'manual'). The id is random (32 bytes, base64url) and travels in an HttpOnly cookie.
create table portal_session (
  id                        varchar(64) primary key,
  kind                      varchar(12) not null check (kind in ('gestionale', 'manual')),
  application_id            bigint references application(id),
  identificativo_pagamento  varchar(50),
  -- the digest as the caller sent it (echoed back on the return link) and the separator it matched
  caller_digest             varchar(100),
  digest_separator          varchar(4),
  -- the chosen notices: [{ "positionId", "enteFiscalCode", "iuv", "noticeNumber" }], at most 5
  positions                 jsonb not null default '[]',
  -- an ANONIMO position waiting for its payment references: { "positionId", ... }
  pending                   jsonb,
  email                     varchar(256),
  privacy_consent           boolean not null default false,
  -- the key of the conclusion URLs handed to Checkout (HMAC per outcome), never shown to the citizen
  return_key                varchar(64) not null,
  id_cart                   varchar(64),
  -- what Checkout reported, fixed at the first return: ok | ko | annullato | attesa
  outcome                   varchar(12) check (outcome in ('ok', 'ko', 'annullato', 'attesa')),
  concluded_at              timestamptz,
  created_at                timestamptz not null default now(),
  updated_at                timestamptz not null default now(),
  expires_at                timestamptz not null
);
create index portal_session_expires on portal_session (expires_at);

-- identificativoPagamento is single use, per caller: recorded at the first accepted landing.
create table portal_payment_id (
  application_id            bigint not null references application(id) on delete cascade,
  identificativo_pagamento  varchar(50) not null,
  session_id                varchar(64) not null,
  used_at                   timestamptz not null default now(),
  primary key (application_id, identificativo_pagamento)
);

-- Captcha (ALTCHA) challenges whose solution was accepted once: a solution cannot be replayed.
create table portal_captcha_used (
  signature   varchar(128) primary key,
  used_at     timestamptz not null default now(),
  expires_at  timestamptz not null
);
create index portal_captcha_used_expires on portal_captcha_used (expires_at);
