import { readFileSync } from 'node:fs';
import { XmlDocument, XsdValidator, XmlValidateError, type XmlElement } from 'libxml2-wasm';
import { xmlRegisterFsInputProviders } from 'libxml2-wasm/lib/nodejs.mjs';
import { PA_FOR_NODE_XSD, specFile } from './specs.js';

export const SOAP_ENV_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const PA_FOR_NODE_NS = 'http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd';

let registered = false;

export interface SoapCheck {
  /** Local name of the Body's first element, when the message could be read that far. */
  element: string | undefined;
  namespace: string | undefined;
  /** Empty when the message is a SOAP 1.1 envelope whose body element validates against paForNode.xsd. */
  errors: string[];
}

/**
 * Validates SOAP 1.1 messages of paForNode against the official XSD (wsdl/xsd/paForNode.xsd with
 * its import of xsd-common/sac-common-types-1.0.xsd): the envelope's namespace, then the Body's
 * element as a subtree. Synchronous (libxml2 compiled to WebAssembly).
 */
export class PaForNodeSchema {
  private readonly validator: XsdValidator;
  private readonly schemaDoc: XmlDocument;

  constructor(specsDir?: string) {
    if (!registered) {
      xmlRegisterFsInputProviders();
      registered = true;
    }
    const path = specFile(PA_FOR_NODE_XSD, specsDir);
    this.schemaDoc = XmlDocument.fromBuffer(readFileSync(path), { url: path });
    this.validator = XsdValidator.fromDoc(this.schemaDoc);
  }

  check(xml: string, expectedElement?: string): SoapCheck {
    let doc: XmlDocument;
    try {
      doc = XmlDocument.fromString(xml);
    } catch (e) {
      return {
        element: undefined,
        namespace: undefined,
        errors: [`not well-formed XML: ${(e as Error).message.trim()}`],
      };
    }
    try {
      const root = doc.root;
      if (root.name !== 'Envelope' || root.namespaceUri !== SOAP_ENV_NS) {
        return {
          element: undefined,
          namespace: undefined,
          errors: [`root element is {${root.namespaceUri}}${root.name}, not a SOAP 1.1 Envelope`],
        };
      }
      const body = doc.get('/s:Envelope/s:Body', { s: SOAP_ENV_NS });
      if (!body) return { element: undefined, namespace: undefined, errors: ['SOAP Body missing'] };
      const el = doc.get('/s:Envelope/s:Body/*[1]', { s: SOAP_ENV_NS }) as XmlElement | null;
      if (!el) return { element: undefined, namespace: undefined, errors: ['SOAP Body is empty'] };
      const found = { element: el.name, namespace: el.namespaceUri };
      if (el.namespaceUri === SOAP_ENV_NS && el.name === 'Fault')
        return { ...found, errors: ['SOAP Fault instead of a paForNode response'] };
      const errors: string[] = [];
      if (expectedElement && el.name !== expectedElement)
        errors.push(`expected element ${expectedElement}, got ${el.name}`);
      if (el.namespaceUri !== PA_FOR_NODE_NS)
        errors.push(`element ${el.name} is in namespace "${el.namespaceUri}", expected ${PA_FOR_NODE_NS}`);
      try {
        this.validator.validate(el);
      } catch (e) {
        if (e instanceof XmlValidateError)
          errors.push(...e.details.map((d) => `line ${d.line}: ${d.message.trim()}`));
        else throw e;
      }
      return { ...found, errors };
    } finally {
      doc.dispose();
    }
  }

  dispose(): void {
    this.validator.dispose();
    this.schemaDoc.dispose();
  }
}
