import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPdf, FONT, pdfBytes } from '../src/modules/printing/infra/pdf-base.js';
import { sharedFont } from '../src/modules/printing/infra/pdf-fonts.js';
import { projectPath } from '../src/shared/paths.js';

// The fonts are parsed once per process and shared by every PDF (infra/pdf-fonts.ts): each document
// must still embed its own subset of each face it uses, with the glyphs of its own texts.

const run = promisify(execFile);
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cassa-fonts-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function pdfWith(texts: [string, string][]): Promise<string> {
  const doc = createPdf({ title: 't', lang: 'it-IT' });
  doc.addPage();
  let y = 60;
  for (const [font, text] of texts) {
    doc.font(font).fontSize(14).text(text, 60, y);
    y += 30;
  }
  const file = join(dir, `f${Math.random().toString(36).slice(2)}.pdf`);
  await writeFile(file, await pdfBytes(doc));
  return file;
}

describe('fonts shared across documents', () => {
  it('gives the same marker for the same file, another for another file', () => {
    const regular = projectPath(
      'resources',
      'fonts',
      'titillium-web',
      'titillium-web-v10-latin-ext_latin-regular.ttf',
    );
    const bold = projectPath(
      'resources',
      'fonts',
      'titillium-web',
      'titillium-web-v10-latin-ext_latin-700.ttf',
    );
    expect(sharedFont(regular)).toBe(sharedFont(regular));
    expect(sharedFont(regular).equals(sharedFont(bold))).toBe(false);
  });

  it('embeds in each document the subsets of the faces it uses, with their own glyphs', async () => {
    const first = await pdfWith([
      [FONT.regular, 'Avviso di pagamento: Übergabe č š ž'],
      [FONT.bold, 'TARI 2026'],
    ]);
    const second = await pdfWith([[FONT.italic, 'Ricevuta — già pagata']]);
    const fontsOf = async (f: string) => (await run('pdffonts', [f])).stdout;
    const f1 = await fontsOf(first);
    const f2 = await fontsOf(second);
    // subset names (ABCDEF+Name), embedded (emb yes), one line per face used
    expect(f1.match(/\+TitilliumWeb-Regular/g)).toHaveLength(1);
    expect(f1.match(/\+TitilliumWeb-Bold/g)).toHaveLength(1);
    expect(f1).not.toContain('Italic');
    expect(f2.match(/\+TitilliumWeb-Italic/g)).toHaveLength(1);
    expect(f2).not.toContain('Bold');
    expect((await run('pdftotext', [first, '-'])).stdout).toContain('Übergabe č š ž');
    expect((await run('pdftotext', [second, '-'])).stdout).toContain('Ricevuta — già pagata');
  });
});
