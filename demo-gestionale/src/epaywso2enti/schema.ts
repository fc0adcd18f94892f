import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XmlDocument, XmlElement, XmlValidateError, XsdValidator } from 'libxml2-wasm';
import { xmlRegisterFsInputProviders } from 'libxml2-wasm/lib/nodejs.mjs';

/**
 * PiemontePAY's EPaywso2EntiService files (WSDL and XSDs, resources/specs/piemontepay in the
 * repository), found by walking up from this file (demo-gestionale/src or dist/demo-gestionale), and
 * the validation of a request's Body element against EPaywso2EntiServiceTypes.xsd with libxml2.
 */
export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const TYPES_NS = 'http://www.csi.it/epay/epaywso/epaywso2enti/types';
export const COMMON_NS = 'http://www.csi.it/epay/epaywso/types';
export const WSDL_FILE = 'EPaywso2EntiService.wsdl';
export const XSD_FILES = ['EPaywso2EntiServiceTypes.xsd', 'EPaywsoCommonTypes.xsd'] as const;

export function specsDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 8; i++) {
    const candidate = join(dir, 'resources', 'specs', 'piemontepay');
    if (existsSync(join(candidate, WSDL_FILE))) return candidate;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error('demo-gestionale: resources/specs/piemontepay (EPaywso2EntiService.wsdl) was not found');
}

export type BodyCheck = { ok: true; element: string } | { ok: false; element?: string; errors: string[] };

let validator: XsdValidator | undefined;

function typesValidator(): XsdValidator {
  if (!validator) {
    // xs:import schemaLocation="EPaywsoCommonTypes.xsd" resolves from the file's own directory
    xmlRegisterFsInputProviders();
    const path = join(specsDir(), 'EPaywso2EntiServiceTypes.xsd');
    const doc = XmlDocument.fromBuffer(readFileSync(path), { url: path });
    try {
      validator = XsdValidator.fromDoc(doc);
    } finally {
      doc.dispose();
    }
  }
  return validator;
}

/**
 * Checks that `xml` is a SOAP 1.1 envelope whose Body's (single) element is valid against
 * EPaywso2EntiServiceTypes.xsd. A DOCTYPE is refused outright (no DTDs in SOAP, no entity tricks).
 */
export function checkRequest(xml: string): BodyCheck {
  if (/<!DOCTYPE/i.test(xml)) return { ok: false, errors: ['DOCTYPE non ammesso in un messaggio SOAP'] };
  let doc: XmlDocument;
  try {
    doc = XmlDocument.fromString(xml);
  } catch (e) {
    return { ok: false, errors: [`XML non ben formato: ${(e as Error).message.trim().slice(0, 300)}`] };
  }
  try {
    const root = doc.root;
    if (root.name !== 'Envelope' || root.namespaceUri !== SOAP11_NS)
      return { ok: false, errors: ['il messaggio non è una Envelope SOAP 1.1'] };
    // `*` selects elements only: the filter just lets the compiler know it
    const elements = doc
      .find('/s:Envelope/s:Body/*', { s: SOAP11_NS })
      .filter((n) => n instanceof XmlElement);
    if (elements.length !== 1)
      return {
        ok: false,
        errors: [`il Body SOAP deve contenere un elemento, ne contiene ${elements.length}`],
      };
    const el = elements[0]!;
    if (el.namespaceUri !== TYPES_NS)
      return {
        ok: false,
        element: el.name,
        errors: [`elemento ${el.name} nel namespace ${el.namespaceUri || '(nessuno)'}: atteso ${TYPES_NS}`],
      };
    try {
      typesValidator().validate(el);
    } catch (e) {
      if (e instanceof XmlValidateError)
        return { ok: false, element: el.name, errors: e.details.map((d) => d.message.trim()) };
      throw e;
    }
    return { ok: true, element: el.name };
  } finally {
    doc.dispose();
  }
}
