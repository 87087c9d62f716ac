// `tuneshot models ls | pull <id> | rm <id>`: the embedded models and the Hugging Face cache
// (shared with Python's huggingface_hub: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub).
import type { Command } from 'commander';
import { hubSettings, listModels, pullModel, removeModel } from '../index.js';

export const formatBytes = (n: number) => (n >= 1e9 ? `${(n / 1e9).toFixed(2)} GB` : n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : n >= 1e3 ? `${(n / 1e3).toFixed(1)} kB` : `${n} B`);
const formatCount = (n: number | undefined) => (n === undefined ? '-' : n >= 1e9 ? `${(n / 1e9).toFixed(2)}B` : n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n));

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows].map((cols) => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export function registerModels(program: Command): void {
  const models = program.command('models').description('list, download and remove models (embedded ones and the Hugging Face cache)');
  models
    .command('ls')
    .description('embedded models and Hub models in the Hugging Face cache: id, revision, size, family, parameters')
    .option('--json', 'machine-readable output')
    .action((o) => {
      const list = listModels();
      if (o.json) return void console.log(JSON.stringify(list, null, 2));
      const rows = list.map((m) => [
        m.id, m.source === 'embedded' ? 'embedded' : [...m.revisions, m.commit!.slice(0, 12)].join(' '), formatBytes(m.bytes),
        m.family ?? (m.modelType ? `${m.modelType} (unsupported)` : '-'), formatCount(m.parameters), m.complete ? '' : 'incomplete (load or pull it again to finish)',
      ]);
      console.log(table(['id', 'revision', 'size', 'family', 'parameters', ''], rows));
      console.log(`cache: ${hubSettings({ token: false }).cacheDir}`);
    });
  models
    .command('pull')
    .description('download a Hub model (or update a branch to its newest commit) into the Hugging Face cache')
    .argument('<id>', 'Hub model id, e.g. distilbert-base-uncased or Qwen/Qwen2.5-0.5B-Instruct@main')
    .option('--quiet', 'no progress output')
    .action(async (id: string, o) => {
      const snap = await pullModel(id, { quiet: !!o.quiet });
      const what = snap.downloadedBytes > 0 ? `${formatBytes(snap.downloadedBytes)} downloaded` : 'already up to date';
      console.log(`${id}: commit ${snap.commit}, ${what} (${snap.dir})`);
    });
  models
    .command('rm')
    .description('remove a Hub model from the cache (id@revision: that revision only); blobs go when no other snapshot uses them')
    .argument('<id>', 'Hub model id, optionally @revision')
    .action(async (id: string) => {
      const r = await removeModel(id);
      console.log(`${id}: removed ${r.snapshots.length} snapshot${r.snapshots.length === 1 ? '' : 's'} (${r.snapshots.map((c) => c.slice(0, 12)).join(', ')}), ${formatBytes(r.freedBytes)} freed`);
    });
}
