// Download progress in megabytes, on the project's one progress bar (the only import of it in
// src/hub: if that module moves, this line follows it). Quiet when asked or when stderr is not a TTY.
import { Progress } from '../util/progress.js';

export class DownloadProgress {
  private bar?: Progress;
  private done = 0;
  private file = '';

  constructor(label: string, private readonly totalBytes: number, quiet: boolean) {
    if (quiet || !process.stderr.isTTY || totalBytes <= 0) return;
    this.bar = new Progress({ total: mb(totalBytes), label: `download ${label} (MB)`, unit: 'MB/s', quiet: false });
    this.bar.start(0);
  }

  fileStarted(name: string, alreadyHave: number): void {
    this.file = name;
    this.add(alreadyHave, false);
  }

  add(bytes: number, transferred = true): void {
    this.done += bytes;
    this.bar?.update(mb(Math.min(this.done, this.totalBytes)), { file: this.file }, transferred ? bytes / 1e6 : 0);
  }

  stop(): void {
    this.bar?.stop();
  }
}

const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
