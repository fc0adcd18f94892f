import { readFileSync } from 'node:fs';
import { create, registerFormat, type Font } from 'fontkit';

/**
 * Fonts parsed once per process instead of once per PDF. pdfkit parses a registered TrueType file with
 * fontkit each time a document first uses it (about 15 ms for four faces): one notice per PDF (a ZIP of
 * notices, a download) spent most of its time there. pdfkit takes only bytes or a path, so each face is
 * registered as an 8-byte marker that no real font format recognises and that a fontkit format of ours
 * turns back into the face parsed once (a fontkit format's constructor may return an existing object).
 * Sharing a parsed face is safe: its glyph and layout caches only ever hold what the file says, each
 * document keeps its own subset, and a subset is encoded synchronously (no interleaved reads).
 */

declare module 'fontkit' {
  /** fontkit's own API (src/base.js), missing from @types/fontkit: a format tried after the built-in ones. */
  export function registerFormat(format: { probe(buffer: Uint8Array): boolean }): void;
}

const MAGIC = [0x43, 0x41, 0x53, 0x53] as const; // "CASS"

interface ParsedFace {
  marker: Buffer;
}

const faces: Font[] = [];
const byPath = new Map<string, ParsedFace>();
let registered = false;

/** The fontkit format of the markers: probe recognises them, the constructor answers the parsed face. */
// eslint-disable-next-line @typescript-eslint/no-extraneous-class -- fontkit's format protocol: a static probe and `new format(stream)`
class ParsedFontFormat {
  static probe(buffer: Uint8Array): boolean {
    return buffer.length === 8 && MAGIC.every((b, i) => buffer[i] === b);
  }

  constructor(stream: { buffer: Uint8Array }) {
    const face = faces[new DataView(stream.buffer.buffer, stream.buffer.byteOffset + 4, 4).getUint32(0)];
    if (face === undefined) throw new Error('pdf-fonts: unknown face marker');
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment -- fontkit builds the font with `new format(stream)`: the parsed face is the font
    return face;
  }
}

/** What to give pdfkit's registerFont for the TrueType file at `path`: parsed on first use, then shared. */
export function sharedFont(path: string): Buffer {
  let face = byPath.get(path);
  if (!face) {
    if (!registered) {
      registerFormat(ParsedFontFormat);
      registered = true;
    }
    faces.push(create(readFileSync(path)) as Font);
    const marker = Buffer.alloc(8);
    marker.set(MAGIC, 0);
    marker.writeUInt32BE(faces.length - 1, 4);
    face = { marker };
    byPath.set(path, face);
  }
  return face.marker;
}
