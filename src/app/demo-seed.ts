import type { Container } from './container.js';
import { OrganizationError } from '../modules/organizations/domain/organizations.js';
import { ApplicationError, ENDPOINT_KINDS, type Scope } from '../modules/applications/domain/applications.js';
import { readFileSync } from 'node:fs';
import { parseSoapRequest } from '../shared/soap/soap-envelope.js';
import { readReceiptRequest } from '../modules/pagopa/infra/pa-for-node-xml/receipt-reader.js';
import { projectPath } from '../shared/paths.js';
import { ConfigError } from '../config/config.js';
// The demo gestionale's own derivation of its address (../../ from src/app and from dist/app alike):
// the return URL registered here is the one its digests cover.
import {
  GestionaleConfigError,
  gestionalePublicUrl,
  returnUrlOf,
  soapEndpointOf,
} from '../../demo-gestionale/public-url.js';

/**
 * Demo data mirroring seed 000 (the Sportello manual's worked example): the Comune di Alessandria,
 * its library payment type BIBL, the caller AP_01 with the manual's passphrase, and positions of
 * the debtor TSTPNI70D01L219V (Pino Test) with the manual's IUVs and outcomes. Idempotent.
 */
export const DEMO = {
  ente: '00429440068',
  /** The intermediary and station the pagoPA node (or Cassa's simulator) names when it calls for the demo ente. */
  idBrokerPA: '80087670016',
  idStation: '80087670016_01',
  ibanPostale: 'IT48X0760110400000012345678',
  paymentType: 'BIBL',
  codiceChiamante: 'AP_01',
  passphrase: '1www%$se1ver£$APP',
  returnUrl: 'https://applicativoChiamanteApp2.prova.it/biblioweb',
  debtor: {
    codiceFiscalePartitaIVAPagatore: 'TSTPNI70D01L219V',
    nome: 'Pino',
    cognome: 'Test',
    email: 'pino.test@example.org',
  },
  payable: {
    iuv: '190280072147087',
    identificativoPagamento: 'POSDEB1_1234596724100',
    causale: 'Biblioteca-Copie eseguite su prenotazione tramite operatore',
    importo: 100,
  },
  cancelled: {
    iuv: '190300072310110',
    identificativoPagamento: 'POSDEB1_1234596724101',
    causale: 'Biblioteca-Rimborso tessera smarrita',
    importo: 15,
  },
  paid: {
    iuv: '191890494852566',
    identificativoPagamento: 'POSDEB1_1234596724102',
    causale: 'Biblioteca-Prestito interbibliotecario',
    importo: 8.5,
  },
} as const;

/** Where the demo gestionale runs unless told otherwise (GEST_PORT 8070). */
export const DEMO_GESTIONALE_DEFAULT_URL = gestionalePublicUrl({});

/**
 * The demo gestionale's base URL, from the variables it reads itself and by its own function
 * (demo-gestionale/public-url.js, which its config loader uses): GEST_PUBLIC_URL without trailing
 * slashes, else http://127.0.0.1:$GEST_PORT, else the default. A value the gestionale would refuse
 * is a ConfigError here too.
 */
export function demoGestionaleUrl(env: Record<string, string | undefined> = process.env): string {
  try {
    return gestionalePublicUrl(env);
  } catch (e) {
    if (e instanceof GestionaleConfigError) throw new ConfigError(`demo gestionale: ${e.message}`);
    throw e;
  }
}

/** The URLs Cassa registers for the demo gestionale at `baseUrl`: its return URL and its EPaywso2EntiService. */
export function demoGestionaleUrls(baseUrl: string = DEMO_GESTIONALE_DEFAULT_URL): {
  returnUrl: string;
  soapUrl: string;
} {
  const config = { publicUrl: baseUrl };
  return { returnUrl: returnUrlOf(config), soapUrl: soapEndpointOf(config) };
}

/**
 * A second caller for Cassa's own demo gestionale (demo-gestionale/, docs/demo-gestionale.md): the
 * same ente and payment type as AP_01, but with the demo gestionale's return URL, so that the
 * redirect loop of seed 000 closes on this machine. AP_01 stays exactly as the manual has it.
 * The URLs here are those of the default port; `cassa demo` registers those of demoGestionaleUrl().
 */
export const DEMO_GESTIONALE = {
  codiceChiamante: 'AP_02',
  descrizione: 'Demo gestionale (Pagamenti Vari del Comune di Alessandria, in locale)',
  passphrase: 'demo-gestionale%£AP_02',
  returnUrl: demoGestionaleUrls().returnUrl,
  /**
   * The demo gestionale's EPaywso2EntiService: Cassa sends it list outcomes, payment notifications,
   * expired notices and RTs there, with these Basic credentials (demo-gestionale/src/config.ts,
   * DEMO_SOAP_CREDENTIALS: GEST_SOAP_USER / GEST_SOAP_PASSWORD).
   */
  soap: { url: demoGestionaleUrls().soapUrl, username: 'cassa-demo', password: 'epaywso2enti-demo%AP_02' },
} as const;

/** Every kind of EPaywso2EntiService call, all to the demo gestionale. */
export function demoGestionaleEndpoints(
  soap: { url: string; username: string; password: string } = DEMO_GESTIONALE.soap,
) {
  return ENDPOINT_KINDS.map((kind) => ({
    kind,
    url: soap.url,
    username: soap.username,
    password: soap.password,
  }));
}

/**
 * What both demo callers, AP_01 and AP_02, may do: every scope but multi-beneficiary creation, on the
 * demo ente's library payment type.
 */
const DEMO_CALLER_GRANT = {
  scopes: [
    'CREAZIONE_IUV',
    'RICHIESTA_STATO_POS_DEB',
    'RICHIESTA_DATI_PAGAMENTO',
    'STAMPA_AVVISO_PAGAMENTO',
    'STAMPA_RT_GE',
  ] satisfies Scope[],
  paymentTypes: [{ ente: DEMO.ente, codiceVersamento: DEMO.paymentType }],
};

/** pagoPA's receipt of the manual's paid position (resources/demo/SOURCE.txt). */
export const DEMO_RECEIPT = 'paSendRTV2-191890494852566.xml';

/**
 * What the demo ente's notices print besides its name and logo (docs/printing.md): its CBILL code, its
 * own "dove pagare" texts, and, since the library payment type credits a postal account (DEMO.ibanPostale),
 * the Bollettino's holder and Poste's authorisation (made up, as everything here).
 */
const DEMO_NOTICE_SETTINGS = {
  cbill: 'AAL01',
  noticeTexts: {
    it: {
      online:
        "Sul sito del Comune di Alessandria (sezione Pagamenti), con l'app IO e con le app di banche, Poste e altri prestatori aderenti a pagoPA.",
      physical:
        'Alla Biblioteca civica, negli uffici postali, in banca, nelle ricevitorie, dai tabaccai e nei supermercati aderenti a pagoPA.',
    },
  },
  postalAccountHolder: 'Comune di Alessandria - Servizio Tesoreria',
  postalAuthorisation: 'N. DEMO/2025 DEL 01/01/2025 (dimostrativa)',
};

/** The demo ente's logo in the Sportello's header: a made-up crest (resources/demo/SOURCE.txt). */
const demoEnteLogo = () => ({
  mime: 'image/svg+xml' as const,
  base64: readFileSync(projectPath('resources', 'demo', 'logo-ente.svg')).toString('base64'),
});

/**
 * Seeds the demo data. With `gestionaleUrl` (the CLI's `cassa demo` and `cassa seed-demo` pass
 * demoGestionaleUrl()), AP_02 gets the demo gestionale's URLs at that address, and an AP_02 seeded
 * earlier for another address is moved to it; without it AP_02 is created for the default port and
 * never changed.
 */
export async function seedDemo(
  c: Container,
  opts: { gestionaleUrl?: string } = {},
): Promise<{ created: boolean }> {
  // the CLI refuses before opening the database; this guards any other caller
  if (c.config.production)
    throw new ConfigError(
      `demo data refused in production (caller ${DEMO.codiceChiamante} has a published passphrase)`,
    );
  try {
    const existing = await c.organizations.getEnte(DEMO.ente);
    // Demo data seeded before the pagoPA integration: give the ente its intermediary and station.
    if (existing.idBrokerPA === null && existing.idStation === null) {
      await c.organizations.updateEnte(DEMO.ente, { idBrokerPA: DEMO.idBrokerPA, idStation: DEMO.idStation });
    }
    if (!existing.hasLogo) await c.organizations.updateEnte(DEMO.ente, { logo: demoEnteLogo() });
    // Demo data seeded before the printed notices: give the ente what its notices print.
    if (existing.cbill === null) await c.organizations.updateEnte(DEMO.ente, DEMO_NOTICE_SETTINGS);
    await seedDemoDocument(c);
    await seedDemoGestionaleCaller(c, opts.gestionaleUrl);
    return { created: false };
  } catch (e) {
    if (!(e instanceof OrganizationError) || e.kind !== 'not-found') throw e;
  }
  await c.organizations.createEnte({
    codiceFiscale: DEMO.ente,
    denominazione: 'Comune di Alessandria',
    unitaOrganizzativa: 'Servizi Bibliotecari',
    codiceSegregazione: '01',
    applicationCode: '01',
    ibanBancario: 'IT60X0542811101000000123456',
    ibanPostale: DEMO.ibanPostale,
    idBrokerPA: DEMO.idBrokerPA,
    idStation: DEMO.idStation,
    email: 'protocollo@comune.alessandria.example',
    telefono: '0131 000000',
    sitoWeb: 'https://comune.alessandria.example/',
    logo: demoEnteLogo(),
    indirizzo: 'Piazza della Libertà',
    civico: '1',
    cap: '15121',
    localita: 'Alessandria',
    provincia: 'AL',
    ...DEMO_NOTICE_SETTINGS,
  });
  await c.organizations.createPaymentType(DEMO.ente, {
    codiceVersamento: DEMO.paymentType,
    descrizione: 'Servizi bibliotecari',
    iban: 'IT60X0542811101000000123456',
    ibanPostale: DEMO.ibanPostale,
    transferCategory: '9/0201133IM/',
    spontaneousAllowed: true,
  });
  await c.applications.create({
    codiceChiamante: DEMO.codiceChiamante,
    descrizione: 'Pagamenti Vari del Comune di Alessandria',
    passphrase: DEMO.passphrase,
    returnUrl: DEMO.returnUrl,
    ...DEMO_CALLER_GRANT,
  });
  const ctx = await c.debtPositions.authorize({
    codiceChiamante: DEMO.codiceChiamante,
    passphrase: DEMO.passphrase,
    enteCodiceFiscale: DEMO.ente,
    codiceVersamento: DEMO.paymentType,
    scope: 'CREAZIONE_IUV',
  });
  const debtor = {
    type: 'F' as const,
    fiscalCode: DEMO.debtor.codiceFiscalePartitaIVAPagatore,
    name: DEMO.debtor.nome,
    surname: DEMO.debtor.cognome,
    email: DEMO.debtor.email,
  };
  for (const p of [DEMO.payable, DEMO.cancelled, DEMO.paid]) {
    const cents = Math.round(p.importo * 100);
    await c.debtPositions.create(
      ctx,
      {
        idPosizioneDebitoria: p.identificativoPagamento,
        amountCents: cents,
        components: [{ amountCents: cents, causale: p.causale.slice(0, 80) }],
        causale: p.causale,
        debtor,
        paymentReferences: [],
        payerNote: 'prova',
      },
      { suppliedIuv: p.iuv },
    );
  }
  await c.debtPositions.cancel(
    ctx,
    DEMO.cancelled.iuv,
    'Posizione annullata dal gestionale (dati dimostrativi)',
  );
  // The paid position is paid the way every position is: by pagoPA's receipt, read as the SOAP edge reads it.
  const rawXml = readFileSync(projectPath('resources', 'demo', DEMO_RECEIPT), 'utf8');
  await c.paForNode.sendReceipt(
    readReceiptRequest(parseSoapRequest(rawXml).body, DEMO.ente, 'paSendRTV2', rawXml),
  );
  await seedDemoDocument(c);
  await seedDemoGestionaleCaller(c, opts.gestionaleUrl);
  return { created: true };
}

/**
 * The demo's document (GovPay's documento): the demo citizen's TARI, in one solution or in three instalments
 * (the instalments add a little interest). Its due dates follow the day the demo is seeded (the end of the
 * next month, then every two months), so that a fresh demo never shows a notice already overdue.
 */
export const DEMO_DOCUMENT = {
  paymentType: 'TARI',
  identificativo: 'TARI-000123',
  descrizione: 'TARI - Tassa sui rifiuti, utenza domestica',
  causale: 'TARI - Tassa sui rifiuti - utenza domestica',
  singleSolutionCents: 24_000,
  instalmentCents: [8_100, 8_100, 8_100],
} as const;

/** The last day of the month `months` after today's (Europe/Rome), ISO. */
function endOfMonthAfter(today: string, months: number): string {
  const [y, m] = today.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m + months, 0)).toISOString().slice(0, 10);
}

/** The TARI payment type and the demo document, added also to demo data seeded before they existed. */
async function seedDemoDocument(c: Container): Promise<void> {
  const d = DEMO_DOCUMENT;
  const ctx = await c.documents.operatorContext(DEMO.ente, d.paymentType).catch(async (e: unknown) => {
    if (!(e instanceof Error) || !('kind' in e) || e.kind !== 'not-found') throw e;
    await c.organizations.createPaymentType(DEMO.ente, {
      codiceVersamento: d.paymentType,
      descrizione: 'Tassa sui rifiuti (TARI)',
      iban: 'IT60X0542811101000000123456',
      ibanPostale: DEMO.ibanPostale,
      transferCategory: '9/0101108TS/',
    });
    return c.documents.operatorContext(DEMO.ente, d.paymentType);
  });
  try {
    await c.documents.getDocument(ctx.enteId, d.identificativo);
    return;
  } catch (e) {
    if (!(e instanceof Error) || !('kind' in e) || e.kind !== 'not-found') throw e;
  }
  const today = c.debtPositions.today();
  await c.documents.createDocument(ctx, {
    identificativo: d.identificativo,
    descrizione: d.descrizione,
    causale: d.causale,
    debtor: {
      type: 'F',
      fiscalCode: DEMO.debtor.codiceFiscalePartitaIVAPagatore,
      name: DEMO.debtor.nome,
      surname: DEMO.debtor.cognome,
      email: DEMO.debtor.email,
    },
    singleSolution: { amountCents: d.singleSolutionCents, dueDate: endOfMonthAfter(today, 1) },
    instalments: d.instalmentCents.map((amountCents, i) => ({
      amountCents,
      dueDate: endOfMonthAfter(today, 1 + 2 * i),
    })),
  });
}

/**
 * The demo gestionale's caller AP_02, added also to demo data seeded before it existed; its
 * EPaywso2EntiService endpoints are added to an AP_02 seeded without them. With `baseUrl`, an AP_02
 * whose return URL or endpoints point elsewhere (the demo started before on other ports) is moved
 * to it, with the demo's endpoint credentials; otherwise it is never changed once present.
 */
async function seedDemoGestionaleCaller(c: Container, baseUrl?: string): Promise<void> {
  const urls = demoGestionaleUrls(baseUrl);
  const endpoints = demoGestionaleEndpoints({ ...DEMO_GESTIONALE.soap, url: urls.soapUrl });
  try {
    const existing = await c.applications.get(DEMO_GESTIONALE.codiceChiamante);
    if (baseUrl === undefined) {
      if (existing.endpoints.length === 0)
        await c.applications.update(DEMO_GESTIONALE.codiceChiamante, { endpoints });
      return;
    }
    const patch: { returnUrl?: string; endpoints?: typeof endpoints } = {};
    if (existing.returnUrl !== urls.returnUrl) patch.returnUrl = urls.returnUrl;
    if (existing.endpoints.length === 0 || existing.endpoints.some((e) => e.url !== urls.soapUrl))
      patch.endpoints = endpoints;
    if (Object.keys(patch).length > 0) {
      await c.applications.update(DEMO_GESTIONALE.codiceChiamante, patch);
      c.logger.info(
        { codiceChiamante: DEMO_GESTIONALE.codiceChiamante, gestionale: baseUrl },
        "demo gestionale caller moved to the demo gestionale's address",
      );
    }
    return;
  } catch (e) {
    if (!(e instanceof ApplicationError) || e.kind !== 'not-found') throw e;
  }
  await c.applications.create({
    codiceChiamante: DEMO_GESTIONALE.codiceChiamante,
    descrizione: DEMO_GESTIONALE.descrizione,
    passphrase: DEMO_GESTIONALE.passphrase,
    returnUrl: urls.returnUrl,
    ...DEMO_CALLER_GRANT,
    endpoints,
  });
}
