/**
 * What a notice is built from, read in few round trips: one statement for one notice (the position, its
 * payment type, its ente with the logo, its document with every position of it), and for many notices
 * one statement for the positions and one for their enti (each logo read once, not once per notice).
 */
import { namedStatement, type Database } from '../../../db/database.js';
import type { DebtPositionStatus } from '../../debt-positions/domain/debt-position.js';
import { ACTIVATION_HOLD_MINUTES } from '../../debt-positions/domain/documents.js';
import { selectDebtor, withDebtor, type DebtorRow } from '../../debt-positions/infra/position-row.js';
import type { NoticeEnte, NoticeOption, NoticeSource } from '../domain/notice-builder.js';

/** An option's fields, of the position aliased `p` and its payment type `t`. */
function optionFields(p: string, t: string): [string, string][] {
  return [
    ['id', `${p}.id::float8`],
    ['iuv', `${p}.iuv`],
    ['noticeNumber', `${p}.notice_number`],
    ['amountCents', `${p}.amount_cents::float8`],
    ['status', `${p}.status`],
    ['dueDate', `${p}.due_date::text`],
    ['validFrom', `${p}.valid_from::text`],
    ['validTo', `${p}.valid_to::text`],
    // a marca da bollo payment type pays stamps, never into a postal account
    ['postalIban', `case when ${t}.marca_da_bollo then null else ${t}.iban_postale end`],
    ['instalmentNumber', `${p}.instalment_number`],
    ['thresholdKind', `${p}.threshold_kind`],
    ['thresholdDays', `${p}.threshold_days`],
    // as debt-positions' documents-repository: an activation within the payment token's life, no receipt since
    [
      'activationOpen',
      `exists (select 1 from payment_attempt a where a.position_id = ${p}.id
         and a.created_at > now() - interval '${ACTIVATION_HOLD_MINUTES} minutes'
         and not exists (select 1 from receipt r where r.position_id = ${p}.id and r.received_at >= a.created_at))`,
    ],
  ];
}
const optionColumns = optionFields('o', 'ot')
  .map(([k, v]) => `${v} as "${k}"`)
  .join(', ');
const optionJson = `json_build_object(${optionFields('s', 'st')
  .map(([k, v]) => `'${k}', ${v}`)
  .join(', ')})`;

const ENTE_COLUMNS = `e.id::float8 as "enteId", e.codice_fiscale as "enteFiscalCode", e.denominazione as "enteName",
  e.unita_organizzativa as "enteSector", e.sito_web as "enteWebsite", e.email as "enteEmail", e.pec as "entePec",
  e.telefono as "entePhone", e.cbill as "enteCbill", e.logo_mime as "enteLogoMime", e.logo as "enteLogo",
  e.notice_second_language as "enteSecondLanguage", e.notice_texts as "enteTexts",
  e.postal_account_holder as "entePostalHolder", e.postal_authorisation as "entePostalAuthorisation"`;

/** The position `o` (with its payment type `ot`), its debtor and causale, and its document with all its positions. */
const POSITION_COLUMNS = `${optionColumns}, o.ente_id::float8 as "positionEnteId", o.causale, ot.codice_versamento as "codiceVersamento",
  o.document_id::float8 as "documentId", ${selectDebtor('o')}, d.descrizione as "documentDescription",
  case when d.id is null then null else (
    select json_agg(${optionJson} order by s.instalment_number nulls first, s.id)
      from debt_position s join payment_type st on st.id = s.payment_type_id where s.document_id = d.id
  ) end as "documentPositions"`;

const NOTICE_BY_IUV = namedStatement(
  'printing_notice_by_iuv',
  `select ${POSITION_COLUMNS}, ${ENTE_COLUMNS}
     from ente e
     join debt_position o on o.ente_id = e.id and o.iuv = $2
     join payment_type ot on ot.id = o.payment_type_id
     left join document d on d.id = o.document_id
    where e.codice_fiscale = $1`,
);

const NOTICE_BY_ID = namedStatement(
  'printing_notice_by_id',
  `select ${POSITION_COLUMNS}, ${ENTE_COLUMNS}
     from debt_position o
     join ente e on e.id = o.ente_id
     join payment_type ot on ot.id = o.payment_type_id
     left join document d on d.id = o.document_id
    where o.id = $1`,
);

const NOTICES_BY_IDS = namedStatement(
  'printing_notices_by_ids',
  `select ${POSITION_COLUMNS}
     from debt_position o
     join payment_type ot on ot.id = o.payment_type_id
     left join document d on d.id = o.document_id
    where o.id = any($1::bigint[])`,
);

const ENTI_BY_IDS = namedStatement(
  'printing_enti_by_ids',
  `select ${ENTE_COLUMNS} from ente e where e.id = any($1::bigint[])`,
);

type OptionRow = Omit<NoticeOption, 'status'> & { status: string };
type PositionRow = OptionRow &
  DebtorRow & {
    positionEnteId: number;
    causale: string;
    codiceVersamento: string;
    documentId: number | null;
    documentDescription: string | null;
    documentPositions: OptionRow[] | string | null;
  };
interface EnteRow {
  enteId: number;
  enteFiscalCode: string;
  enteName: string;
  enteSector: string | null;
  enteWebsite: string | null;
  enteEmail: string | null;
  entePec: string | null;
  entePhone: string | null;
  enteCbill: string | null;
  enteLogoMime: string | null;
  enteLogo: Uint8Array | null;
  enteSecondLanguage: string | null;
  enteTexts: unknown;
  entePostalHolder: string | null;
  entePostalAuthorisation: string | null;
}

/** A notice's source with the payment type's code (the edges check it against the path). */
export interface LoadedNotice {
  source: NoticeSource;
  codiceVersamento: string;
  /** The position's document (its notice is the document's), or null. */
  documentId: number | null;
}

function optionOf(r: OptionRow): NoticeOption {
  return {
    id: r.id,
    iuv: r.iuv,
    noticeNumber: r.noticeNumber,
    amountCents: r.amountCents,
    status: r.status as DebtPositionStatus,
    dueDate: r.dueDate,
    validFrom: r.validFrom,
    validTo: r.validTo,
    postalIban: r.postalIban,
    instalmentNumber: r.instalmentNumber,
    thresholdKind: r.thresholdKind,
    thresholdDays: r.thresholdDays,
    activationOpen: r.activationOpen,
  };
}

function enteOf(r: EnteRow): NoticeEnte {
  return {
    fiscalCode: r.enteFiscalCode,
    name: r.enteName,
    sector: r.enteSector,
    website: r.enteWebsite,
    email: r.enteEmail,
    pec: r.entePec,
    phone: r.entePhone,
    cbill: r.enteCbill,
    logo: r.enteLogo && r.enteLogoMime ? { mime: r.enteLogoMime, bytes: Buffer.from(r.enteLogo) } : null,
    secondLanguage: r.enteSecondLanguage,
    texts: typeof r.enteTexts === 'string' ? JSON.parse(r.enteTexts) : r.enteTexts,
    postalAccountHolder: r.entePostalHolder,
    postalAuthorisation: r.entePostalAuthorisation,
  };
}

function noticeOf(r: PositionRow, ente: NoticeEnte): LoadedNotice {
  const { debtor } = withDebtor(r);
  const siblings =
    typeof r.documentPositions === 'string'
      ? (JSON.parse(r.documentPositions) as OptionRow[])
      : r.documentPositions;
  return {
    codiceVersamento: r.codiceVersamento,
    documentId: r.documentId,
    source: {
      ente,
      position: { ...optionOf(r), causale: r.causale, debtor },
      document:
        r.documentDescription === null
          ? null
          : { description: r.documentDescription, positions: (siblings ?? []).map(optionOf) },
    },
  };
}

/** One notice's source by the ente's fiscal code and the IUV. */
export async function noticeByIuv(
  db: Database,
  enteFiscalCode: string,
  iuv: string,
): Promise<LoadedNotice | undefined> {
  const [row] = await db.run<PositionRow & EnteRow>(NOTICE_BY_IUV, [enteFiscalCode, iuv]);
  return row && noticeOf(row, enteOf(row));
}

/** One notice's source by the position's id. */
export async function noticeById(db: Database, positionId: number): Promise<LoadedNotice | undefined> {
  const [row] = await db.run<PositionRow & EnteRow>(NOTICE_BY_ID, [positionId]);
  return row && noticeOf(row, enteOf(row));
}

/** Many notices' sources by position id, in the order asked (unknown ids left out): two statements. */
export async function noticesByIds(db: Database, positionIds: readonly number[]): Promise<LoadedNotice[]> {
  if (positionIds.length === 0) return [];
  const rows = await db.run<PositionRow>(NOTICES_BY_IDS, [positionIds]);
  const enteIds = [...new Set(rows.map((r) => r.positionEnteId))];
  const enti = new Map((await db.run<EnteRow>(ENTI_BY_IDS, [enteIds])).map((e) => [e.enteId, enteOf(e)]));
  const byId = new Map(rows.map((r) => [r.id, r]));
  return positionIds.flatMap((id) => {
    const r = byId.get(id);
    return r ? [noticeOf(r, enti.get(r.positionEnteId)!)] : [];
  });
}
