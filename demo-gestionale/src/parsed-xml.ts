/**
 * Reading what fast-xml-parser gives for a SOAP message (removeNSPrefix, ignoreAttributes,
 * parseTagValue off): an element is an object of its children by local name, a leaf element is its
 * text (a string), and a repeated element is an array when the parser's isArray says so. The shape
 * is known only at run time, so these helpers look before they step.
 */
export type XmlNode = Readonly<Record<string, unknown>>;

function isNode(v: unknown): v is XmlNode {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The element reached from `node` through the children named in `path`; undefined when one is absent. */
export function child(node: unknown, ...path: string[]): XmlNode | undefined {
  let current = isNode(node) ? node : undefined;
  for (const name of path) {
    const next = current?.[name];
    current = isNode(next) ? next : undefined;
  }
  return current;
}

/** The repeated children `name` of `node` (parsed as an array); empty when there are none. */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  const list = node?.[name];
  return Array.isArray(list) ? list.filter(isNode) : [];
}

/** The text of a leaf element; '' when it is absent or not text. */
export function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** The text of an optional leaf element; undefined when absent or empty. */
export function optionalText(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}
