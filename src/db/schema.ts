import {
  bigint,
  boolean,
  char,
  customType,
  date,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  varchar,
} from 'drizzle-orm/pg-core';

/** Drizzle's view of the tables created by src/db/migrations (the SQL files are the source of truth). */

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (v) => Buffer.from(v),
});

const id = () => bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity();
const stamps = {
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
};

export const ente = pgTable('ente', {
  id: id(),
  codiceFiscale: varchar('codice_fiscale', { length: 11 }).notNull(),
  denominazione: varchar('denominazione', { length: 140 }).notNull(),
  unitaOrganizzativa: varchar('unita_organizzativa', { length: 140 }),
  codiceSegregazione: char('codice_segregazione', { length: 2 }).notNull(),
  applicationCode: char('application_code', { length: 2 }),
  cbill: varchar('cbill', { length: 5 }),
  ibanBancario: varchar('iban_bancario', { length: 27 }),
  ibanPostale: varchar('iban_postale', { length: 27 }),
  logoMime: varchar('logo_mime', { length: 40 }),
  logo: bytea('logo'),
  email: varchar('email', { length: 256 }),
  pec: varchar('pec', { length: 256 }),
  telefono: varchar('telefono', { length: 40 }),
  sitoWeb: varchar('sito_web', { length: 256 }),
  indirizzo: varchar('indirizzo', { length: 140 }),
  civico: varchar('civico', { length: 16 }),
  cap: varchar('cap', { length: 16 }),
  localita: varchar('localita', { length: 70 }),
  provincia: varchar('provincia', { length: 2 }),
  idBrokerPA: varchar('id_broker_pa', { length: 11 }),
  idStation: varchar('id_station', { length: 35 }),
  active: boolean('active').notNull().default(true),
  /** Notices (0012_documents_and_notices.sql): second language, "dove pagare" texts, postal account holder. */
  noticeSecondLanguage: varchar('notice_second_language', { length: 2 }),
  noticeTexts: jsonb('notice_texts').notNull().default({}),
  postalAccountHolder: varchar('postal_account_holder', { length: 50 }),
  postalAuthorisation: varchar('postal_authorisation', { length: 60 }),
  ...stamps,
});

/** GovPay's documento (0012_documents_and_notices.sql): positions paid in one solution or by instalments. */
export const document = pgTable('document', {
  id: id(),
  enteId: bigint('ente_id', { mode: 'number' }).notNull(),
  identificativo: varchar('identificativo', { length: 35 }).notNull(),
  descrizione: varchar('descrizione', { length: 80 }).notNull(),
  ...stamps,
});

export const paymentType = pgTable('payment_type', {
  id: id(),
  enteId: bigint('ente_id', { mode: 'number' }).notNull(),
  codiceVersamento: varchar('codice_versamento', { length: 4 }).notNull(),
  descrizione: varchar('descrizione', { length: 140 }).notNull(),
  iban: varchar('iban', { length: 27 }),
  ibanPostale: varchar('iban_postale', { length: 27 }),
  ibanAppoggio: varchar('iban_appoggio', { length: 27 }),
  transferCategory: varchar('transfer_category', { length: 140 }).notNull(),
  spontaneousAllowed: boolean('spontaneous_allowed').notNull().default(false),
  marcaDaBollo: boolean('marca_da_bollo').notNull().default(false),
  multiBeneficiary: boolean('multi_beneficiary').notNull().default(false),
  validFrom: date('valid_from'),
  validTo: date('valid_to'),
  active: boolean('active').notNull().default(true),
  ...stamps,
});

export const application = pgTable('application', {
  id: id(),
  codiceChiamante: varchar('codice_chiamante', { length: 50 }).notNull(),
  descrizione: varchar('descrizione', { length: 140 }).notNull(),
  passphraseEnc: text('passphrase_enc').notNull(),
  returnUrl: varchar('return_url', { length: 1000 }),
  scopes: text('scopes').array().notNull().default([]),
  pageEmail: boolean('page_email').notNull().default(true),
  pagePrivacy: boolean('page_privacy').notNull().default(true),
  pageCaptcha: boolean('page_captcha').notNull().default(true),
  digestSeparator: varchar('digest_separator', { length: 8 }).notNull().default('any'),
  returnDigestMode: varchar('return_digest_mode', { length: 8 }).notNull().default('echo'),
  validFrom: date('valid_from'),
  validTo: date('valid_to'),
  active: boolean('active').notNull().default(true),
  passphraseRotatedAt: timestamp('passphrase_rotated_at', { withTimezone: true }).notNull().defaultNow(),
  ...stamps,
});

export const applicationPaymentType = pgTable(
  'application_payment_type',
  {
    applicationId: bigint('application_id', { mode: 'number' }).notNull(),
    paymentTypeId: bigint('payment_type_id', { mode: 'number' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.applicationId, t.paymentTypeId] })],
);

export const applicationEndpoint = pgTable('application_endpoint', {
  id: id(),
  applicationId: bigint('application_id', { mode: 'number' }).notNull(),
  paymentTypeId: bigint('payment_type_id', { mode: 'number' }),
  kind: varchar('kind', { length: 40 }).notNull(),
  url: varchar('url', { length: 1000 }).notNull(),
  username: varchar('username', { length: 140 }),
  passwordEnc: text('password_enc'),
  ...stamps,
});

export const debtPosition = pgTable('debt_position', {
  id: id(),
  enteId: bigint('ente_id', { mode: 'number' }).notNull(),
  paymentTypeId: bigint('payment_type_id', { mode: 'number' }).notNull(),
  idPosizioneDebitoria: varchar('id_posizione_debitoria', { length: 50 }),
  iuv: varchar('iuv', { length: 35 }).notNull(),
  noticeNumber: varchar('notice_number', { length: 18 }).notNull(),
  amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
  components: jsonb('components').notNull(),
  causale: varchar('causale', { length: 140 }).notNull(),
  descrizioneRata: varchar('descrizione_rata', { length: 16 }),
  debtorType: char('debtor_type', { length: 1 }),
  debtorFiscalCode: varchar('debtor_fiscal_code', { length: 35 }).notNull(),
  debtorName: varchar('debtor_name', { length: 70 }),
  debtorSurname: varchar('debtor_surname', { length: 70 }),
  debtorCompany: varchar('debtor_company', { length: 140 }),
  debtorAddress: varchar('debtor_address', { length: 70 }),
  debtorCivic: varchar('debtor_civic', { length: 16 }),
  debtorPostalCode: varchar('debtor_postal_code', { length: 16 }),
  debtorLocality: varchar('debtor_locality', { length: 35 }),
  debtorProvince: varchar('debtor_province', { length: 35 }),
  debtorNation: char('debtor_nation', { length: 2 }),
  debtorEmail: varchar('debtor_email', { length: 256 }),
  dueDate: date('due_date'),
  validFrom: date('valid_from'),
  validTo: date('valid_to'),
  paymentReferences: jsonb('payment_references').notNull(),
  payerNote: varchar('payer_note', { length: 1000 }),
  referenceYear: integer('reference_year'),
  status: varchar('status', { length: 20 }).notNull(),
  statusChangedAt: timestamp('status_changed_at', { withTimezone: true }).notNull().defaultNow(),
  cancellationReason: varchar('cancellation_reason', { length: 400 }),
  contentHash: varchar('content_hash', { length: 64 }),
  version: integer('version').notNull().default(1),
  createdByApplicationId: bigint('created_by_application_id', { mode: 'number' }),
  documentId: bigint('document_id', { mode: 'number' }),
  instalmentNumber: integer('instalment_number'),
  thresholdKind: varchar('threshold_kind', { length: 6 }),
  thresholdDays: integer('threshold_days'),
  ...stamps,
});

export const debtPositionStatusHistory = pgTable('debt_position_status_history', {
  id: id(),
  positionId: bigint('position_id', { mode: 'number' }).notNull(),
  fromStatus: varchar('from_status', { length: 20 }),
  toStatus: varchar('to_status', { length: 20 }).notNull(),
  at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
  actor: varchar('actor', { length: 80 }).notNull(),
  reason: varchar('reason', { length: 400 }),
});

export const auditEvent = pgTable('audit_event', {
  id: id(),
  at: timestamp('at', { withTimezone: true }).notNull(),
  interface: varchar('interface', { length: 40 }).notNull(),
  direction: varchar('direction', { length: 3 }).notNull(),
  operation: varchar('operation', { length: 80 }).notNull(),
  caller: varchar('caller', { length: 80 }),
  enteFiscalCode: varchar('ente_fiscal_code', { length: 16 }),
  iuv: varchar('iuv', { length: 35 }),
  outcome: varchar('outcome', { length: 40 }).notNull(),
  httpStatus: integer('http_status'),
  durationMs: integer('duration_ms').notNull(),
  correlationId: varchar('correlation_id', { length: 80 }).notNull(),
  detail: varchar('detail', { length: 1000 }),
  requestPayload: text('request_payload'),
  responsePayload: text('response_payload'),
});

/** Carts Cassa sent to pagoPA Checkout (migration 0002_pagopa.sql). */
export const checkoutCart = pgTable('checkout_cart', {
  id: id(),
  idCart: varchar('id_cart', { length: 64 }).notNull(),
  notices: jsonb('notices').notNull(),
  email: varchar('email', { length: 256 }),
  returnUrls: jsonb('return_urls').notNull(),
  location: varchar('location', { length: 2000 }),
  outcome: varchar('outcome', { length: 20 }),
  ...stamps,
});

export const paymentAttempt = pgTable('payment_attempt', {
  id: id(),
  positionId: bigint('position_id', { mode: 'number' }).notNull(),
  enteId: bigint('ente_id', { mode: 'number' }).notNull(),
  noticeNumber: varchar('notice_number', { length: 18 }).notNull(),
  iuv: varchar('iuv', { length: 35 }).notNull(),
  primitive: varchar('primitive', { length: 20 }).notNull(),
  amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
  transferType: varchar('transfer_type', { length: 10 }),
  paymentNote: varchar('payment_note', { length: 210 }),
  idPspHint: varchar('id_psp_hint', { length: 35 }),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

export const receipt = pgTable('receipt', {
  id: id(),
  enteId: bigint('ente_id', { mode: 'number' }).notNull(),
  positionId: bigint('position_id', { mode: 'number' }),
  paymentAttemptId: bigint('payment_attempt_id', { mode: 'number' }),
  receiptId: varchar('receipt_id', { length: 70 }).notNull(),
  primitive: varchar('primitive', { length: 20 }).notNull(),
  outcome: varchar('outcome', { length: 2 }).notNull(),
  noticeNumber: varchar('notice_number', { length: 18 }).notNull(),
  iuv: varchar('iuv', { length: 35 }).notNull(),
  fiscalCode: varchar('fiscal_code', { length: 11 }).notNull(),
  amountCents: bigint('amount_cents', { mode: 'number' }).notNull(),
  feeCents: bigint('fee_cents', { mode: 'number' }),
  paymentDateTime: timestamp('payment_date_time', { withTimezone: true }),
  applicationDate: date('application_date'),
  transferDate: date('transfer_date'),
  idPsp: varchar('id_psp', { length: 35 }),
  pspCompanyName: varchar('psp_company_name', { length: 70 }),
  pspFiscalCode: varchar('psp_fiscal_code', { length: 70 }),
  idChannel: varchar('id_channel', { length: 35 }),
  channelDescription: varchar('channel_description', { length: 35 }),
  paymentMethod: varchar('payment_method', { length: 35 }),
  paymentNote: varchar('payment_note', { length: 210 }),
  standIn: boolean('stand_in').notNull().default(false),
  debtor: jsonb('debtor'),
  payer: jsonb('payer'),
  transfers: jsonb('transfers').notNull().default([]),
  metadata: jsonb('metadata'),
  anomaly: varchar('anomaly', { length: 40 }),
  rawXml: text('raw_xml').notNull(),
  /** The receipt's bytes as received, when they are not UTF-8 (null otherwise: raw_xml in UTF-8 is the document). */
  rawBytes: bytea('raw_bytes'),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
});

export const schema = {
  ente,
  paymentType,
  application,
  applicationPaymentType,
  applicationEndpoint,
  document,
  debtPosition,
  debtPositionStatusHistory,
  auditEvent,
  checkoutCart,
  paymentAttempt,
  receipt,
};

// --- citizen portal (0003_portal.sql) ---

export const portalSession = pgTable('portal_session', {
  id: varchar('id', { length: 64 }).primaryKey(),
  kind: varchar('kind', { length: 12 }).notNull(),
  applicationId: bigint('application_id', { mode: 'number' }).references(() => application.id),
  identificativoPagamento: varchar('identificativo_pagamento', { length: 50 }),
  callerDigest: varchar('caller_digest', { length: 100 }),
  digestSeparator: varchar('digest_separator', { length: 4 }),
  positions: jsonb('positions').notNull().default([]),
  pending: jsonb('pending'),
  email: varchar('email', { length: 256 }),
  privacyConsent: boolean('privacy_consent').notNull().default(false),
  returnKey: varchar('return_key', { length: 64 }).notNull(),
  /** The session's name in conclusion URLs (0006_portal_review.sql): never the cookie's value. */
  publicId: varchar('public_id', { length: 64 }).notNull().unique(),
  idCart: varchar('id_cart', { length: 64 }),
  outcome: varchar('outcome', { length: 12 }),
  concludedAt: timestamp('concluded_at', { withTimezone: true }),
  ...stamps,
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

export const portalPaymentId = pgTable(
  'portal_payment_id',
  {
    applicationId: bigint('application_id', { mode: 'number' })
      .notNull()
      .references(() => application.id),
    identificativoPagamento: varchar('identificativo_pagamento', { length: 50 }).notNull(),
    sessionId: varchar('session_id', { length: 64 }).notNull(),
    usedAt: timestamp('used_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.applicationId, t.identificativoPagamento] })],
);

export const portalCaptchaUsed = pgTable('portal_captcha_used', {
  signature: varchar('signature', { length: 128 }).primaryKey(),
  usedAt: timestamp('used_at', { withTimezone: true }).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
});

// --- liste di carico (0004_lists.sql) ---

export const loadList = pgTable('load_list', {
  id: id(),
  kind: varchar('kind', { length: 16 }).notNull(),
  applicationId: bigint('application_id', { mode: 'number' })
    .notNull()
    .references(() => application.id),
  enteId: bigint('ente_id', { mode: 'number' })
    .notNull()
    .references(() => ente.id),
  paymentTypeId: bigint('payment_type_id', { mode: 'number' })
    .notNull()
    .references(() => paymentType.id),
  idMessaggio: varchar('id_messaggio', { length: 35 }).notNull(),
  multiBeneficiario: boolean('multi_beneficiario'),
  declaredCount: integer('declared_count').notNull(),
  declaredTotalCents: bigint('declared_total_cents', { mode: 'number' }),
  status: varchar('status', { length: 40 }).notNull().default('DA_ELABORARE'),
  resultCode: varchar('result_code', { length: 3 }),
  okCount: integer('ok_count'),
  koCount: integer('ko_count'),
  rawXml: text('raw_xml').notNull(),
  correlationId: varchar('correlation_id', { length: 80 }),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
  lastError: varchar('last_error', { length: 1000 }),
  receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  processedAt: timestamp('processed_at', { withTimezone: true }),
});

export const loadListItem = pgTable(
  'load_list_item',
  {
    listId: bigint('list_id', { mode: 'number' })
      .notNull()
      .references(() => loadList.id),
    seq: integer('seq').notNull(),
    idPosizioneDebitoria: varchar('id_posizione_debitoria', { length: 50 }).notNull(),
    tipoAggiornamento: varchar('tipo_aggiornamento', { length: 12 }),
    positionId: bigint('position_id', { mode: 'number' }).references(() => debtPosition.id),
    iuv: varchar('iuv', { length: 35 }),
    noticeNumber: varchar('notice_number', { length: 18 }),
    outcomeCode: varchar('outcome_code', { length: 3 }).notNull(),
    outcomeDescription: varchar('outcome_description', { length: 200 }),
  },
  (t) => [primaryKey({ columns: [t.listId, t.seq] })],
);

// --- mass printing (0013_print_jobs.sql) ---

export const printJob = pgTable('print_job', {
  id: id(),
  publicId: varchar('public_id', { length: 32 }).notNull(),
  enteId: bigint('ente_id', { mode: 'number' })
    .notNull()
    .references(() => ente.id),
  listId: bigint('list_id', { mode: 'number' }).references(() => loadList.id),
  filter: jsonb('filter'),
  format: varchar('format', { length: 3 }).notNull(),
  status: varchar('status', { length: 10 }).notNull().default('QUEUED'),
  total: integer('total').notNull(),
  done: integer('done').notNull().default(0),
  skipped: integer('skipped').notNull().default(0),
  bytes: bigint('bytes', { mode: 'number' }).notNull().default(0),
  leaseToken: varchar('lease_token', { length: 32 }),
  leaseUntil: timestamp('lease_until', { withTimezone: true }),
  attempts: integer('attempts').notNull().default(0),
  nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
  lastError: varchar('last_error', { length: 1000 }),
  createdBy: varchar('created_by', { length: 80 }).notNull(),
  startedAt: timestamp('started_at', { withTimezone: true }),
  finishedAt: timestamp('finished_at', { withTimezone: true }),
  expiresAt: timestamp('expires_at', { withTimezone: true }),
  ...stamps,
});

export const printJobItem = pgTable(
  'print_job_item',
  {
    jobId: bigint('job_id', { mode: 'number' })
      .notNull()
      .references(() => printJob.id),
    seq: integer('seq').notNull(),
    positionId: bigint('position_id', { mode: 'number' })
      .notNull()
      .references(() => debtPosition.id),
    documentId: bigint('document_id', { mode: 'number' }),
    outcome: varchar('outcome', { length: 7 }),
    skipReason: varchar('skip_reason', { length: 200 }),
    pdf: bytea('pdf'),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.seq] })],
);

export const printJobPart = pgTable(
  'print_job_part',
  {
    jobId: bigint('job_id', { mode: 'number' })
      .notNull()
      .references(() => printJob.id),
    seq: integer('seq').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.seq] })],
);

export const printJobChunk = pgTable(
  'print_job_chunk',
  {
    jobId: bigint('job_id', { mode: 'number' })
      .notNull()
      .references(() => printJob.id),
    seq: integer('seq').notNull(),
    data: bytea('data').notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.seq] })],
);
