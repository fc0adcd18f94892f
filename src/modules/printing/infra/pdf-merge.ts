/**
 * Merges PDFs into one, streaming: the parts are read one at a time, and what stays in memory between them is
 * one offset per object written and one reference per part (the new page tree's kids). The merged print run of
 * mass printing (docs/printing.md "Batches, lease and resumption") is built this way from its batches' parts.
 *
 * For pdfkit's own output only (infra/pdf-base.ts `createPdf`, uncompressed object layout): a classic
 * cross-reference table (`startxref` → `xref`, subsections of 20-byte entries) and trailer with /Root and
 * /Info, objects `N 0 obj ... endobj` laid one after the other, no object or xref streams, no encryption, no
 * incremental updates. Anything else is refused with an error, not guessed at.
 *
 * Each part contributes the objects reachable from its catalog's /Pages node (its pages, contents, resources,
 * fonts, images); its Catalog, Info and what only they reference (metadata, names) are dropped. The objects are
 * renumbered densely in the order they are written; references (`N 0 R`) are rewritten only in an object's
 * dictionary part, before a `stream` keyword, never inside stream data, and outside literal strings (the
 * strings are parsed, escapes and nested parentheses included, and copied as they are). Each part's Pages node
 * gets a /Parent pointing to the merged file's root Pages node, written at the end with the Catalog, the Info,
 * the cross-reference table and the trailer.
 */

export interface MergeInfo {
  title: string;
  producer: string;
}

/** What the parser found wrong in a part: the part is not a PDF this merger reads. */
export class PdfMergeError extends Error {
  constructor(message: string) {
    super(`pdf merge: ${message}`);
    this.name = 'PdfMergeError';
  }
}

const ROOT_PAGES = 1;
const CATALOG = 2;
const INFO = 3;
const FIRST_FREE = 4;

/**
 * The merged PDF's bytes, in pieces as they are ready: the parts' pages in order. `parts` is read one part
 * at a time (an async iterable the caller may fetch lazily, e.g. one row at a time from the database).
 */
export async function* mergePdfs(
  parts: AsyncIterable<Buffer> | Iterable<Buffer>,
  info: MergeInfo,
): AsyncGenerator<Buffer> {
  const offsets: number[] = []; // offsets[n] = where object n starts
  const kids: number[] = [];
  let pageCount = 0;
  let at = 0;
  let next = FIRST_FREE;
  const out = (b: Buffer): Buffer => {
    at += b.length;
    return b;
  };
  yield out(Buffer.from('%PDF-1.7\n%\xff\xff\xff\xff\n', 'latin1'));
  let partNo = 0;
  for await (const part of parts) {
    partNo++;
    const parsed = parsePart(part, partNo);
    const renumber = new Map<number, number>();
    for (const n of parsed.objects) renumber.set(n, next++);
    kids.push(renumber.get(parsed.pages)!);
    pageCount += parsed.count;
    for (const n of parsed.objects) {
      const obj = parsed.spans.get(n)!;
      const num = renumber.get(n)!;
      let dict = rewriteRefs(obj.dict, renumber, partNo, n);
      if (n === parsed.pages) dict = dict.replace(/^(\s*)<</, `$1<<\n/Parent ${ROOT_PAGES} 0 R`);
      offsets[num] = at;
      yield out(Buffer.from(`${num} 0 obj\n${dict}`, 'latin1'));
      yield out(part.subarray(obj.restFrom, obj.restTo));
    }
  }
  if (kids.length === 0) throw new PdfMergeError('no part to merge');
  const tail: [number, string][] = [
    [
      ROOT_PAGES,
      `<<\n/Type /Pages\n/Kids [${kids.map((k) => `${k} 0 R`).join(' ')}]\n/Count ${pageCount}\n>>`,
    ],
    [CATALOG, `<<\n/Type /Catalog\n/Pages ${ROOT_PAGES} 0 R\n>>`],
    [INFO, `<<\n/Title ${pdfString(info.title)}\n/Producer ${pdfString(info.producer)}\n>>`],
  ];
  for (const [num, body] of tail) {
    offsets[num] = at;
    yield out(Buffer.from(`${num} 0 obj\n${body}\nendobj\n`, 'latin1'));
  }
  const xrefAt = at;
  const lines = [`xref\n0 ${next}\n`, '0000000000 65535 f \n'];
  for (let n = 1; n < next; n++) {
    const o = offsets[n];
    if (o === undefined) throw new PdfMergeError(`object ${n} was never written`);
    lines.push(`${String(o).padStart(10, '0')} 00000 n \n`);
  }
  lines.push(
    `trailer\n<<\n/Size ${next}\n/Root ${CATALOG} 0 R\n/Info ${INFO} 0 R\n>>\nstartxref\n${xrefAt}\n%%EOF\n`,
  );
  yield out(Buffer.from(lines.join(''), 'latin1'));
}

/** A PDF string for the Info dictionary: literal when ASCII, UTF-16BE (with its BOM) in hex otherwise. */
function pdfString(s: string): string {
  if (/^[\x20-\x7e]*$/.test(s)) return `(${s.replace(/[\\()]/g, (c) => `\\${c}`)})`;
  const utf16 = Buffer.from(`\ufeff${s}`, 'utf16le').swap16();
  return `<${utf16.toString('hex').toUpperCase()}>`;
}

interface ObjectSpan {
  /** The object's text after `N 0 obj`, up to its `stream` keyword (excluded) or to its end. */
  dict: string;
  /** The rest of the object, copied byte for byte: `stream`, its data, `endstream`, `endobj`. */
  restFrom: number;
  restTo: number;
}

interface ParsedPart {
  /** The catalog's /Pages node. */
  pages: number;
  count: number;
  /** The objects to copy (reachable from /Pages), in the order of the part. */
  objects: number[];
  spans: Map<number, ObjectSpan>;
}

function parsePart(buf: Buffer, partNo: number): ParsedPart {
  const fail = (what: string) => new PdfMergeError(`part ${partNo}: ${what}`);
  const text = buf.toString('latin1');
  if (!text.startsWith('%PDF-')) throw fail('not a PDF');
  const sx = /startxref\s+(\d+)\s+%%EOF\s*$/.exec(text.slice(-1024));
  if (!sx) throw fail('no startxref at its end');
  const xrefAt = Number(sx[1]);
  if (text.slice(xrefAt, xrefAt + 4) !== 'xref') throw fail('no classic xref table at startxref');
  // the cross-reference subsections: "first count" then count entries of 20 bytes
  const offsets = new Map<number, number>();
  let pos = xrefAt + 4;
  const sub = /\s*(\d+) (\d+)\s*?\r?\n/y;
  for (;;) {
    sub.lastIndex = pos;
    const m = sub.exec(text);
    if (!m) break;
    const first = Number(m[1]);
    const count = Number(m[2]);
    pos = sub.lastIndex;
    for (let k = 0; k < count; k++) {
      const entry = text.slice(pos, pos + 20);
      const e = /^(\d{10}) (\d{5}) ([nf])[ \r][\r\n]$/.exec(entry);
      if (!e) throw fail(`bad xref entry for object ${first + k}`);
      if (e[3] === 'n') {
        if (e[2] !== '00000') throw fail(`object ${first + k} has generation ${e[2]}`);
        offsets.set(first + k, Number(e[1]));
      }
      pos += 20;
    }
  }
  const tr = /^\s*trailer\s*<<([\s\S]*?)>>\s*startxref/.exec(text.slice(pos));
  if (!tr) throw fail('no trailer after the xref table');
  if (/\/(Encrypt|Prev|XRefStm)\b/.test(tr[1]!)) throw fail('encrypted or incrementally updated');
  const root = /\/Root (\d+) 0 R/.exec(tr[1]!);
  if (!root) throw fail('no /Root in the trailer');

  // each object's extent: from its offset to the next object's (pdfkit writes them one after the other)
  const starts = [...offsets.entries()].sort((a, b) => a[1] - b[1]);
  const spans = new Map<number, ObjectSpan>();
  for (const [k, [num, from]] of starts.entries()) {
    const to = k + 1 < starts.length ? starts[k + 1]![1] : xrefAt;
    const head = new RegExp(`${num} 0 obj\\s`, 'y');
    head.lastIndex = from;
    if (!head.test(text)) throw fail(`object ${num} is not at its xref offset`);
    const bodyFrom = head.lastIndex;
    const dictEnd = dictionaryEnd(text, bodyFrom, to, () => fail(`object ${num}: unterminated string`));
    spans.set(num, { dict: text.slice(bodyFrom, dictEnd), restFrom: dictEnd, restTo: to });
  }

  const catalog = spans.get(Number(root[1]));
  if (!catalog || !/\/Type\s*\/Catalog\b/.test(catalog.dict)) throw fail('/Root is not a catalog');
  const pagesRef = /\/Pages (\d+) 0 R/.exec(catalog.dict);
  if (!pagesRef) throw fail('the catalog has no /Pages');
  const pages = Number(pagesRef[1]);
  const pagesDict = spans.get(pages)?.dict;
  if (!pagesDict || !/\/Type\s*\/Pages\b/.test(pagesDict)) throw fail('/Pages is not a page tree node');
  if (/\/Parent\b/.test(pagesDict)) throw fail('the /Pages node has a /Parent');
  const count = /\/Count (\d+)/.exec(pagesDict);
  if (!count) throw fail('the /Pages node has no /Count');

  // what the pages need: the objects reachable from the page tree
  const reach = new Set<number>([pages]);
  const todo = [pages];
  while (todo.length > 0) {
    const n = todo.pop()!;
    const span = spans.get(n);
    if (!span) throw fail(`object ${n} is referenced but not in the xref table`);
    for (const r of refsOf(span.dict)) {
      if (!reach.has(r)) {
        reach.add(r);
        todo.push(r);
      }
    }
  }
  return {
    pages,
    count: Number(count[1]),
    objects: starts.map(([n]) => n).filter((n) => reach.has(n)),
    spans,
  };
}

const REF = /(?<![\w.])(\d+) 0 R(?![\w])/g;

/** The text outside literal strings, split at them: even indexes are outside, odd ones are strings. */
function splitStrings(s: string): string[] {
  const out: string[] = [];
  let from = 0;
  let i = 0;
  while (i < s.length) {
    if (s[i] !== '(') {
      i++;
      continue;
    }
    out.push(s.slice(from, i));
    const end = stringEnd(s, i, s.length);
    if (end < 0) throw new PdfMergeError('unterminated string');
    out.push(s.slice(i, end));
    from = i = end;
  }
  out.push(s.slice(from));
  return out;
}

function refsOf(dict: string): number[] {
  const refs: number[] = [];
  for (const [k, piece] of splitStrings(dict).entries()) {
    if (k % 2 === 1) continue;
    for (const m of piece.matchAll(REF)) refs.push(Number(m[1]));
  }
  return refs;
}

function rewriteRefs(dict: string, renumber: Map<number, number>, partNo: number, obj: number): string {
  return splitStrings(dict)
    .map((piece, k) =>
      k % 2 === 1
        ? piece
        : piece.replace(REF, (_, n: string) => {
            const to = renumber.get(Number(n));
            if (to === undefined)
              throw new PdfMergeError(`part ${partNo}: object ${obj} references ${n}, not copied`);
            return `${to} 0 R`;
          }),
    )
    .join('');
}

/** The end (exclusive) of the literal string opening at `i`: nested parentheses and escapes; -1 if none. */
function stringEnd(s: string, i: number, limit: number): number {
  let depth = 0;
  for (let j = i; j < limit; j++) {
    const c = s[j];
    if (c === '\\') j++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return j + 1;
  }
  return -1;
}

/**
 * Where an object's dictionary part ends: at its `stream` keyword (outside strings), or at the end of the
 * object when it has no stream.
 */
function dictionaryEnd(s: string, from: number, to: number, unterminated: () => Error): number {
  for (let i = from; i < to; i++) {
    const c = s[i];
    if (c === '(') {
      const end = stringEnd(s, i, to);
      if (end < 0) throw unterminated();
      i = end - 1;
    } else if (
      c === 's' &&
      s.startsWith('stream', i) &&
      /[\s>]/.test(s[i - 1] ?? '') &&
      /[\r\n]/.test(s[i + 6] ?? '')
    ) {
      return i;
    } else if (c === 'e' && s.startsWith('endobj', i) && /\s/.test(s[i - 1] ?? '')) {
      return i;
    }
  }
  return to;
}
