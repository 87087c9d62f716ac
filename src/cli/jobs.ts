// `tuneshot jobs ls | show <id> | follow <id> | cancel <id>`: remote fine-tuning jobs on the provider.
// A job tuneshot created is reached on the endpoint the registry recorded for it; others on the
// one the options (or OPENAI_BASE_URL / AZURE_OPENAI_ENDPOINT) name.
import type { Command } from 'commander';
import { RemoteStore, cancelRemoteJob, createRemoteFinetuner, finetunerForJob, followRemoteJob, openRegistry, remoteProviders } from '../index.js';
import { num } from './args.js';
import { addConnectionOptions, connectionFrom, pollIntervalMs, withDetach } from './remote-options.js';

const when = (unix: number | null) => (unix ? new Date(unix * 1000).toISOString().replace('T', ' ').slice(0, 19) : '');

function withProvider(cmd: Command): Command {
  return addConnectionOptions(cmd.option('--remote <provider>', `provider (${remoteProviders().join(', ')}) of jobs tuneshot did not create`, 'openai'));
}

function target(o: Record<string, unknown>) {
  const provider = String(o['remote']);
  if (!remoteProviders().includes(provider)) throw new Error(`--remote must be one of ${remoteProviders().join(', ')}, got "${provider}"`);
  return { provider, connection: connectionFrom(o) };
}

export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('remote fine-tuning jobs (finetune --remote): list, show, follow, cancel');

  withProvider(jobs.command('ls').description('the provider\'s fine-tuning jobs, newest first'))
    .option('--limit <n>', 'at most this many (1 to 100)', num('jobsLimit'), 20)
    .option('--json', 'machine-readable output')
    .action(async (o) => {
      const t = target(o);
      const ft = await createRemoteFinetuner(t.provider, t.connection);
      const list = await ft.listJobs(o.limit);
      const reg = openRegistry();
      const runOf = new Map<string, number | null>();
      try {
        for (const r of new RemoteStore(reg).listJobs(1000)) if (r.endpoint === ft.endpoint) runOf.set(r.jobId, r.runId);
      } finally {
        reg.close();
      }
      if (o.json) {
        console.log(JSON.stringify(list.map((j) => ({ ...j, runId: runOf.get(j.id) ?? null })), null, 2));
        return;
      }
      if (list.length === 0) {
        console.log(`no fine-tuning jobs on ${ft.endpoint}`);
        return;
      }
      const head = ['id', 'status', 'base model', 'fine-tuned model', 'trained tokens', 'created', 'run'];
      const rows = list.map((j) => [j.id, j.status, j.model, j.fineTunedModel ?? '', j.trainedTokens === null ? '' : String(j.trainedTokens), when(j.createdAt), runOf.has(j.id) ? String(runOf.get(j.id) ?? '-') : '']);
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const line = (cols: string[]) => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
      console.log(line(head));
      for (const r of rows) console.log(line(r));
    });

  withProvider(jobs.command('show').description('a job in full, with its latest events, as JSON'))
    .argument('<id>', 'provider job id (ftjob-...)')
    .option('--events <n>', 'latest events to include (0 to 100)', num('events'), 10)
    .action(async (id: string, o) => {
      const t = target(o);
      const { ft, record } = await finetunerForJob(id, t);
      const job = await ft.getJob(id);
      const events = o.events > 0 ? await ft.listEvents(id, o.events) : [];
      console.log(JSON.stringify({ ...job, endpoint: ft.endpoint, runId: record?.runId ?? null, events }, null, 2));
    });

  withProvider(jobs.command('follow').description('follow a job to its end (Ctrl-C detaches); on success record it and write its model folder'))
    .argument('<id>', 'provider job id (ftjob-...)')
    .option('--poll-interval <seconds>', 'seconds between status polls', '5')
    .option('--quiet', 'no progress output')
    .action(async (id: string, o) => {
      const t = target(o);
      const poll = pollIntervalMs(o.pollInterval);
      await withDetach(async (signal) => {
        const r = await followRemoteJob(id, { ...t, pollIntervalMs: poll, signal, quiet: !!o.quiet });
        const use = r.access && 'backend' in r.access ? `; use it as ${r.access.backend}` : r.access && 'unavailable' in r.access ? `; ${r.access.unavailable}` : '';
        console.log(`job ${id} succeeded: model ${r.job.fineTunedModel}, ${r.job.trainedTokens ?? '?'} trained tokens${r.out ? `, model folder ${r.out}` : ''}${use}`);
      });
    });

  withProvider(jobs.command('cancel').description('cancel a job'))
    .argument('<id>', 'provider job id (ftjob-...)')
    .action(async (id: string, o) => {
      const job = await cancelRemoteJob(id, target(o));
      console.log(`job ${id}: ${job.status}`);
    });
}
