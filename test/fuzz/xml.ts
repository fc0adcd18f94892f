import { ParseOption, XmlDocument } from 'libxml2-wasm';
import {
  cp,
  featureOf,
  hostileChar,
  insertBytes,
  INVALID_UTF8,
  mutateString,
  PROTO_KEYS,
  randomUnicode,
  type Mutated,
} from './mutate.js';
import type { Rng } from './prng.js';

/**
 * SOAP requests as small element trees, mutated as trees (names, duplicates, missing elements, deep
 * nesting, text) and then as text and bytes (DTDs, namespaces, encodings, truncation).
 */

export interface XEl {
  name: string;
  attrs: [string, string][];
  children: XNode[];
}
/** Text is escaped when written; raw is written as is (entities, CDATA, broken markup). */
export type XNode = XEl | { text: string } | { raw: string };

export function el(name: string, ...children: (XNode | string)[]): XEl {
  return { name, attrs: [], children: children.map((c) => (typeof c === 'string' ? { text: c } : c)) };
}
export function withAttrs(e: XEl, attrs: [string, string][]): XEl {
  return { ...e, attrs: [...e.attrs, ...attrs] };
}

function isEl(n: XNode): n is XEl {
  return 'name' in n;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escAttr = (s: string) => esc(s).replace(/"/g, '&quot;');

export function serialize(n: XNode): string {
  if (!isEl(n)) return 'text' in n ? esc(n.text) : n.raw;
  const attrs = n.attrs.map(([k, v]) => ` ${k}="${escAttr(v)}"`).join('');
  if (n.children.length === 0) return `<${n.name}${attrs}/>`;
  return `<${n.name}${attrs}>${n.children.map(serialize).join('')}</${n.name}>`;
}

export function clone<T extends XNode>(n: T): T {
  if (!isEl(n)) return { ...n };
  return {
    name: n.name,
    attrs: n.attrs.map(([k, v]) => [k, v]),
    children: n.children.map(clone),
  } as T;
}

interface Located {
  el: XEl;
  parent: XEl | undefined;
  path: string;
}

function elements(root: XEl, parent?: XEl, path = ''): Located[] {
  const here = `${path}/${root.name}`;
  const out: Located[] = [{ el: root, parent, path: here }];
  for (const c of root.children) if (isEl(c)) out.push(...elements(c, root, here));
  return out;
}

function textOf(e: XEl): string | undefined {
  return e.children.length === 1 && !isEl(e.children[0]!) && 'text' in e.children[0]!
    ? e.children[0].text
    : e.children.length === 0
      ? ''
      : undefined;
}

/** Local name (no prefix). */
export function localName(name: string): string {
  return name.slice(name.indexOf(':') + 1);
}

const PI_AND_COMMENTS = ['<!-- a comment -->', '<?fuzz instruction?>', '<!---->', '<!-- -- -->'];
const ENTITY_REFS: readonly (readonly [string, string])[] = [
  ['undefined-entity', '&nbsp;'],
  ['undefined-entity', '&xxe;'],
  ['charref-nul', '&#0;'],
  ['charref-nul', '&#x0;'],
  ['charref-control', '&#1;'],
  ['charref-surrogate', '&#xD800;'],
  ['charref-beyond-unicode', '&#x110000;'],
  ['charref-overflow', '&#99999999999999999999;'],
  ['charref-empty', '&#x;'],
  ['charref-valid', '&#233;&#x1F600;'],
  ['predefined', '&amp;&lt;&gt;&quot;&apos;'],
  ['lone-ampersand', '&'],
  ['raw-less-than', '<'],
  ['cdata-end', ']]>'],
];

/** The local names of the elements whose text is personal data (for the log check). */
export function textsOf(root: XEl, names: ReadonlySet<string>): string[] {
  return elements(root)
    .filter((l) => names.has(localName(l.el.name)))
    .map((l) => textOf(l.el))
    .filter((t): t is string => t !== undefined);
}

/**
 * One mutation of the tree below `scope` (the operation element): a new tree, its kind and what
 * was done (element paths from the body's element, without prefixes). The tree given is not changed.
 */
export function mutateTree(rng: Rng, root: XEl, scopeName: string): Mutated<XEl> {
  const m = mutateTreeOp(rng, root, scopeName);
  return {
    ...m,
    describe: m.describe.replace(/^\/[^ ]*?\/(?:[\w-]+:)?Body\//, '').replace(/(^|\/)[\w-]+:/g, '$1'),
  };
}

function mutateTreeOp(rng: Rng, root: XEl, scopeName: string): Mutated<XEl> {
  const tree = clone(root);
  const all = elements(tree);
  const scopeIndex = all.findIndex((l) => localName(l.el.name) === scopeName);
  const inScope =
    scopeIndex >= 0
      ? elements(
          all[scopeIndex]!.el,
          all[scopeIndex]!.parent,
          all[scopeIndex]!.path.slice(0, all[scopeIndex]!.path.lastIndexOf('/')),
        )
      : all;
  const below = inScope.slice(1);
  const leaves = below.filter((l) => textOf(l.el) !== undefined);
  const target = rng.pick(leaves.length > 0 ? leaves : inScope);
  const op = rng.weighted([
    [34, 'text'],
    [8, 'entity'],
    [3, 'cdata'],
    [2, 'comment'],
    [9, 'proto-element'],
    [4, 'proto-rename'],
    [7, 'duplicate'],
    [7, 'missing'],
    [3, 'empty'],
    [4, 'deep'],
    [2, 'many'],
    [3, 'prefixed'],
    [3, 'attribute'],
    [2, 'mixed'],
    [2, 'invalid-name'],
  ] as const);
  switch (op) {
    case 'text': {
      const m = mutateString(rng, textOf(target.el) ?? '');
      target.el.children = [{ text: m.value }];
      return { value: tree, kind: `text:${m.kind}`, describe: `${target.path}: ${m.describe}` };
    }
    case 'entity': {
      const [label, ref] = rng.pick(ENTITY_REFS);
      const t = textOf(target.el) ?? '';
      const at = rng.int(t.length + 1);
      target.el.children = [{ text: t.slice(0, at) }, { raw: ref }, { text: t.slice(at) }];
      return { value: tree, kind: `entity:${label}`, describe: `${target.path}: inserted ${ref} at ${at}` };
    }
    case 'cdata': {
      const { ch } = hostileChar(rng);
      const inner = rng.pick([textOf(target.el) ?? '', `a${ch}b`, 'x]]>y', '<b>not markup</b>']);
      target.el.children = [{ raw: `<![CDATA[${inner}]]>` }];
      return { value: tree, kind: 'cdata', describe: `${target.path}: CDATA ${JSON.stringify(inner)}` };
    }
    case 'comment': {
      const c = rng.pick(PI_AND_COMMENTS);
      target.el.children.splice(rng.int(target.el.children.length + 1), 0, { raw: c });
      return { value: tree, kind: 'comment-or-pi', describe: `${target.path}: ${c} inside` };
    }
    case 'proto-element': {
      const name = rng.pick(PROTO_KEYS);
      // into the operation element or one of its containers (an element with element children)
      const host = rng.pick(inScope.filter((l) => l === inScope[0] || l.el.children.some(isEl)));
      const child = rng.chance(0.5) ? el(name, rng.pick(['1', 'x', ''])) : el(name, el('polluted', 'yes'));
      host.el.children.splice(rng.int(host.el.children.length + 1), 0, child);
      return { value: tree, kind: 'element:proto-name', describe: `${host.path}: added <${name}>` };
    }
    case 'proto-rename': {
      const name = rng.pick(PROTO_KEYS);
      const old = target.el.name;
      target.el.name = old.includes(':') ? `${old.slice(0, old.indexOf(':') + 1)}${name}` : name;
      return { value: tree, kind: 'element:proto-rename', describe: `${target.path}: renamed to ${name}` };
    }
    case 'duplicate': {
      const t = rng.pick(below.length > 0 ? below : inScope);
      if (!t.parent) return { value: tree, kind: 'none', describe: 'nothing' };
      const copy = clone(t.el);
      if (rng.chance(0.5) && textOf(copy) !== undefined)
        copy.children = [{ text: mutateString(rng, textOf(copy) ?? '').value.slice(0, 200) }];
      t.parent.children.splice(t.parent.children.indexOf(t.el) + 1, 0, copy);
      return { value: tree, kind: 'element:duplicate', describe: `${t.path} twice` };
    }
    case 'missing': {
      const t = rng.pick(below.length > 0 ? below : inScope);
      if (!t.parent) return { value: tree, kind: 'none', describe: 'nothing' };
      t.parent.children.splice(t.parent.children.indexOf(t.el), 1);
      return { value: tree, kind: 'element:missing', describe: `${t.path} removed` };
    }
    case 'empty': {
      const t = rng.pick(below.length > 0 ? below : inScope);
      t.el.children = [];
      return { value: tree, kind: 'element:empty', describe: `${t.path} empty` };
    }
    case 'deep': {
      const depth = rng.pick([20, 100, 300, 1000, 10_000]);
      const name = rng.pick(['a', 'x:a', localName(target.el.name)]);
      target.el.children = [{ raw: `${`<${name}>`.repeat(depth)}1${`</${name}>`.repeat(depth)}` }];
      return {
        value: tree,
        kind: depth <= 20 ? 'element:nested-20' : `element:deep-${depth >= 1000 ? '1000+' : depth}`,
        describe: `${target.path}: ${depth} nested <${name}>`,
      };
    }
    case 'many': {
      const n = rng.pick([1000, 20_000]);
      const host = target.parent ?? target.el;
      host.children.push({ raw: `<${localName(target.el.name)}>1</${localName(target.el.name)}>`.repeat(n) });
      return { value: tree, kind: 'element:many', describe: `${n} more <${localName(target.el.name)}>` };
    }
    case 'prefixed': {
      const how = rng.pick(['undeclared', 'foreign', 'default-ns'] as const);
      const local = localName(target.el.name);
      if (how === 'undeclared') target.el.name = `zz:${local}`;
      else if (how === 'foreign') {
        target.el.name = `f:${local}`;
        target.el.attrs.push(['xmlns:f', 'urn:fuzz:other']);
      } else target.el.attrs.push(['xmlns', rng.pick(['', 'urn:fuzz:other'])]);
      return { value: tree, kind: `element:prefix-${how}`, describe: `${target.path}: ${how} namespace` };
    }
    case 'attribute': {
      const a = rng.pick<[string, string][]>([
        [
          ['xsi:nil', 'true'],
          ['xmlns:xsi', 'http://www.w3.org/2001/XMLSchema-instance'],
        ],
        [['a', `x${hostileChar(rng).ch}y`]],
        [
          ['a', '1'],
          ['a', '2'],
        ],
        [['xmlns:pafn', 'urn:fuzz:evil']],
        [['__proto__', 'x']],
        [['@_xmlns', 'x']],
      ]);
      target.el.attrs.push(...a);
      return {
        value: tree,
        kind: 'attribute',
        describe: `${target.path}: attributes ${a.map(([k]) => k).join(' ')}`,
      };
    }
    case 'mixed': {
      target.el.children.push(el('extra', 'x'), { text: 'tail' });
      return { value: tree, kind: 'element:mixed-content', describe: `${target.path}: text and an element` };
    }
    case 'invalid-name': {
      const name = rng.pick(['1abc', 'a b', '-x', 'a:b:c', 'a\u0000b', '']);
      target.el.name = name;
      return {
        value: tree,
        kind: 'element:invalid-name',
        describe: `${target.path}: renamed to ${JSON.stringify(name)}`,
      };
    }
  }
}

const DTDS: readonly (readonly [string, string, string])[] = [
  ['internal-entity', '<!DOCTYPE Envelope [<!ENTITY x "entity-text">]>', '&x;'],
  ['external-entity', '<!DOCTYPE Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', '&xxe;'],
  [
    'billion-laughs',
    `<!DOCTYPE Envelope [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 8 }, (_, i) => `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`).join('')}]>`,
    '&i;',
  ],
  ['parameter-entity', '<!DOCTYPE Envelope [<!ENTITY % p SYSTEM "http://127.0.0.1:1/evil.dtd"> %p;]>', ''],
  ['doctype-only', '<!DOCTYPE Envelope>', ''],
  ['doctype-lowercase', '<!doctype Envelope>', ''],
  ['external-dtd', '<!DOCTYPE Envelope SYSTEM "http://127.0.0.1:1/x.dtd">', ''],
];

export interface XmlDocParts {
  /** The XML declaration, if any (without it the document is UTF-8). */
  declaration: string;
  root: XEl;
}

export interface XmlPayload {
  bytes: Buffer;
  kind: string;
  describe: string;
}

/** Text and byte level mutations of a serialized document; `text` is the tree already written. */
export function mutateDocument(rng: Rng, text: string): XmlPayload {
  const op = rng.weighted([
    [12, 'dtd'],
    [10, 'namespace'],
    [10, 'encoding'],
    [9, 'invalid-utf8'],
    [10, 'truncated'],
    [6, 'random-bytes'],
    [5, 'random-text'],
    [6, 'prolog'],
    [6, 'envelope'],
    [4, 'raw-char'],
  ] as const);
  const utf8 = (s: string) => Buffer.from(s, 'utf8');
  const body = text.replace(/^<\?xml[^>]*\?>/, '');
  const decl = '<?xml version="1.0" encoding="UTF-8"?>';
  switch (op) {
    case 'dtd': {
      const [label, dtd, ref] = rng.pick(DTDS);
      // the entity reference goes into a text node of the body, if there is one
      const withRef = ref ? body.replace(/>([^<>]+)</, (_m, t: string) => `>${t}${ref}<`) : body;
      return {
        bytes: utf8(`${decl}${dtd}${withRef}`),
        kind: `dtd:${label}`,
        describe: `DTD ${dtd.slice(0, 80)}`,
      };
    }
    case 'namespace': {
      const how = rng.pick([
        'soap12',
        'wrong-soap',
        'no-soap-ns',
        'wrong-body-ns',
        'no-body-ns',
        'undeclared-env-prefix',
      ] as const);
      let t = body;
      if (how === 'soap12')
        t = t.replace('http://schemas.xmlsoap.org/soap/envelope/', 'http://www.w3.org/2003/05/soap-envelope');
      else if (how === 'wrong-soap')
        t = t.replace(
          'http://schemas.xmlsoap.org/soap/envelope/',
          'http://schemas.xmlsoap.org/soap/envelope',
        );
      else if (how === 'no-soap-ns') t = t.replace(/ xmlns:soapenv="[^"]*"/, '');
      else if (how === 'wrong-body-ns') t = t.replace(/(xmlns:(?:pafn|srv)=")[^"]*"/, '$1urn:fuzz:wrong"');
      else if (how === 'no-body-ns') t = t.replace(/ xmlns:(?:pafn|srv)="[^"]*"/, '');
      else t = t.replace(/soapenv:/g, 'env:');
      return { bytes: utf8(decl + t), kind: `namespace:${how}`, describe: `namespace: ${how}` };
    }
    case 'encoding': {
      const how = rng.pick([
        'latin1',
        'latin1-undeclared',
        'windows-1252',
        'utf16-declared-utf8-bytes',
        'utf16le-bom',
        'unknown',
        'ebcdic',
        'utf8-bom',
        'utf32',
        'ascii-with-accents',
      ] as const);
      // an accented word in a text node, where the encodings differ
      const accented = body.replace(/>([^<>]{1,40})</, (_m, t: string) => `>${t} Niccolò Città €<`);
      switch (how) {
        case 'latin1':
          return {
            bytes: Buffer.from(
              `<?xml version="1.0" encoding="ISO-8859-1"?>${accented.replace('€', 'E')}`,
              'latin1',
            ),
            kind: 'encoding:latin1',
            describe: 'ISO-8859-1 declared and used (valid)',
          };
        case 'latin1-undeclared':
          return {
            bytes: Buffer.from(accented, 'latin1'),
            kind: 'encoding:latin1-undeclared',
            describe: 'ISO-8859-1 bytes without declaration (invalid UTF-8)',
          };
        case 'windows-1252':
          return {
            bytes: Buffer.concat([
              utf8('<?xml version="1.0" encoding="windows-1252"?>'),
              Buffer.from(accented.replace('€', '\u0080'), 'latin1'),
            ]),
            kind: 'encoding:windows-1252',
            describe: 'windows-1252 declared',
          };
        case 'utf16-declared-utf8-bytes':
          return {
            bytes: utf8(`<?xml version="1.0" encoding="UTF-16"?>${accented}`),
            kind: 'encoding:utf16-declared',
            describe: 'UTF-16 declared, UTF-8 bytes',
          };
        case 'utf16le-bom':
          return {
            bytes: Buffer.concat([
              Buffer.from([0xff, 0xfe]),
              Buffer.from(`<?xml version="1.0" encoding="UTF-16"?>${accented}`, 'utf16le'),
            ]),
            kind: 'encoding:utf16le-bom',
            describe: 'UTF-16LE with BOM (valid XML)',
          };
        case 'unknown':
          return {
            bytes: utf8(`<?xml version="1.0" encoding="x-fuzz-${rng.int(100)}"?>${accented}`),
            kind: 'encoding:unknown',
            describe: 'an unknown encoding name',
          };
        case 'ebcdic':
          return {
            bytes: utf8(`<?xml version="1.0" encoding="IBM037"?>${accented}`),
            kind: 'encoding:ebcdic',
            describe: 'EBCDIC declared, ASCII bytes',
          };
        case 'utf8-bom':
          return {
            bytes: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8(decl + accented)]),
            kind: 'encoding:utf8-bom',
            describe: 'UTF-8 BOM (valid)',
          };
        case 'utf32':
          return {
            bytes: utf8(`<?xml version="1.0" encoding="UTF-32"?>${accented}`),
            kind: 'encoding:utf32',
            describe: 'UTF-32 declared, UTF-8 bytes',
          };
        case 'ascii-with-accents':
          return {
            bytes: utf8(`<?xml version="1.0" encoding="US-ASCII"?>${accented}`),
            kind: 'encoding:ascii',
            describe: 'US-ASCII declared, UTF-8 accents',
          };
      }
      break;
    }
    case 'invalid-utf8': {
      const [label, bytes] = rng.pick(INVALID_UTF8);
      const full = utf8(decl + body);
      // inside a text node: the byte after a '>' that is followed by text
      const positions: number[] = [];
      for (let i = 0; i < full.length - 1; i++)
        if (full[i] === 0x3e && full[i + 1] !== 0x3c) positions.push(i + 1);
      const at = positions.length > 0 ? rng.pick(positions) : rng.int(full.length);
      return {
        bytes: insertBytes(full, at, bytes),
        kind: `invalid-utf8:${label}`,
        describe: `bytes ${bytes.map((b) => b.toString(16)).join(' ')} at byte ${at}`,
      };
    }
    case 'truncated': {
      const full = utf8(decl + body);
      const at = rng.int(full.length);
      return {
        bytes: full.subarray(0, at),
        kind: 'truncated',
        describe: `cut at byte ${at} of ${full.length}`,
      };
    }
    case 'random-bytes': {
      const n = rng.pick([0, 1, 16, 300, 4000]);
      const bytes = rng.bytes(n);
      return {
        bytes,
        kind: `random-bytes:${featureOf(bytes.toString('utf8'))}`,
        describe: `${n} random bytes`,
      };
    }
    case 'random-text': {
      const how = rng.pick(['unicode', 'tags', 'xml-prefix'] as const);
      if (how === 'unicode') {
        const t = randomUnicode(rng, rng.range(1, 400));
        return { bytes: utf8(t), kind: `random-text:${featureOf(t)}`, describe: 'random code points' };
      }
      if (how === 'tags') {
        let s = '';
        for (let i = 0; i < rng.range(1, 40); i++)
          s += rng.pick([
            '<a>',
            '</a>',
            '<b/>',
            'text',
            '<',
            '>',
            '&',
            '"',
            '<?',
            '?>',
            '<!--',
            '-->',
            '<![CDATA[',
            ']]>',
          ]);
        return {
          bytes: utf8(s),
          kind: 'random-tags',
          describe: `random markup ${JSON.stringify(s.slice(0, 60))}`,
        };
      }
      const t = randomUnicode(rng, rng.range(1, 80));
      return {
        bytes: utf8(`${decl}${t}`),
        kind: `random-text:${featureOf(t)}`,
        describe: 'declaration then random code points',
      };
    }
    case 'prolog': {
      const how = rng.pick([
        'space-before-declaration',
        'two-declarations',
        'version-1.1',
        'trailing-garbage',
        'two-roots',
        'empty',
        'only-declaration',
        'standalone',
      ] as const);
      const variants: Record<typeof how, string> = {
        'space-before-declaration': `  ${decl}${body}`,
        'two-declarations': `${decl}${decl}${body}`,
        'version-1.1': `<?xml version="1.1" encoding="UTF-8"?>${body}`,
        'trailing-garbage': `${decl}${body}garbage<x>`,
        'two-roots': `${decl}${body}${body}`,
        empty: '',
        'only-declaration': decl,
        standalone: `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>${body}`,
      };
      return { bytes: utf8(variants[how]), kind: `prolog:${how}`, describe: how };
    }
    case 'envelope': {
      const how = rng.pick([
        'two-bodies',
        'no-body',
        'header-junk',
        'must-understand',
        'two-operations',
        'body-text',
      ] as const);
      let t = body;
      if (how === 'two-bodies') t = t.replace(/(<soapenv:Body>[\s\S]*<\/soapenv:Body>)/, '$1$1');
      else if (how === 'no-body') t = t.replace(/<soapenv:Body>[\s\S]*<\/soapenv:Body>/, '');
      else if (how === 'header-junk')
        t = t.replace(
          /<soapenv:Header\/>|<soapenv:Header>[\s\S]*?<\/soapenv:Header>/,
          '<soapenv:Header><constructor>1</constructor><__proto__><x>1</x></__proto__></soapenv:Header>',
        );
      else if (how === 'must-understand')
        t = t.replace(
          /<soapenv:Header\/>/,
          '<soapenv:Header><w:Security xmlns:w="urn:fuzz" soapenv:mustUnderstand="1"/></soapenv:Header>',
        );
      else if (how === 'two-operations')
        t = t.replace(/<soapenv:Body>([\s\S]*)<\/soapenv:Body>/, '<soapenv:Body>$1$1</soapenv:Body>');
      else t = t.replace(/<soapenv:Body>/, '<soapenv:Body>some text');
      return { bytes: utf8(decl + t), kind: `envelope:${how}`, describe: how };
    }
    case 'raw-char': {
      const { label, ch } = hostileChar(rng);
      // somewhere in the markup, not only in text (e.g. inside a tag name or between attributes)
      const at = rng.int(body.length + 1);
      return {
        bytes: utf8(decl + body.slice(0, at) + ch + body.slice(at)),
        kind: `raw-char:${label}`,
        describe: `${cp(ch)} at character ${at} of the markup`,
      };
    }
  }
  return { bytes: utf8(text), kind: 'none', describe: 'unchanged' };
}

export interface WellFormedness {
  wellFormed: boolean;
  hasDtd: boolean;
  error?: string;
}

/**
 * What libxml2 (the reference parser) says of a document: well-formed or not, and whether it has
 * a DTD. External loads are off; documents deeper than libxml2's limit (256) count as not
 * well-formed, which only makes the oracle quieter.
 */
export function wellFormedness(bytes: Buffer): WellFormedness {
  const head = bytes.subarray(0, 4096).toString('latin1');
  const hasDtd = /<!DOCTYPE/i.test(head) || /<!DOCTYPE/i.test(bytes.toString('utf8'));
  try {
    const doc = XmlDocument.fromBuffer(bytes, {
      option:
        ParseOption.XML_PARSE_NONET |
        ParseOption.XML_PARSE_NO_XXE |
        ParseOption.XML_PARSE_NOERROR |
        ParseOption.XML_PARSE_NOWARNING,
    });
    doc.dispose();
    return { wellFormed: true, hasDtd };
  } catch (e) {
    const details = (e as { details?: { message: string }[] }).details
      ?.map((d) => d.message.trim())
      .join('; ');
    return { wellFormed: false, hasDtd, error: (details || (e as Error).message).slice(0, 200) };
  }
}
