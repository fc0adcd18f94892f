/**
 * SOAP 1.1 envelopes of the paForNode interface: reading a request (any namespace prefixes; only
 * the body's root element is namespaced, its children are unqualified and read by local name)
 * and writing responses and SOAP faults as strings.
 */
import { XMLParser } from 'fast-xml-parser';
import { xmlEscape } from './xml-text.js';

export const SOAP11_NS = 'http://schemas.xmlsoap.org/soap/envelope/';
export const SOAP12_NS = 'http://www.w3.org/2003/05/soap-envelope';
export const PAFORNODE_NS = 'http://pagopa-api.pagopa.gov.it/pa/paForNode.xsd';

/** A parsed element: text, or children by local name (repeated names become arrays). */
export type XmlValue = string | XmlObject | XmlValue[];
export interface XmlObject {
  [name: string]: XmlValue;
}

/** A request that is not a usable SOAP 1.1 message: answered with a SOAP fault. */
export class SoapEnvelopeError extends Error {
  constructor(
    readonly faultCode: 'Client' | 'Server' | 'VersionMismatch',
    message: string,
  ) {
    super(message);
    this.name = 'SoapEnvelopeError';
  }
}

export interface SoapRequest {
  /** Local name of the body's root element, e.g. paVerifyPaymentNoticeReq. */
  element: string;
  namespace: string | undefined;
  body: XmlObject;
}

const MARK = '\u00a7';
/** Names fast-xml-parser will not use as object keys (its DANGEROUS_PROPERTY_NAMES and criticalProperties). */
const RESERVED_NAMES = new Set([
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'valueOf',
  '__defineGetter__',
  '__defineSetter__',
  '__lookupGetter__',
  '__lookupSetter__',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
]);

const parser = new XMLParser({
  ignoreAttributes: (name: string) => !name.startsWith('xmlns'),
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  // decodes character references (&#233;); any entity XML does not define (&nbsp;...) is refused before parsing
  htmlEntities: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  removeNSPrefix: false,
  // An element may be named constructor, __proto__, prototype or toString: well-formed XML, to be read (and refused
  // by the operation if the XSD has no such element), never "not well-formed". The parser refuses the first three
  // and renames the others; names are marked here instead (§ is no XML name character) and unmarked by localise,
  // which builds objects without a prototype.
  transformTagName: (name: string) => (RESERVED_NAMES.has(split(name)[1]) ? `${MARK}${name}` : name),
  transformAttributeName: (name: string) => (RESERVED_NAMES.has(split(name)[1]) ? `${MARK}${name}` : name),
  onDangerousProperty: (name: string) => name,
});

function split(qname: string): [prefix: string, local: string] {
  const i = qname.indexOf(':');
  return i < 0 ? ['', qname] : [qname.slice(0, i), qname.slice(i + 1)];
}

type Scope = Record<string, string>;

function withDeclarations(scope: Scope, node: unknown): Scope {
  if (node === null || typeof node !== 'object' || Array.isArray(node)) return scope;
  let out = scope;
  for (const k in node as Record<string, unknown>) {
    if (k === '@_xmlns' || k.startsWith('@_xmlns:')) {
      if (out === scope) out = { ...scope };
      out[k === '@_xmlns' ? '' : k.slice(8)] = String((node as Record<string, unknown>)[k]);
    }
  }
  return out;
}

function elementKeys(node: Record<string, unknown>): string[] {
  return Object.keys(node).filter((k) => !k.startsWith('@_') && k !== '#text');
}

/** Strips prefixes and attributes below the body's root: children are read by local name. */
function localise(v: unknown): XmlValue {
  if (Array.isArray(v)) return v.map(localise);
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- the parser yields text, numbers and booleans here, never a function
  if (v === null || typeof v !== 'object') return v === undefined || v === null ? '' : String(v);
  const o = v as Record<string, unknown>;
  const keys = elementKeys(o);
  if (keys.length === 0) return typeof o['#text'] === 'string' ? o['#text'] : '';
  const out: XmlObject = Object.create(null) as XmlObject;
  for (const k of keys) {
    const name = split(k.startsWith(MARK) ? k.slice(MARK.length) : k)[1];
    const child = localise(o[k]);
    const prev = out[name];
    out[name] =
      prev === undefined
        ? child
        : [...(Array.isArray(prev) ? prev : [prev]), ...(Array.isArray(child) ? child : [child])];
  }
  return out;
}

const CDATA = /<!\[CDATA\[[\s\S]*?\]\]>/g;
const UNDEFINED_ENTITY = /&(?!(?:amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);)/;
const CHARACTER_REFERENCE = /&#(?:x([0-9a-fA-F]+)|([0-9]+));/g;

/** XML 1.0 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. */
function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

const DECLARED_ENCODING = /^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/;

function isUtf8Name(name: string): boolean {
  return /^utf-?8$/i.test(name);
}

/**
 * An XML body's text and, when its bytes are not UTF-8 (a declared encoding such as ISO-8859-1, or
 * a byte order mark), the bytes themselves, so that a document can be kept and handed out exactly
 * as received: re-encoding the text as UTF-8 would contradict its own declaration.
 */
export function readXmlBytes(bytes: Buffer): { text: string; original: Buffer | undefined } {
  // a byte order mark decides (XML 1.0 appendix F): UTF-8, or UTF-16 in either byte order
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf)
    return { text: strictDecode(bytes.subarray(3), 'utf-8', 'UTF-8'), original: bytes };
  if (bytes[0] === 0xff && bytes[1] === 0xfe)
    return { text: strictDecode(bytes.subarray(2), 'utf-16le', 'UTF-16'), original: bytes };
  if (bytes[0] === 0xfe && bytes[1] === 0xff)
    return { text: strictDecode(bytes.subarray(2), 'utf-16be', 'UTF-16'), original: bytes };
  const declared = DECLARED_ENCODING.exec(bytes.subarray(0, 200).toString('latin1'))?.[1];
  if (!declared || isUtf8Name(declared))
    return { text: strictDecode(bytes, 'utf-8', 'UTF-8'), original: undefined };
  // US-ASCII is a 7-bit code (the WHATWG decoder would read it as windows-1252)
  if (/^(us-)?ascii$/i.test(declared)) {
    if (bytes.some((b) => b > 0x7f)) throw notInEncoding(declared);
    return { text: bytes.toString('latin1'), original: bytes };
  }
  let decoder: InstanceType<typeof TextDecoder>;
  try {
    decoder = new TextDecoder(declared.toLowerCase(), { fatal: true });
  } catch {
    throw new SoapEnvelopeError('Client', `Codifica dei caratteri non supportata: ${declared}`);
  }
  // UTF-16 and UTF-32 documents start with a byte order mark or with '<' in their own encoding, never in ASCII
  if (/^utf-?(16|32)/i.test(declared)) throw notInEncoding(declared);
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    throw notInEncoding(declared);
  }
  return { text, original: bytes };
}

function notInEncoding(encoding: string): SoapEnvelopeError {
  return new SoapEnvelopeError('Client', `XML non ben formato: byte non validi nella codifica ${encoding}`);
}

/** Bytes that are not valid in their encoding are not well-formed XML (XML 1.0 §4.3.3): refused, never replaced by U+FFFD. */
function strictDecode(bytes: Uint8Array, encoding: 'utf-8' | 'utf-16le' | 'utf-16be', name: string): string {
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw notInEncoding(name);
  }
}

/** A body whose bytes could not be read as XML text: the edge answers it (after the caller's credentials, where it checks them). */
export class UndecodableXml {
  constructor(readonly reason: SoapEnvelopeError) {}
}

/** What a SOAP edge's content-type parser hands its route: the text, or why there is none. */
export function readXmlBody(bytes: Buffer): { text: string; original: Buffer | undefined } | UndecodableXml {
  try {
    return readXmlBytes(bytes);
  } catch (e) {
    if (e instanceof SoapEnvelopeError) return new UndecodableXml(e);
    throw e;
  }
}

/**
 * The text of an XML body as its declaration says it is encoded (UTF-8 when it says nothing; a
 * byte order mark wins), so that a receipt in ISO-8859-1 keeps its accents.
 */
export function decodeXmlBytes(bytes: Buffer): string {
  return readXmlBytes(bytes).text;
}

/**
 * A stored XML document as bytes that agree with their own declaration: the bytes as received
 * when they were kept (not UTF-8), else the text in UTF-8; a text declaring another encoding
 * without its original bytes (kept before they were) is re-declared as UTF-8. `encoding` names
 * the charset of the bytes (for a Content-Type), as the declaration spells it.
 */
export function xmlDocumentBytes(
  text: string,
  original: Uint8Array | null | undefined,
): { bytes: Buffer; encoding: string } {
  if (original && original.length > 0) {
    const bytes = Buffer.from(original.buffer, original.byteOffset, original.byteLength);
    const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
    return {
      bytes,
      encoding: bom
        ? 'UTF-8'
        : (DECLARED_ENCODING.exec(bytes.subarray(0, 200).toString('latin1'))?.[1] ?? 'UTF-8'),
    };
  }
  const declared = DECLARED_ENCODING.exec(text.slice(0, 200))?.[1];
  if (declared && !isUtf8Name(declared)) {
    const m = DECLARED_ENCODING.exec(text)!;
    const decl = m[0].replace(/(\bencoding\s*=\s*["'])[A-Za-z0-9._-]+/, '$1UTF-8');
    return { bytes: Buffer.from(decl + text.slice(m[0].length), 'utf8'), encoding: 'UTF-8' };
  }
  return { bytes: Buffer.from(text, 'utf8'), encoding: 'UTF-8' };
}

/** Reads a SOAP 1.1 request; throws SoapEnvelopeError when it is not one. */
export function parseSoapRequest(xml: string, opts: { alreadyWellFormed?: boolean } = {}): SoapRequest {
  if (xml.trim() === '') throw new SoapEnvelopeError('Client', 'Richiesta vuota');
  if (/<!DOCTYPE/i.test(xml))
    throw new SoapEnvelopeError('Client', 'I messaggi SOAP non possono contenere una DTD');
  // characters XML 1.0 forbids (NUL and other controls but tab, CR, LF): not well-formed
  // eslint-disable-next-line no-control-regex -- XML 1.0 Char production: these control characters are what it forbids
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(xml))
    throw new SoapEnvelopeError('Client', 'XML non ben formato: carattere non ammesso');
  // an entity reference XML does not define (no DTD is allowed, so only the five and character references)
  const outsideCdata = xml.replace(CDATA, '');
  if (UNDEFINED_ENTITY.test(outsideCdata))
    throw new SoapEnvelopeError('Client', 'XML non ben formato: entità non definita');
  // a character reference to a character XML 1.0 forbids (&#0;, &#xFFFE;, a surrogate) is not well-formed either
  for (const m of outsideCdata.matchAll(CHARACTER_REFERENCE)) {
    if (!isXmlChar(m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2])))
      throw new SoapEnvelopeError('Client', 'XML non ben formato: riferimento a un carattere non ammesso');
  }
  let doc: Record<string, unknown>;
  try {
    // a document libxml2 has already validated (the liste di carico) is not checked a second time
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- the parser's bundled validator until fast-xml-validator is a dependency
    doc = parser.parse(xml, !opts.alreadyWellFormed) as Record<string, unknown>;
  } catch {
    throw new SoapEnvelopeError('Client', 'XML non ben formato');
  }
  const rootKeys = elementKeys(doc);
  if (rootKeys.length !== 1) throw new SoapEnvelopeError('Client', "Manca l'elemento Envelope");
  const rootName = rootKeys[0]!;
  const [envPrefix, envLocal] = split(rootName);
  const envelope = doc[rootName];
  const scope0 = withDeclarations({}, envelope);
  const envNs = scope0[envPrefix];
  if (envLocal !== 'Envelope' || envNs === undefined)
    throw new SoapEnvelopeError('Client', "Manca l'elemento Envelope SOAP");
  if (envNs === SOAP12_NS) throw new SoapEnvelopeError('VersionMismatch', 'Solo SOAP 1.1 è supportato');
  if (envNs !== SOAP11_NS)
    throw new SoapEnvelopeError('VersionMismatch', `Namespace dell'Envelope non SOAP 1.1: ${envNs}`);
  if (envelope === null || typeof envelope !== 'object' || Array.isArray(envelope))
    throw new SoapEnvelopeError('Client', 'Envelope senza Body');
  const env = envelope as Record<string, unknown>;
  const bodyKeys = elementKeys(env).filter((k) => {
    const [p, l] = split(k);
    return l === 'Body' && scope0[p] === SOAP11_NS;
  });
  if (bodyKeys.length !== 1) throw new SoapEnvelopeError('Client', 'Envelope senza un Body SOAP 1.1');
  const body = env[bodyKeys[0]!];
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new SoapEnvelopeError('Client', 'Body vuoto');
  const scope1 = withDeclarations(scope0, body);
  const opKeys = elementKeys(body as Record<string, unknown>);
  const firstOp = opKeys[0];
  const opNode = firstOp === undefined ? undefined : (body as Record<string, unknown>)[firstOp];
  if (opKeys.length !== 1 || firstOp === undefined || Array.isArray(opNode))
    throw new SoapEnvelopeError('Client', 'Il Body deve contenere un solo elemento');
  const [opPrefix, opLocal] = split(firstOp);
  const scope2 = withDeclarations(scope1, opNode);
  const localised = localise(opNode);
  return {
    element: opLocal,
    namespace: scope2[opPrefix],
    body: typeof localised === 'object' && !Array.isArray(localised) ? localised : {},
  };
}

const ENVELOPE_OPEN = `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP11_NS}" xmlns:pafn="${PAFORNODE_NS}"><soapenv:Body>`;
const ENVELOPE_CLOSE = '</soapenv:Body></soapenv:Envelope>';

/** A paForNode response: `inner` is the already-escaped content of the pafn:`element`. */
export function soapResponse(element: string, inner: string): string {
  return `${ENVELOPE_OPEN}<pafn:${element}>${inner}</pafn:${element}>${ENVELOPE_CLOSE}`;
}

/** A SOAP 1.1 fault (HTTP 500): for messages that are not a paForNode request at all. */
export function soapFault(code: 'Client' | 'Server' | 'VersionMismatch', message: string): string {
  return (
    `<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="${SOAP11_NS}"><soapenv:Body><soapenv:Fault>` +
    `<faultcode>soapenv:${code}</faultcode><faultstring>${xmlEscape(message)}</faultstring>` +
    `</soapenv:Fault></soapenv:Body></soapenv:Envelope>`
  );
}
