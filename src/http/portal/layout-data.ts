import { eq, sql } from 'drizzle-orm';
import type { Container } from '../../app/container.js';
import type { SportelloSiteConfig } from '../../config/config.js';
import { ente } from '../../db/schema.js';
import type { Lang } from './i18n.js';

/**
 * What the shell of every Sportello page (views/portal/layout.eta and its partials: header, steps,
 * footer) is drawn from: the installation's settings (config.sportelloSite), and in the page data
 * `step` and `headerEnte`.
 */

/** The steps of a payment, in order (the manual's RIFERIMENTI / DATI PERSONALI / RIEPILOGO / PAGAMENTO / CONCLUSIONE). */
export const STEPS = ['references', 'personalData', 'summary', 'payment', 'conclusion'] as const;
export type Step = (typeof STEPS)[number];

/** An ente's own contacts, shown in the footer as "Per informazioni su questo pagamento". */
export interface EnteContacts {
  phone?: string | null;
  email?: string | null;
  website?: string | null;
}

/** The ente a page belongs to (one ente's payment): its name and logo in the header, its contacts in the footer. */
export interface HeaderEnte {
  name: string;
  fiscalCode: string;
  hasLogo: boolean;
  contacts?: EnteContacts;
}

/** What a page may pass to sendPage for the shell, besides its own data. */
export interface LayoutPageData {
  /** the current step of the stepper; absent: no stepper */
  step?: Step;
  /** absent: the header shows the Sportello's title only */
  headerEnte?: HeaderEnte;
}

const LOGO_TYPES = ['image/png', 'image/jpeg', 'image/svg+xml'] as const;
export const isServedLogoType = (mime: string | null): boolean =>
  (LOGO_TYPES as readonly (string | null)[]).includes(mime);

/** The path of an ente's logo on the Sportello (served by ente-logo.ts). */
export const enteLogoPath = (fiscalCode: string): string =>
  `/sportello/enti/${encodeURIComponent(fiscalCode)}/logo`;

/**
 * The header data of an ente's page, read from the ente table (name, whether it has a logo the
 * Sportello serves, its phone, e-mail and web site), without the logo's bytes; undefined for an
 * unknown fiscal code. For the routes: `headerEnte: await enteHeader(container, position.enteFiscalCode)`.
 */
export async function enteHeader(
  container: Pick<Container, 'db'>,
  enteFiscalCode: string,
): Promise<HeaderEnte | undefined> {
  if (!/^\d{11}$/.test(enteFiscalCode)) return undefined;
  const [row] = await container.db.orm
    .select({
      name: ente.denominazione,
      fiscalCode: ente.codiceFiscale,
      logoMime: ente.logoMime,
      hasLogo: sql<boolean>`${ente.logo} is not null`.mapWith(Boolean),
      phone: ente.telefono,
      email: ente.email,
      website: ente.sitoWeb,
    })
    .from(ente)
    .where(eq(ente.codiceFiscale, enteFiscalCode))
    .limit(1);
  if (!row) return undefined;
  return {
    name: row.name,
    fiscalCode: row.fiscalCode,
    hasLogo: row.hasLogo && isServedLogoType(row.logoMime),
    contacts: { phone: row.phone, email: row.email, website: row.website },
  };
}

// ---------------------------------------------------------------- view models for the templates

export interface LinkView {
  href: string;
  text: string;
}

export interface StepsView {
  current: Step;
  /** 1-based position of the current step */
  index: number;
  total: number;
  items: { key: Step; n: number; state: 'done' | 'current' | 'todo' }[];
}

export interface ContactsView {
  phone?: LinkView;
  email?: LinkView;
  site?: LinkView;
}

export interface LookView {
  intermediary?: { name: string; href?: string };
  ente?: { name: string; fiscalCode: string; logoSrc?: string };
  steps?: StepsView;
  enteInfo?: { name: string } & ContactsView;
  info?: ContactsView & { hours?: { text: string; lang?: Lang } };
  support?: { form?: LinkView; email?: LinkView };
  links: ({ id: string; key: string } & LinkView)[];
}

/** The stepper for a step; undefined for anything that is not one of STEPS. */
export function stepsView(step: unknown): StepsView | undefined {
  const at = STEPS.indexOf(step as Step);
  if (at < 0) return undefined;
  return {
    current: STEPS[at]!,
    index: at + 1,
    total: STEPS.length,
    items: STEPS.map((key, i) => ({ key, n: i + 1, state: i < at ? 'done' : i === at ? 'current' : 'todo' })),
  };
}

/** An http(s) URL as a link (text: its host and path, without the scheme); anything else (javascript:, a typo) none. */
export function webLink(url: string | null | undefined): LinkView | undefined {
  if (!url || !URL.canParse(url)) return undefined;
  const u = new URL(url);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  const text = `${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  return { href: u.href, text };
}

/** A phone number as a tel: link (digits and an initial +); undefined when it has no digits to call. */
export function phoneLink(phone: string | null | undefined): LinkView | undefined {
  const text = phone?.trim();
  if (!text) return undefined;
  const digits = text.replace(/[^\d+]/g, '').replace(/(?!^)\+/g, '');
  if (!/\d{3,}/.test(digits)) return undefined;
  return { href: `tel:${digits}`, text };
}

/** An e-mail address as a mailto: link; undefined unless it looks like one (no spaces, no header injection). */
export function emailLink(email: string | null | undefined): LinkView | undefined {
  const text = email?.trim();
  if (!text || !/^[^\s@<>"?&]+@[^\s@<>"?&]+\.[^\s@<>"?&]+$/.test(text)) return undefined;
  return { href: `mailto:${text}`, text };
}

const present = <T extends object>(o: T): T | undefined =>
  Object.values(o).some((v) => v !== undefined) ? o : undefined;

/**
 * Everything the shell shows besides the page: computed once per page from the installation's
 * settings, the language and the page's `step` and `headerEnte`. A setting left unset shows nothing
 * (never a link to `#`).
 */
export function lookView(
  site: SportelloSiteConfig,
  lang: Lang,
  page: { step?: unknown; headerEnte?: unknown },
): LookView {
  const he = page.headerEnte as HeaderEnte | undefined;
  const enteOk =
    he && typeof he.name === 'string' && typeof he.fiscalCode === 'string' && /^\d{11}$/.test(he.fiscalCode);
  const hours =
    lang === 'en' && site.infoHoursEn
      ? { text: site.infoHoursEn }
      : site.infoHours
        ? { text: site.infoHours, ...(lang !== 'it' ? { lang: 'it' as const } : {}) }
        : undefined;
  const links: LookView['links'] = [];
  for (const [id, key, url] of [
    ['link-accessibility', 'accessibility', site.accessibilityUrl],
    ['link-privacy', 'privacy', site.privacyUrl],
    ['link-legal-notes', 'legalNotes', site.legalNotesUrl],
    ['link-cookie-policy', 'cookiePolicy', site.cookiePolicyUrl],
  ] as const) {
    const link = webLink(url);
    if (link) links.push({ id, key, ...link });
  }
  const contacts =
    enteOk && he.contacts
      ? present({
          phone: phoneLink(he.contacts.phone),
          email: emailLink(he.contacts.email),
          site: webLink(he.contacts.website),
        })
      : undefined;
  return {
    intermediary: site.intermediaryName
      ? {
          name: site.intermediaryName,
          ...(webLink(site.intermediaryUrl) ? { href: webLink(site.intermediaryUrl)!.href } : {}),
        }
      : undefined,
    ente: enteOk
      ? {
          name: he.name,
          fiscalCode: he.fiscalCode,
          ...(he.hasLogo ? { logoSrc: enteLogoPath(he.fiscalCode) } : {}),
        }
      : undefined,
    steps: stepsView(page.step),
    enteInfo: enteOk && contacts ? { name: he.name, ...contacts } : undefined,
    info: present({ phone: phoneLink(site.infoPhone), site: webLink(site.infoUrl), hours }),
    support: present({ form: webLink(site.supportUrl), email: emailLink(site.supportEmail) }),
    links,
  };
}
