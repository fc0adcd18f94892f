import { readFileSync } from 'node:fs';
import i18next, { type TFunction } from 'i18next';
import { projectPath } from '../../shared/paths.js';

export const LANGUAGES = ['it', 'en'] as const;
export type Lang = (typeof LANGUAGES)[number];
export const LANG_COOKIE = 'cassa_lang';

const readLocale = (lng: Lang, file: string) =>
  JSON.parse(readFileSync(projectPath('locales', lng, file), 'utf8')) as Record<string, unknown>;

// The pages' strings (portal.json) and those of the shell around them, header, steps and footer
// (layout.json, under the key `layout`: t('layout.footer.info')), in one namespace.
const resources = Object.fromEntries(
  LANGUAGES.map((lng) => [
    lng,
    { portal: { ...readLocale(lng, 'portal.json'), layout: readLocale(lng, 'layout.json') } },
  ]),
);

const i18n = i18next.createInstance();
void i18n.init({
  resources,
  lng: 'it',
  fallbackLng: 'it',
  supportedLngs: [...LANGUAGES],
  ns: ['portal'],
  defaultNS: 'portal',
  initAsync: false,
  interpolation: { escapeValue: false },
  showSupportNotice: false,
} as Parameters<typeof i18n.init>[0]);

const fixed = Object.fromEntries(LANGUAGES.map((lng) => [lng, i18n.getFixedT(lng)])) as Record<
  Lang,
  TFunction
>;
// A page asks for a few dozen strings; those without interpolation are the same every time.
const plain = Object.fromEntries(LANGUAGES.map((lng) => [lng, new Map<string, string>()])) as Record<
  Lang,
  Map<string, string>
>;

/** Strings of the portal in a language (Italian by default); values are escaped by the templates. */
export function translator(lang: Lang): TFunction {
  const t = fixed[lang];
  const memo = plain[lang];
  return ((key: string | string[], ...rest: unknown[]) => {
    if (rest.length > 0 || typeof key !== 'string')
      return (t as unknown as (...a: unknown[]) => unknown)(key, ...rest);
    let v = memo.get(key);
    if (v === undefined) {
      v = t(key);
      memo.set(key, v);
    }
    return v;
  }) as unknown as TFunction;
}

export function isLang(v: unknown): v is Lang {
  return typeof v === 'string' && (LANGUAGES as readonly string[]).includes(v);
}
