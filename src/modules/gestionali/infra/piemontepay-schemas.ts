import { readFileSync } from 'node:fs';
import { XmlDocument, XmlValidateError, XsdValidator, type XmlElement } from 'libxml2-wasm';
import { xmlRegisterFsInputProviders } from 'libxml2-wasm/lib/nodejs.mjs';
import { projectPath } from '../../../shared/paths.js';

const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const PIEMONTEPAY_SPECS = 'resources/specs/piemontepay';

let registered = false;

function loadValidator(file: string): { validator: XsdValidator; doc: XmlDocument } {
  if (!registered) {
    xmlRegisterFsInputProviders();
    registered = true;
  }
  const path = projectPath(PIEMONTEPAY_SPECS, file);
  const doc = XmlDocument.fromBuffer(readFileSync(path), { url: path });
  return { validator: XsdValidator.fromDoc(doc), doc };
}

export interface BodyCheck {
  /** local name and namespace of the Body's element, when the message could be read that far */
  element?: string | undefined;
  namespace?: string | undefined;
  /** empty when valid */
  errors: string[];
}

/**
 * Validation of SOAP 1.1 messages against one of PiemontePAY's XSDs (libxml2, synchronous): the
 * Body's element as a subtree. Used on every inbound list (Enti2EPaywsoServiceTypes.xsd).
 */
export class PiemontePaySchema {
  private readonly validator: XsdValidator;
  private readonly doc: XmlDocument;

  constructor(xsdFile: string) {
    ({ validator: this.validator, doc: this.doc } = loadValidator(xsdFile));
  }

  checkEnvelope(xml: string): BodyCheck {
    let doc: XmlDocument;
    try {
      // the text is already decoded (decodeXmlBytes): its declared encoding (e.g. ISO-8859-1) no longer applies
      doc = XmlDocument.fromString(xml, { encoding: 'utf-8' });
    } catch (e) {
      return { errors: [`XML non ben formato: ${(e as Error).message.trim().slice(0, 300)}`] };
    }
    try {
      const root = doc.root;
      if (root.name !== 'Envelope' || root.namespaceUri !== SOAP11_NS)
        return { errors: ['Il messaggio non è una Envelope SOAP 1.1'] };
      const el = doc.get('/s:Envelope/s:Body/*[1]', { s: SOAP11_NS }) as XmlElement | null;
      if (!el) return { errors: ['Body SOAP vuoto'] };
      return { element: el.name, namespace: el.namespaceUri, errors: this.errorsOf(el) };
    } finally {
      doc.dispose();
    }
  }

  /** Validates a standalone element (e.g. an outbound request body). */
  checkElement(xml: string): string[] {
    let doc: XmlDocument;
    try {
      doc = XmlDocument.fromString(xml, { encoding: 'utf-8' });
    } catch (e) {
      return [`XML non ben formato: ${(e as Error).message.trim()}`];
    }
    try {
      return this.errorsOf(doc.root);
    } finally {
      doc.dispose();
    }
  }

  private errorsOf(el: XmlElement): string[] {
    try {
      this.validator.validate(el);
      return [];
    } catch (e) {
      if (e instanceof XmlValidateError) return e.details.map((d) => `riga ${d.line}: ${d.message.trim()}`);
      throw e;
    }
  }

  dispose(): void {
    this.validator.dispose();
    this.doc.dispose();
  }
}
