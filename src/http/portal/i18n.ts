import { readFileSync } from 'node:fs';
import i18next, { type TFunction } from 'i18next';
import { projectPath } from '../../shared/paths.js';

export const LANGUAGES = ['it', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];
export const LANG_COOKIE = 'cassa_lang';

const resources = Object.fromEntries(
  LANGUAGES.map((lng) => [lng, { portal: JSON.parse(readFileSync(projectPath('locales', lng, 'portal.json'), 'utf8')) as Record<string, unknown> }]),
);

const i18n = i18next.createInstance();
void i18n.init({ resources, lng: 'it', fallbackLng: 'it', supportedLngs: [...LANGUAGES], ns: ['portal'], defaultNS: 'portal', initAsync: false, interpolation: { escapeValue: false }, showSupportNotice: false } as Parameters<typeof i18n.init>[0]);

/** Strings of the portal in a language (Italian by default); values are escaped by the templates. */
export function translator(lang: Lang): TFunction {
  return i18n.getFixedT(lang);
}

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGUAGES as readonly string[]).includes(v);
}
