// `tuneshot runs ls | show <id> | rm <id>`: the run registry ($TUNESHOT_HOME/registry.sqlite).
import type { Command } from 'commander';
import { openRegistry, RUN_KINDS, RUN_STATUSES, type Run, type RunKind, type RunStatus } from '../index.js';
import { num, oneOf } from './args.js';

interface RunsLsCliOptions {
  kind?: RunKind;
  status?: RunStatus;
  limit?: number;
  json?: boolean;
}

function briefMetrics(r: Run): string {
  const m = r.metrics as Record<string, unknown>;
  if (r.kind === 'compare' && typeof m['recommendation'] === 'string') {
    return `${m['recommendation']}${m['method'] ? ` (${m['method']}${m['budget'] !== undefined ? ` at ${m['budget']}/class` : ''})` : ''}`;
  }
  const parts: string[] = [];
  for (const [k, v] of Object.entries(m)) {
    if (typeof v === 'number') parts.push(`${k}=${Number.isInteger(v) ? v : v.toPrecision(4)}`);
    else if (typeof v === 'string' && v.length < 40) parts.push(`${k}=${v}`);
    if (parts.length >= 3) break;
  }
  return parts.join(' ');
}

function withRegistry<T>(fn: (reg: ReturnType<typeof openRegistry>) => T): T {
  const reg = openRegistry();
  try {
    return fn(reg);
  } finally {
    reg.close();
  }
}

export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('list, show and remove recorded runs (pretrain, finetune, icl, compare)');
  runs
    .command('ls')
    .description('list runs, newest first')
    .option('--kind <kind>', `only runs of this kind (${RUN_KINDS.join(', ')})`, oneOf(RUN_KINDS))
    .option('--status <status>', `only runs with this status (${RUN_STATUSES.join(', ')})`, oneOf(RUN_STATUSES))
    .option('--limit <n>', 'at most this many', num('limit'))
    .option('--json', 'machine-readable output')
    .action((o: RunsLsCliOptions) => {
      const list = withRegistry((reg) => reg.listRuns({
        ...(o.kind ? { kind: o.kind } : {}), ...(o.status ? { status: o.status } : {}), ...(o.limit !== undefined ? { limit: o.limit } : {}),
      }));
      if (o.json) {
        console.log(JSON.stringify(list, null, 2));
        return;
      }
      if (list.length === 0) {
        console.log('no runs recorded');
        return;
      }
      const rows = list.map((r) => [String(r.id), r.kind, r.status, r.createdAt.replace('T', ' ').slice(0, 19), briefMetrics(r), r.artifacts[0] ?? '']);
      const head = ['id', 'kind', 'status', 'created', 'result', 'output'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const line = (cols: string[]) => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
      console.log(line(head));
      for (const r of rows) console.log(line(r));
    });
  runs
    .command('show')
    .description('a run in full (config, input hash, metrics, artifacts) as JSON')
    .argument('<id>', 'run id', num('runId'))
    .action((id: number) => {
      const run = withRegistry((reg) => reg.getRun(id));
      if (!run) throw new Error(`no run ${id}`);
      console.log(JSON.stringify(run, null, 2));
    });
  runs
    .command('rm')
    .description('remove a run record')
    .argument('<id>', 'run id', num('runId'))
    .option('--delete-artifacts', 'also delete the files and folders the run wrote')
    .action((id: number, o: { deleteArtifacts?: boolean }) => {
      const removed = withRegistry((reg) => reg.removeRun(id, { deleteArtifacts: !!o.deleteArtifacts }));
      if (!removed) throw new Error(`no run ${id}`);
      console.log(`removed run ${id}${o.deleteArtifacts ? ' and its artifacts' : ''}`);
    });
}
