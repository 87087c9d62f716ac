// The CLI as a user runs it (a real child process, a temporary TUNESHOT_HOME): compare on a slice of
// the spam data, then `runs ls` lists the run, `runs show` prints it, `advise` and `report` read
// its results, and `runs rm` removes it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { makeFixture } from '../fixtures/tiny-pretrained-models.js';
import { parseBaselines } from '../../src/cli/compare.js';
import { parseMetric } from '../../src/eval/metric.js';

const run = promisify(execFile);

test('tuneshot compare, runs ls/show/rm, advise and report', { timeout: 120_000 }, async () => {
  const fx = await makeFixture();
  const env = { ...process.env, TUNESHOT_HOME: path.join(fx.dir, 'home') };
  const cli = (...args: string[]) => run('node', ['--import', 'tsx', 'src/cli/run.ts', ...args], { env, encoding: 'utf8' });
  const trainFile = path.join(fx.dir, 'train.jsonl'), testFile = path.join(fx.dir, 'test.jsonl');
  writeFileSync(trainFile, fx.train.map((e) => JSON.stringify({ text: e.text, label: e.label })).join('\n') + '\n');
  writeFileSync(testFile, fx.test.slice(0, 10).map((e) => JSON.stringify({ text: e.text, label: e.label })).join('\n') + '\n');
  const out = path.join(fx.dir, 'cmp');

  const c = await cli('compare', '--train', trainFile, '--test', testFile, '--icl', `builtin:${fx.decoder}`, '--ft', fx.encoder,
    '--methods', 'head', '--budgets', '0,2', '--seeds', '1', '--k', '2', '--epochs', '1', '--out', out, '--quiet');
  // ICL at 0 and 2, head-only fine-tuning and the two baselines at 2 a class.
  assert.match(c.stdout, /5 cells \(5 computed, 0 reused\), run 1/);
  assert.match(c.stdout, /\[metric\] ranked by (accuracy|macro-F1)/);
  assert.match(c.stdout, /^(Recommendation|Undecided)/m);
  assert.match(c.stdout, /report: .*report\.html/);
  assert.ok(existsSync(path.join(out, 'results.json')));

  const ls = await cli('runs', 'ls');
  assert.match(ls.stdout, /^id\s+kind\s+status/m);
  assert.match(ls.stdout, /^1\s+compare\s+succeeded/m);
  assert.ok(ls.stdout.includes(path.resolve(out)));

  const show = JSON.parse((await cli('runs', 'show', '1')).stdout);
  assert.equal(show.kind, 'compare');
  assert.deepEqual(show.config.budgets, [0, 2]);

  const adv = await cli('advise', '--results', path.join(out, 'results.json'), '--latency-budget-ms', '0.001', '--ml-expertise', 'none');
  assert.match(adv.stdout, /Reasons:/);
  const noData = await cli('advise', '--task-changes-per-month', '10');
  assert.match(noData.stdout, /^(Recommendation|Undecided)/);

  const rep = await cli('report', path.join(out, 'results.json'), '--out', path.join(fx.dir, 'rep'));
  assert.match(rep.stdout, /report: /);
  assert.ok(existsSync(path.join(fx.dir, 'rep', 'report.html')));

  assert.match((await cli('runs', 'rm', '1')).stdout, /removed run 1/);
  assert.match((await cli('runs', 'ls')).stdout, /no runs recorded/);
  await assert.rejects(cli('runs', 'show', '1'), /no run 1/);
});

test('--baselines and --metric values are checked with a one-line error naming the option', () => {
  assert.deepEqual(parseBaselines('none'), []);
  assert.deepEqual(parseBaselines('tfidf, majority'), ['tfidf', 'majority']);
  assert.throws(() => parseBaselines('majority,svm'), /^Error: --baselines takes none or a list of majority, tfidf, got "svm"$/);
  assert.throws(() => parseBaselines(','), /--baselines takes none or a list/);
  assert.equal(parseMetric('f1:spam'), 'f1:spam');
  assert.throws(() => parseMetric('recall'), /^Error: --metric must be accuracy, macro-f1 or f1:<label>, got "recall"$/);
  assert.throws(() => parseMetric('f1:'), /--metric must be/);
});

test('--distill-size and --distill are checked before anything runs, with a one-line error', { timeout: 60_000 }, async () => {
  const cli = (...args: string[]) => run('node', ['--import', 'tsx', 'src/cli/run.ts', 'compare', '--train', 't.jsonl', '--test', 't.jsonl', '--out', 'o', ...args], { encoding: 'utf8' });
  for (const [args, msg] of [
    [['--icl', 'builtin:tuneshot-base-lm', '--ft', 'tuneshot-base-encoder', '--distill', 'pool.jsonl', '--distill-size', '0'], /option '--distill-size <n>' argument '0' is invalid\. Expected an integer from 1/],
    [['--icl', 'builtin:tuneshot-base-lm', '--distill', 'pool.jsonl'], /--distill needs an --icl model \(the teacher\) and an --ft base model \(the student\)/],
  ] as const) {
    await assert.rejects(cli(...args), (e: { stderr: string }) => {
      assert.match(e.stderr, msg);
      assert.doesNotMatch(e.stderr, /\n\s+at /, 'no stack trace');
      return true;
    });
  }
});
