// Every numeric option of every command is range-checked by its parser: a bad value is one line
// naming the option and the allowed range, before the command runs (driven in-process through
// commander, with its exit turned into an exception). And the library refuses the same values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Command } from 'commander';
import { createProgram } from '../../src/cli/main.js';
import { inRange, type Range } from '../../src/options/ranges.js';
import { finetune } from '../../src/train/finetune.js';
import { pretrain } from '../../src/train/pretrain.js';
import { compare } from '../../src/compare/compare.js';
import { createServer } from '../../src/serve/server.js';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { writeTinyData, writeTinyEncoder } from '../fixtures/tiny-encoder.js';

function allCommands(c: Command): Command[] {
  return [c, ...c.commands.flatMap(allCommands)];
}

/** Parse argv in-process; returns what commander wrote to stderr when it refused (or '' if it ran). */
async function refusal(args: string[]): Promise<string> {
  const program = createProgram();
  let err = '';
  for (const c of allCommands(program)) {
    c.exitOverride();
    c.configureOutput({ writeErr: (s) => (err += s), writeOut: () => undefined });
    c.action(() => undefined); // never run a command here
  }
  try {
    await program.parseAsync(['node', 'tuneshot', ...args]);
  } catch {
    /* commander's exit, turned into an exception */
  }
  return err;
}

const BAD: Array<[string[], RegExp]> = [
  [['finetune', '--model', 'm', '--train', 't.jsonl', '--out', 'o', '--batch-size', '0'], /'--batch-size <n>' argument '0' is invalid\. Expected an integer from 1 to 65536/],
  [['finetune', '--model', 'm', '--train', 't.jsonl', '--out', 'o', '--epochs', '-1'], /'--epochs <n>'.*Expected an integer from 1/],
  [['finetune', '--model', 'm', '--train', 't.jsonl', '--out', 'o', '--epochs', '0'], /'--epochs <n>'/],
  [['finetune', '--model', 'm', '--train', 't.jsonl', '--out', 'o', '--max-steps', '0'], /'--max-steps <n>'.*an integer >= 1/],
  [['finetune', '--model', 'm', '--train', 't.jsonl', '--out', 'o', '--lr', '0'], /'--lr <x>'.*a number > 0 and <= 1/],
  [['finetune', '--model', 'm', '--train', 't.jsonl', '--out', 'o', '--lr', '1e30'], /'--lr <x>'/],
  [['finetune', '--model', 'm', '--train', 't.jsonl', '--out', 'o', '--lora-r', '-4'], /'--lora-r <n>'/],
  [['finetune', '--model', 'm', '--train', 't.jsonl', '--out', 'o', '--lora-dropout', '1.5'], /'--lora-dropout <x>'.*>= 0 and < 1/],
  [['finetune', '--model', 'm', '--train', 't.jsonl', '--out', 'o', '--checkpoint-every', '-2'], /'--checkpoint-every <n>'/],
  [['finetune', '--model', 'm', '--train', 't.jsonl', '--out', 'o', '--max-length', '0'], /'--max-length <n>'/],
  [['finetune', '--model', 'm', '--train', 't.jsonl', '--out', 'o', '--batch-size', 'abc'], /'--batch-size <n>'/],
  [['icl', '--backend', 'builtin', '--model', 'm', '--demos', 'd', '--data', 'x', '--concurrency', '0'], /'--concurrency <n>'/],
  [['icl', '--backend', 'foo', '--model', 'm', '--demos', 'd', '--data', 'x'], /'--backend <name>'.*one of builtin, llamacpp, openai/],
  [['compare', '--train', 'a', '--test', 'b', '--out', 'c', '--test-limit', '0'], /'--test-limit <n>'/],
  [['compare', '--train', 'a', '--test', 'b', '--out', 'c', '--seeds', '0'], /'--seeds <n>'/],
  [['compare', '--train', 'a', '--test', 'b', '--out', 'c', '--budgets', '4,-1'], /'--budgets <list>'/],
  [['serve', '--model', 'm', '--queue-limit', '0'], /'--queue-limit <n>'/],
  [['serve', '--model', 'm', '--port', '70000'], /'--port <n>'.*from 0 to 65535/],
  [['serve', '--model', 'm', '--timeout-ms', '0'], /'--timeout-ms <n>'/],
  [['pretrain', '--objective', 'mlm', '--out', 'o', '--steps', '0'], /'--steps <n>'/],
  [['pretrain', '--objective', 'mlm', '--out', 'o', '--steps', '5', '--accumulate', '0'], /'--accumulate <n>'/],
  [['advise', '--latency-budget-ms', '-5'], /'--latency-budget-ms <x>'/],
  [['runs', 'ls', '--limit', '0'], /'--limit <n>'/],
];

test('bad numeric values: one line naming the option and the allowed range', async () => {
  for (const [args, expected] of BAD) {
    const err = await refusal(args);
    assert.match(err, expected, args.join(' '));
    assert.equal(err.trim().split('\n')[0]!.startsWith('error: '), true, err);
    assert.ok(err.trim().split('\n').length <= 2, `one line (and a hint), got:\n${err}`);
  }
  assert.equal(await refusal(['finetune', '--model', 'm', '--train', 't.jsonl', '--out', 'o', '--batch-size', '4', '--lr', '0.001']), '');
});

test('no option of any command takes a number without a range, and every default is inside it', () => {
  const numeric = /<(n|x)>/; // the CLI's placeholders for numbers (--poll-interval <seconds> is checked by pollIntervalMs)
  for (const c of allCommands(createProgram())) {
    for (const o of c.options) {
      const parser = (o as unknown as { parseArg?: { range?: Range } }).parseArg;
      if (parser?.range) {
        if (typeof o.defaultValue === 'number') assert.ok(inRange(o.defaultValue, parser.range), `${c.name()} ${o.flags}: default ${o.defaultValue} outside its range`);
        continue;
      }
      assert.doesNotMatch(o.flags, numeric, `${c.name()} ${o.flags} takes a number without a range check`);
      assert.notEqual(typeof o.defaultValue, 'number', `${c.name()} ${o.flags} has a numeric default but no range check`);
    }
  }
});

test('the library refuses the same values at its boundary, before any work', async () => {
  const cases: Array<[Promise<unknown>, RegExp]> = [
    [finetune({ model: 'tuneshot-base-encoder', train: [], batchSize: 0 }), /finetune: batchSize must be an integer from 1 to 65536, got 0/],
    [finetune({ model: 'tuneshot-base-encoder', train: [], lora: { dropout: 1.5 } }), /finetune: lora\.dropout must be a number >= 0 and < 1, got 1\.5/],
    [finetune({ model: 'tuneshot-base-encoder', train: [], lr: 1e30 }), /finetune: lr must be/],
    [finetune({ model: 'tuneshot-base-encoder', train: [], method: 'bogus' as 'full' }), /finetune: method must be one of full, lora, head/],
    [pretrain({ objective: 'mlm', corpus: ['x'], out: 'o', steps: 0 }), /pretrain: steps must be an integer >= 1, got 0/],
    [compare({ train: [], test: [], out: 'o', icl: ['builtin:x'], testLimit: 0 }), /compare: testLimit must be an integer >= 1, got 0/],
    [compare({ train: [], test: [], out: 'o', icl: ['foo:bar'] }), /compare: icl: unknown backend "foo" in "foo:bar" \(known: builtin, llamacpp, openai\)/],
    [compare({ train: [], test: [], out: 'o', icl: ['llamacpp:/no/such.gguf'] }), /no such GGUF file/],
  ];
  for (const [p, re] of cases) await assert.rejects(p, re);
  assert.throws(() => createServer({ queueLimit: 0 }), /serve: queueLimit must be an integer from 1|serve: queueLimit must be an integer >= 1/);
  assert.throws(() => createServer({ batching: { maxBatch: 0, waitMs: 0 } }), /serve: batching\.maxBatch/);
});

test('LoRA target modules must exist in the model: the error lists the valid ones (no adapter without LoRA weights)', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tuneshot-lora-'));
  const model = await writeTinyEncoder(dir);
  const out = path.join(dir, 'out');
  await assert.rejects(
    finetune({ model, train: writeTinyData(path.join(dir, 'd.jsonl')), method: 'lora', maxSteps: 1, lora: { targetModules: ['query', 'bogus'] }, out, quiet: true }),
    /--lora-targets: "bogus" names no module of this model; valid: dense, key, query, value/,
  );
  assert.equal(existsSync(out), false);
});
