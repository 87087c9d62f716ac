// In-context episodes (src/data/episodes.ts): rendered exactly as `tuneshot icl` prompts, the loss
// mask on the label tokens only, fitted to the window, and drawn from the seed alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tokenizer } from '../../src/formats/tokenizer.js';
import { resolveModel } from '../../src/models/index.js';
import { mulberry32 } from '../../src/data/random.js';
import { brownTask, EpisodeSampler, WORDNET_LEXNAMES, type LabelledTask } from '../../src/data/episodes.js';
import { createPromptProgram, renderPrompt } from '../../src/icl/prompt.js';

const tok = await Tokenizer.fromFolder(resolveModel('tuneshot-base-lm'));
const fruit = ['apple', 'pear', 'plum', 'cherry', 'grape', 'melon', 'lemon', 'peach'];
const tools = ['hammer', 'saw', 'drill', 'wrench', 'chisel', 'pliers', 'file', 'level'];
const birds = ['robin', 'crow', 'owl', 'hawk', 'finch', 'wren', 'swan', 'duck'];
const make = (xs: string[], what: string) => xs.flatMap((x) => [`the ${x} is a kind of ${what}`, `I saw a ${x} today near the ${what} shop and it was fine`]);
const tasks: LabelledTask[] = [{ name: 'toy', classes: ['b', 'f', 't'], names: ['bird', 'fruit', 'tool'], byClass: [make(birds, 'bird'), make(fruit, 'fruit'), make(tools, 'tool')] }];
const sampler = (o: { seqLen?: number; lossOn?: 'all' | 'query' } = {}) => new EpisodeSampler(tasks, tok, { seqLen: 256, ...o });
const FORMAT = /^(Input: [^\n]*\nLabel: [^\n ]+\n\n)*Input: [^\n]*\nLabel:$/;

test('an episode is the ICL prompt of its demonstrations and query, tokenized as scoring tokenizes it, with loss on the label tokens only', () => {
  const s = sampler();
  const rand = mulberry32(7);
  let withDemos = 0;
  for (let i = 0; i < 40; i++) {
    const e = s.sample(rand);
    assert.match(e.prompt, FORMAT);
    // The same text renderPrompt gives for these demonstrations (DEFAULT_CLASSIFY_TEMPLATE).
    const demos = [...e.prompt.matchAll(/Input: ([^\n]*)\nLabel: ([^\n]+)\n\n/g)].map((m) => ({ text: m[1]!, label: m[2]! }));
    const query = /Input: ([^\n]*)\nLabel:$/.exec(e.prompt)![1]!;
    const words = [...new Set([...demos.map((d) => d.label), e.continuation.trim()])];
    const program = createPromptProgram({ labels: words.length > 1 ? words : [words[0]!, 'other'], k: demos.length });
    assert.equal(renderPrompt(program, demos, query), e.prompt);
    assert.equal(e.k, demos.length);
    // Prompt ids as the whole prompt encodes, then the label continuation on its own.
    const promptIds = tok.encode(e.prompt, null, { addSpecialTokens: true });
    assert.deepEqual(e.ids.slice(0, promptIds.length), promptIds);
    assert.deepEqual(e.ids.slice(promptIds.length), tok.encode(e.continuation, null, { addSpecialTokens: false }));
    // The loss mask covers exactly the " label" tokens: every demonstration's, then the query's.
    const targets = e.ids.filter((_, j) => e.target[j] === 1);
    assert.equal(tok.decode(targets), [...demos.map((d) => ` ${d.label}`), e.continuation].join(''));
    assert.ok(e.ids.length <= 256);
    if (demos.length > 0) withDemos++;
  }
  assert.ok(withDemos > 20);
});

test('lossOn "query" puts the loss on the query label only', () => {
  const e = sampler({ lossOn: 'query' }).sample(mulberry32(3));
  assert.equal(tok.decode(e.ids.filter((_, j) => e.target[j] === 1)), e.continuation);
  assert.equal(e.target.slice(0, e.ids.length - tok.encode(e.continuation, null, { addSpecialTokens: false }).length).some((x) => x === 1), false);
});

test('episodes are drawn from the seed alone; real label names and arbitrary words both occur; a short window drops demonstrations', () => {
  const draw = (seed: number) => { const s = sampler(), r = mulberry32(seed); return Array.from({ length: 30 }, () => s.sample(r)); };
  const a = draw(11), b = draw(11), c = draw(12);
  assert.deepEqual(a.map((e) => [e.ids, Array.from(e.target)]), b.map((e) => [e.ids, Array.from(e.target)]));
  assert.notDeepEqual(a.map((e) => e.ids), c.map((e) => e.ids));
  const real = a.filter((e) => ['bird', 'fruit', 'tool'].includes(e.continuation.trim())).length;
  assert.ok(real > 0 && real < a.length, `real names in ${real} of ${a.length}`);
  assert.ok(new Set(a.map((e) => e.k)).size > 3);
  const short = sampler({ seqLen: 64 }), r = mulberry32(5);
  for (let i = 0; i < 20; i++) assert.ok(short.sample(r).ids.length <= 64);
});

test('Brown passages are labelled by the genre letter of their file; WordNet has the 45 standard lexicographer files', () => {
  const brown = brownTask();
  assert.equal(brown.classes.length, 15);
  assert.deepEqual(brown.classes, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r']);
  assert.equal(brown.names[0], 'news');
  // POS tags stripped ("The/at Fulton/np-tl" reads "The Fulton").
  assert.ok(brown.byClass.every((c) => c.length >= 100 && c.every((x) => !/\w\/(at|nn|in|vbd|jj|np)(-tl)?\b/.test(x))));
  assert.ok(brown.byClass[0]!.some((x) => x.startsWith('The Fulton County Grand Jury said Friday')));
  assert.equal(WORDNET_LEXNAMES.length, 45);
  assert.equal(WORDNET_LEXNAMES[3], 'noun.Tops');
  assert.equal(WORDNET_LEXNAMES[44], 'adj.ppl');
});
