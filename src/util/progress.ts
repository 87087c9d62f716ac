// Progress for long work: a live bar (step, loss, rate, ETA) on a terminal; on a pipe or log, a
// plain line every `logEvery` seconds; nothing at all when quiet.
import cliProgress from 'cli-progress';

export interface ProgressOptions {
  total: number;
  label: string;
  /** Unit of the rate, e.g. "tok/s" or "ex/s". */
  unit?: string;
  quiet?: boolean;
  stream?: NodeJS.WriteStream;
  logEvery?: number;
}

export type ProgressFields = Record<string, string | number | undefined>;

const fmt = (v: string | number | undefined) => (typeof v === 'number' ? (Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toPrecision(4)) : v ?? '');

export class Progress {
  private bar?: cliProgress.SingleBar;
  private started = Date.now();
  private lastLog = 0;
  private startValue = 0;
  private done = 0;
  private work = 0;

  constructor(private readonly o: ProgressOptions) {
    const stream = o.stream ?? process.stderr;
    if (!o.quiet && stream.isTTY) {
      this.bar = new cliProgress.SingleBar(
        { format: `${o.label} [{bar}] {value}/{total} | {fields} | {rate} ${o.unit ?? 'it/s'} | ETA {eta_formatted}`, stream, hideCursor: true, etaBuffer: 50, fps: 5 },
        cliProgress.Presets.shades_classic,
      );
    }
  }

  start(value = 0): void {
    this.startValue = value;
    this.done = value;
    this.started = Date.now();
    this.bar?.start(this.o.total, value, { fields: '', rate: '-' });
  }

  /** `work` counts rate units done in this update (tokens, examples). */
  update(value: number, fields: ProgressFields, work = 0): void {
    this.done = value;
    this.work += work;
    const secs = (Date.now() - this.started) / 1000;
    const rate = secs > 0 ? this.work / secs : 0;
    const text = Object.entries(fields).filter(([, v]) => v !== undefined).map(([k, v]) => `${k} ${fmt(v)}`).join(' | ');
    if (this.bar) {
      this.bar.update(value, { fields: text, rate: rate.toFixed(0) });
      return;
    }
    if (this.o.quiet) return;
    if (Date.now() - this.lastLog >= (this.o.logEvery ?? 10) * 1000 || value === this.o.total) {
      this.lastLog = Date.now();
      const perStep = (value - this.startValue) > 0 ? secs / (value - this.startValue) : 0;
      const eta = Math.round(perStep * (this.o.total - value));
      (this.o.stream ?? process.stderr).write(`${this.o.label} ${value}/${this.o.total} | ${text} | ${rate.toFixed(0)} ${this.o.unit ?? 'it/s'} | ETA ${eta}s\n`);
    }
  }

  stop(): void {
    this.bar?.stop();
  }

  get seconds(): number {
    return (Date.now() - this.started) / 1000;
  }
}
