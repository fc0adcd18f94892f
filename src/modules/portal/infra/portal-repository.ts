import { sql, type SQL } from 'drizzle-orm';
import { namedStatement, type Database, type Executor } from '../../../db/database.js';
import { placeOf, type DocumentPlace, type SiblingState } from '../../debt-positions/domain/documents.js';
import { siblingsOf, siblingsSql } from '../../debt-positions/infra/position-row.js';
import type { DebtPositionStatus, PaymentReference } from '../../debt-positions/domain/debt-position.js';
import type { Separator, SeparatorSetting } from '../domain/digest.js';
import type { CartItem, FlowOutcome, PortalSession } from '../domain/session.js';

/** A caller of the redirect, as the landing needs it. */
export interface CallerRow {
  id: number;
  codiceChiamante: string;
  descrizione: string;
  passphraseEnc: string;
  returnUrl: string | null;
  active: boolean;
  validFrom: string | null;
  validTo: string | null;
  pageEmail: boolean;
  pagePrivacy: boolean;
  pageCaptcha: boolean;
  digestSeparator: SeparatorSetting;
  returnDigestMode: 'echo' | 'signed';
}

/** A position as the portal shows it, with its ente and payment type. */
export interface PortalPosition {
  id: number;
  enteId: number;
  enteFiscalCode: string;
  enteName: string;
  enteActive: boolean;
  paymentTypeId: number;
  paymentTypeDescription: string;
  iuv: string;
  noticeNumber: string;
  amountCents: number;
  causale: string;
  debtorType: 'F' | 'G' | null;
  debtorFiscalCode: string;
  debtorName: string | null;
  debtorSurname: string | null;
  debtorCompany: string | null;
  debtorEmail: string | null;
  status: DebtPositionStatus;
  validFrom: string | undefined;
  validTo: string | undefined;
  dueDate: string | undefined;
  payerNote: string | null;
  paymentReferences: PaymentReference[];
  /** The ente's logo type when it has one (the header shows it if the Sportello serves that type). */
  enteLogoMime: string | null;
  enteContacts: { phone: string | null; email: string | null; website: string | null };
  /** Whether the given application may use the position's payment type (landing only). */
  authorised: boolean;
  /** Its document (GovPay's documento), when it has one: its place and the document's other positions. */
  document?: { id: number; place: DocumentPlace; siblings: SiblingState[] } | undefined;
}

/** The columns of a CallerRow, of `application a`. */
const CALLER_COLUMNS = `a.id::int as id, a.codice_chiamante as "codiceChiamante", a.descrizione, a.passphrase_enc as "passphraseEnc", a.return_url as "returnUrl",
  a.active, a.valid_from::text as "validFrom", a.valid_to::text as "validTo", a.page_email as "pageEmail", a.page_privacy as "pagePrivacy",
  a.page_captcha as "pageCaptcha", a.digest_separator as "digestSeparator", a.return_digest_mode as "returnDigestMode"`;

const LOAD_CALLER = namedStatement(
  'portal_load_caller',
  `select ${CALLER_COLUMNS} from application a where a.codice_chiamante = $1`,
);

/** The caller of a landing, and whether its identificativoPagamento was already used: one round trip. */
const LOAD_CALLER_FOR_LANDING = namedStatement(
  'portal_load_caller_for_landing',
  `select ${CALLER_COLUMNS},
          exists (select 1 from portal_payment_id pp where pp.application_id = a.id and pp.identificativo_pagamento = $2) as "paymentIdUsed"
     from application a where a.codice_chiamante = $1`,
);

const LOAD_CALLER_BY_ID = namedStatement(
  'portal_load_caller_by_id',
  `select ${CALLER_COLUMNS} from application a where a.id = $1`,
);

const POSITION_COLUMNS = `p.id::int as id, e.id::int as "enteId", e.codice_fiscale as "enteFiscalCode", e.denominazione as "enteName", e.active as "enteActive",
  p.payment_type_id::int as "paymentTypeId", pt.descrizione as "paymentTypeDescription", p.iuv, p.notice_number as "noticeNumber",
  p.amount_cents::float8 as "amountCents", p.causale, p.debtor_type as "debtorType", p.debtor_fiscal_code as "debtorFiscalCode",
  p.debtor_name as "debtorName", p.debtor_surname as "debtorSurname", p.debtor_company as "debtorCompany", p.debtor_email as "debtorEmail",
  p.status, p.valid_from::text as "validFrom", p.valid_to::text as "validTo", p.due_date::text as "dueDate", p.payer_note as "payerNote",
  p.payment_references as "paymentReferences",
  case when e.logo is not null then e.logo_mime end as "enteLogoMime",
  json_build_object('phone', e.telefono, 'email', e.email, 'website', e.sito_web) as "enteContacts",
  p.document_id::int as "documentId", p.instalment_number as "instalmentNumber", p.threshold_kind as "thresholdKind",
  p.threshold_days as "thresholdDays", case when p.document_id is not null then ${siblingsSql('p')} end as siblings`;

/** Where POSITION_COLUMNS come from: the position with its ente and payment type. */
const POSITIONS = `debt_position p
     join ente e on e.id = p.ente_id
     join payment_type pt on pt.id = p.payment_type_id`;

const FIND_FOR_LANDING = namedStatement(
  'portal_find_for_landing',
  `select ${POSITION_COLUMNS}, (apt.application_id is not null) as authorised
     from ${POSITIONS}
     left join application_payment_type apt on apt.application_id = $2 and apt.payment_type_id = p.payment_type_id
    where p.iuv = $1
    order by (apt.application_id is not null) desc, p.id
    limit 20`,
);

const FIND_BY_CODE = namedStatement(
  'portal_find_by_code',
  `select ${POSITION_COLUMNS}, false as authorised
     from ${POSITIONS}
    where (p.notice_number = $1 or p.iuv = $2) and ($3::text is null or e.codice_fiscale = $3)
    order by p.id
    limit 20`,
);

const FIND_BY_IDS = namedStatement(
  'portal_find_by_ids',
  `select ${POSITION_COLUMNS}, false as authorised
     from ${POSITIONS}
    where p.id = any($1::bigint[])`,
);

const SESSION_COLUMNS = `id, kind, application_id::int as "applicationId", identificativo_pagamento as "identificativoPagamento",
  caller_digest as "callerDigest", digest_separator as "digestSeparator", positions, pending, email, privacy_consent as "privacyConsent",
  return_key as "returnKey", public_id as "publicId", id_cart as "idCart", outcome, concluded_at as "concludedAt", created_at as "createdAt", expires_at as "expiresAt",
  browser_key as "browserKey", revision, superseded_at as "supersededAt"`;

// The identificativoPagamento and the session are written by one statement: both or neither.
const OPEN_GESTIONALE_SESSION = namedStatement(
  'portal_open_gestionale_session',
  `with pid as (
     insert into portal_payment_id (application_id, identificativo_pagamento, session_id) values ($2, $3, $1)
     on conflict do nothing
     returning session_id
   )
   insert into portal_session (id, kind, application_id, identificativo_pagamento, caller_digest, digest_separator, positions, email, return_key, expires_at, public_id, claim_hash)
   select pid.session_id, 'gestionale', $2, $3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11 from pid
   returning ${SESSION_COLUMNS}`,
);

const OPEN_MANUAL_SESSION = namedStatement(
  'portal_open_manual_session',
  `insert into portal_session (id, kind, positions, return_key, expires_at, public_id, browser_key) values ($1, 'manual', '[]'::jsonb, $2, $3, $4, $5) returning id`,
);

// A conclusion URL works until the row is purged (a day after it expires): Checkout may return late.
const LOAD_SESSION_BY_PUBLIC_ID = namedStatement(
  'portal_load_session_by_public_id',
  `select ${SESSION_COLUMNS} from portal_session where public_id = $1`,
);

// A flow of a browser, expired or not (the page says which): rows live a day past their expiry.
const LOAD_FLOW = namedStatement(
  'portal_load_flow',
  `select ${SESSION_COLUMNS} from portal_session where public_id = $1 and browser_key = $2`,
);

// The browser's cart still being filled: not yet handed to Checkout (a cart sent to Checkout is
// frozen, so that what Checkout pays is what the conclusion shows and marks).
// A landing's flow bound to a browser that had no cookie: its new key has no other flow to supersede
// or move, so one statement does it (the hot path of every first landing).
const CLAIM_FLOW_NEW_BROWSER = namedStatement(
  'portal_claim_flow_new_browser',
  `update portal_session set browser_key = $2, claim_hash = null, updated_at = now()
    where public_id = $1 and claim_hash = $3 and expires_at > now()
   returning ${SESSION_COLUMNS}`,
);

const LOAD_MANUAL_CART = namedStatement(
  'portal_load_manual_cart',
  `select ${SESSION_COLUMNS} from portal_session
    where browser_key = $1 and kind = 'manual' and outcome is null and id_cart is null and expires_at > now()
    order by created_at desc limit 1`,
);

// Payments of the browser that can be resumed: a gestionale's not concluded, a cart handed to Checkout and not back.
const LOAD_OPEN_FLOWS = namedStatement(
  'portal_load_open_flows',
  `select ${SESSION_COLUMNS} from portal_session
    where browser_key = $1 and outcome is null and superseded_at is null and expires_at > now()
      and (kind = 'gestionale' or id_cart is not null)
    order by created_at desc limit 5`,
);

const LOAD_SESSION = namedStatement(
  'portal_load_session',
  `select ${SESSION_COLUMNS} from portal_session where id = $1 and expires_at > now()`,
);

const SAVE_CART = namedStatement(
  'portal_save_cart',
  `update portal_session set positions = $2::jsonb, pending = $3::jsonb, revision = revision + 1, updated_at = now(), expires_at = $4 where id = $1 and outcome is null and id_cart is null`,
);

const SAVE_PERSONAL_DATA = namedStatement(
  'portal_save_personal_data',
  `update portal_session set email = $2, privacy_consent = $3, id_cart = $4, updated_at = now(), expires_at = $5 where id = $1`,
);

// A concluded flow's page stays for a day, so that a reload shows the payment as it stands.
const CONCLUDE = namedStatement(
  'portal_conclude',
  `update portal_session set outcome = $2, concluded_at = now(), updated_at = now(), expires_at = greatest(expires_at, now() + interval '1 day')
    where id = $1 and outcome is null returning id`,
);

// An activation (paGetPayment) recent enough for its payment token to be still valid.
const RECENT_ACTIVATION = namedStatement(
  'portal_recent_activation',
  `select exists (select 1 from payment_attempt where position_id = any($1::bigint[]) and created_at > now() - ($2::int * interval '1 millisecond')) as open`,
);

const USE_CAPTCHA = namedStatement(
  'portal_use_captcha',
  `insert into portal_captcha_used (signature, expires_at) values ($1, $2) on conflict do nothing returning signature`,
);

const PURGE = namedStatement(
  'portal_purge',
  `with s as (delete from portal_session where expires_at < now() - interval '1 day' returning 1),
        c as (delete from portal_captcha_used where expires_at < now() returning 1),
        r as (delete from portal_browser_rotation where expires_at < now() returning 1)
   select (select count(*) from s)::int + (select count(*) from c)::int + (select count(*) from r)::int as n`,
);

interface SessionRow extends Omit<PortalSession, 'positions' | 'pending' | 'digestSeparator' | 'outcome'> {
  positions: CartItem[];
  pending: CartItem | null;
  digestSeparator: string | null;
  outcome: string | null;
}

/** A row of POSITION_COLUMNS: the columns PostgreSQL may give as null. */
type PositionRow = Omit<
  PortalPosition,
  'validFrom' | 'validTo' | 'dueDate' | 'paymentReferences' | 'document'
> & {
  validFrom: string | null;
  validTo: string | null;
  dueDate: string | null;
  paymentReferences: PaymentReference[] | null;
  documentId: number | null;
  instalmentNumber: number | null;
  thresholdKind: string | null;
  thresholdDays: number | null;
  siblings: unknown;
};

function toPosition(r: PositionRow): PortalPosition {
  const { documentId, instalmentNumber, thresholdKind, thresholdDays, siblings, ...rest } = r;
  return {
    ...rest,
    validFrom: r.validFrom ?? undefined,
    validTo: r.validTo ?? undefined,
    dueDate: r.dueDate ?? undefined,
    paymentReferences: r.paymentReferences ?? [],
    ...(documentId !== null
      ? {
          document: {
            id: documentId,
            place: placeOf({ instalmentNumber, thresholdKind, thresholdDays }),
            siblings: siblingsOf(siblings),
          },
        }
      : {}),
  };
}

function toSession(row: SessionRow): PortalSession {
  return {
    ...row,
    digestSeparator: (row.digestSeparator as Separator | null) ?? null,
    outcome: (row.outcome as FlowOutcome | null) ?? null,
  };
}

async function rowsOf<T>(tx: Executor, q: SQL): Promise<T[]> {
  const result: unknown = await tx.execute(q);
  return (result as { rows: T[] }).rows;
}

export async function caller(db: Database, codiceChiamante: string): Promise<CallerRow | undefined> {
  const [row] = await db.run<CallerRow>(LOAD_CALLER, [codiceChiamante]);
  return row;
}

export async function callerForLanding(
  db: Database,
  codiceChiamante: string,
  identificativoPagamento: string,
): Promise<(CallerRow & { paymentIdUsed: boolean }) | undefined> {
  const [row] = await db.run<CallerRow & { paymentIdUsed: boolean }>(LOAD_CALLER_FOR_LANDING, [
    codiceChiamante,
    identificativoPagamento,
  ]);
  return row;
}

export async function callerById(db: Database, id: number): Promise<CallerRow | undefined> {
  const [row] = await db.run<CallerRow>(LOAD_CALLER_BY_ID, [id]);
  return row;
}

export async function positionsForLanding(
  db: Database,
  iuv: string,
  applicationId: number,
): Promise<PortalPosition[]> {
  return (await db.run<PositionRow>(FIND_FOR_LANDING, [iuv, applicationId])).map(toPosition);
}

export async function positionsByCode(
  db: Database,
  code: { noticeNumber?: string | undefined; iuv?: string | undefined },
  enteFiscalCode: string | null,
): Promise<PortalPosition[]> {
  const rows = await db.run<PositionRow>(FIND_BY_CODE, [
    code.noticeNumber ?? null,
    code.iuv ?? null,
    enteFiscalCode,
  ]);
  return rows.map(toPosition);
}

export async function positionsByIds(db: Database, ids: number[]): Promise<PortalPosition[]> {
  if (ids.length === 0) return [];
  const rows = (await db.run<PositionRow>(FIND_BY_IDS, [ids])).map(toPosition);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.flatMap((id) => (byId.has(id) ? [byId.get(id)!] : []));
}

/** Records the identificativoPagamento and opens the session; undefined when the identificativo was taken meanwhile. */
export async function openGestionaleSession(
  db: Database,
  s: {
    id: string;
    applicationId: number;
    identificativoPagamento: string;
    callerDigest: string;
    digestSeparator: Separator;
    positions: CartItem[];
    email: string | null;
    returnKey: string;
    publicId: string;
    expiresAt: Date;
    /** The digest of the single-use token that binds the flow to a browser at its first GET; null when it goes straight to Checkout. */
    claimHash: string | null;
  },
): Promise<PortalSession | undefined> {
  const [row] = await db.run<SessionRow>(OPEN_GESTIONALE_SESSION, [
    s.id,
    s.applicationId,
    s.identificativoPagamento,
    s.callerDigest,
    s.digestSeparator,
    JSON.stringify(s.positions),
    s.email,
    s.returnKey,
    s.expiresAt,
    s.publicId,
    s.claimHash,
  ]);
  return row && toSession(row);
}

export async function openManualSession(
  db: Database,
  id: string,
  returnKey: string,
  publicId: string,
  expiresAt: Date,
  browserKey: string,
): Promise<void> {
  await db.run(OPEN_MANUAL_SESSION, [id, returnKey, expiresAt, publicId, browserKey]);
}

/** A flow of the browser named by its key, whatever its state; undefined when another browser's or purged. */
export async function flow(
  db: Database,
  publicId: string,
  browserKey: string,
): Promise<PortalSession | undefined> {
  const [row] = await db.run<SessionRow>(LOAD_FLOW, [publicId, browserKey]);
  return row && toSession(row);
}

export async function manualCart(db: Database, browserKey: string): Promise<PortalSession | undefined> {
  const [row] = await db.run<SessionRow>(LOAD_MANUAL_CART, [browserKey]);
  return row && toSession(row);
}

export async function openFlows(db: Database, browserKey: string): Promise<PortalSession[]> {
  return (await db.run<SessionRow>(LOAD_OPEN_FLOWS, [browserKey])).map(toSession);
}

/** Binds a landing's flow to a browser that had no cookie (see CLAIM_FLOW_NEW_BROWSER); undefined when the token is wrong, used or expired. */
export async function claimForNewBrowser(
  db: Database,
  publicId: string,
  browserKey: string,
  claimHash: string,
): Promise<PortalSession | undefined> {
  const [row] = await db.run<SessionRow>(CLAIM_FLOW_NEW_BROWSER, [publicId, browserKey, claimHash]);
  return row && toSession(row);
}

/**
 * Work on one browser's flows in one transaction, serialised with any other on the same key: `fn` changes them
 * with the statements below (successorOf, rotate, claimFlow, supersede) on the transaction it is given.
 */
export async function forBrowser<T>(
  db: Database,
  browserKey: string,
  fn: (tx: Executor) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`portal:${browserKey}`}, 0))`);
    return fn(tx);
  });
}

/** The key a browser key was rotated to in the last minute (followed up to three times), if any. */
export async function successorOf(tx: Executor, browserKey: string): Promise<string | undefined> {
  let key: string | undefined;
  let from = browserKey;
  for (let hop = 0; hop < 3; hop++) {
    const [row] = await rowsOf<{ newKey: string }>(
      tx,
      sql`select new_key as "newKey" from portal_browser_rotation where old_key = ${from} and expires_at > now()`,
    );
    if (!row) break;
    key = from = row.newKey;
  }
  return key;
}

/** Moves every flow of the browser to its new key, and records the move for a minute. */
export async function rotate(tx: Executor, browserKey: string, newKey: string): Promise<void> {
  await tx.execute(
    sql`update portal_session set browser_key = ${newKey} where browser_key = ${browserKey} and expires_at > now() - interval '1 day'`,
  );
  await tx.execute(sql`insert into portal_browser_rotation (old_key, new_key, expires_at) values (${browserKey}, ${newKey}, now() + interval '1 minute')
    on conflict (old_key) do update set new_key = excluded.new_key, expires_at = excluded.expires_at`);
}

/** Binds a landing's flow to a browser; undefined when the token is wrong, used or expired. */
export async function claimFlow(
  tx: Executor,
  publicId: string,
  browserKey: string,
  claimHash: string,
): Promise<PortalSession | undefined> {
  const [row] = await rowsOf<SessionRow>(
    tx,
    sql`update portal_session set browser_key = ${browserKey}, claim_hash = null, updated_at = now()
    where public_id = ${publicId} and claim_hash = ${claimHash} and expires_at > now() returning ${sql.raw(SESSION_COLUMNS)}`,
  );
  return row && toSession(row);
}

/**
 * One open gestionale flow per position in a browser: the latest landing's. Older flows of the
 * same positions are superseded, and so is this one if a later landing was bound before it.
 */
export async function supersede(tx: Executor, browserKey: string, s: PortalSession): Promise<void> {
  for (const p of s.positions) {
    const same = JSON.stringify([{ positionId: p.positionId }]);
    await tx.execute(sql`update portal_session set superseded_at = now(), updated_at = now()
      where browser_key = ${browserKey} and kind = 'gestionale' and public_id <> ${s.publicId} and outcome is null and superseded_at is null
        and positions @> ${same}::jsonb
        and (created_at < ${s.createdAt} or (created_at = ${s.createdAt} and public_id < ${s.publicId}))`);
    await tx.execute(sql`update portal_session set superseded_at = now(), updated_at = now()
      where public_id = ${s.publicId} and exists (
        select 1 from portal_session o where o.browser_key = ${browserKey} and o.kind = 'gestionale' and o.public_id <> ${s.publicId}
           and o.outcome is null and o.superseded_at is null and o.positions @> ${same}::jsonb
           and (o.created_at > ${s.createdAt} or (o.created_at = ${s.createdAt} and o.public_id > ${s.publicId})))`);
  }
}

export async function sessionByPublicId(db: Database, publicId: string): Promise<PortalSession | undefined> {
  const [row] = await db.run<SessionRow>(LOAD_SESSION_BY_PUBLIC_ID, [publicId]);
  return row && toSession(row);
}

export async function session(db: Database, id: string): Promise<PortalSession | undefined> {
  const [row] = await db.run<SessionRow>(LOAD_SESSION, [id]);
  return row && toSession(row);
}

export async function saveCart(
  db: Database,
  id: string,
  positions: CartItem[],
  pending: CartItem | null,
  expiresAt: Date,
): Promise<void> {
  await db.run(SAVE_CART, [
    id,
    JSON.stringify(positions),
    pending ? JSON.stringify(pending) : null,
    expiresAt,
  ]);
}

export async function savePersonalData(
  db: Database,
  id: string,
  email: string | null,
  privacyConsent: boolean,
  idCart: string,
  expiresAt: Date,
): Promise<void> {
  await db.run(SAVE_PERSONAL_DATA, [id, email, privacyConsent, idCart, expiresAt]);
}

/** Fixes the outcome at the first return from Checkout; false when it was already fixed. */
export async function conclude(db: Database, id: string, outcome: FlowOutcome): Promise<boolean> {
  return (await db.run(CONCLUDE, [id, outcome])).length > 0;
}

/** Whether any of the positions was activated at the node within the last `withinMs`. */
export async function recentlyActivated(
  db: Database,
  positionIds: number[],
  withinMs: number,
): Promise<boolean> {
  if (positionIds.length === 0) return false;
  const [row] = await db.run<{ open: boolean }>(RECENT_ACTIVATION, [positionIds, withinMs]);
  return row?.open ?? false;
}

/** Marks a captcha challenge as used; false when it already was (a replayed solution). */
export async function useCaptcha(db: Database, signature: string, expiresAt: Date): Promise<boolean> {
  return (await db.run(USE_CAPTCHA, [signature, expiresAt])).length > 0;
}

export async function purgeExpired(db: Database): Promise<number> {
  const [row] = await db.run<{ n: number }>(PURGE, []);
  return row?.n ?? 0;
}
