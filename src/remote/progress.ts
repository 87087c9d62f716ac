// What following a remote job shows: on a terminal one line rewritten in place (job, status,
// trained tokens, latest event, elapsed time); on a pipe or log a line a status change or event;
// nothing when quiet.
import type { FollowUpdate } from './follow.js';

export interface JobProgressOptions {
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
}

function clock(seconds: number): string {
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return `${h > 0 ? `${h}:${String(m).padStart(2, '0')}` : m}:${String(r).padStart(2, '0')}`;
}

export class JobProgress {
  private readonly stream: NodeJS.WriteStream;
  private lastStatus: string | undefined;
  private drawn = false;

  constructor(private readonly o: JobProgressOptions = {}) {
    this.stream = o.stream ?? process.stderr;
  }

  update(u: FollowUpdate): void {
    if (this.o.quiet) return;
    const { job } = u;
    if (this.stream.isTTY) {
      // The event goes last: on a narrow terminal it is what gets cut.
      const parts = [job.id, job.status, clock(u.elapsedSeconds), `trained tokens ${job.trainedTokens ?? '-'}`, u.latest?.message ?? ''];
      const line = parts.filter((p) => p !== '').join(' | ').replace(/\s+/g, ' ');
      const width = this.stream.columns ?? 120;
      this.stream.write(`\r\x1b[K${line.length >= width ? `${line.slice(0, width - 2)}…` : line}`);
      this.drawn = true;
      return;
    }
    if (job.status !== this.lastStatus) {
      this.stream.write(`${job.id}: ${job.status}${job.trainedTokens !== null ? `, trained tokens ${job.trainedTokens}` : ''}\n`);
      this.lastStatus = job.status;
    }
    for (const e of u.events) this.stream.write(`${job.id}: ${e.level === 'info' ? '' : `${e.level}: `}${e.message.replace(/\s+/g, ' ')}\n`);
  }

  stop(): void {
    if (this.drawn) this.stream.write('\n');
    this.drawn = false;
  }
}
