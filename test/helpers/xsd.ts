import { readFileSync } from 'node:fs';
import { XmlDocument, XsdValidator, type XmlElement } from 'libxml2-wasm';
import { xmlRegisterFsInputProviders } from 'libxml2-wasm/lib/nodejs.mjs';
import { projectPath } from '../../src/shared/paths.js';

/**
 * Validation of Cassa's SOAP answers against the official schemas (resources/specs/pagopa): the
 * envelope against the SOAP 1.1 envelope schema, the body's element against paForNode.xsd (or,
 * for a SOAP fault, the envelope schema's Fault).
 */
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const PAFORNODE = 'http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd';

let validators: { paForNode: XsdValidator; envelope: XsdValidator } | undefined;

function load(relative: string): XsdValidator {
  const path = projectPath('resources/specs/pagopa', relative);
  const doc = XmlDocument.fromBuffer(readFileSync(path), { url: path });
  try {
    return XsdValidator.fromDoc(doc);
  } finally {
    doc.dispose();
  }
}

function schemas() {
  if (!validators) {
    xmlRegisterFsInputProviders();
    validators = { paForNode: load('wsdl/xsd/paForNode.xsd'), envelope: load('xsd-common/envelope.xsd') };
  }
  return validators;
}

function check(v: XsdValidator, node: XmlDocument | XmlElement, what: string): void {
  try {
    v.validate(node as XmlElement);
  } catch (e) {
    const details = (e as { details?: { message: string }[] }).details
      ?.map((d) => d.message.trim())
      .join('; ');
    throw new Error(`${what} is not valid: ${details ?? (e as Error).message}`, { cause: e });
  }
}

export interface ValidatedBody {
  /** Local name of the body's element (e.g. paVerifyPaymentNoticeRes, or Fault). */
  element: string;
  namespace: string;
}

/** Throws unless `xml` is a SOAP 1.1 envelope whose body element is valid (paForNode.xsd, or a SOAP Fault). */
export function validateSoapResponse(xml: string): ValidatedBody {
  const { paForNode, envelope } = schemas();
  const doc = XmlDocument.fromString(xml);
  try {
    check(envelope, doc, 'SOAP envelope');
    const body = doc.get('/s:Envelope/s:Body/*', { s: SOAP11 }) as XmlElement | null;
    if (!body) throw new Error('SOAP body has no element');
    if (body.namespaceUri === SOAP11 && body.name === 'Fault') return { element: 'Fault', namespace: SOAP11 };
    if (body.namespaceUri !== PAFORNODE) throw new Error(`body element in namespace ${body.namespaceUri}`);
    check(paForNode, body, body.name);
    return { element: body.name, namespace: body.namespaceUri };
  } finally {
    doc.dispose();
  }
}
