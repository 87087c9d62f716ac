// Dynamic batching: concurrent predict requests arriving within `waitMs` of the first are merged
// into one Classifier.predict call (up to `maxBatch` inputs; a larger request runs on its own).

import type { Classifier, PredictInput, Prediction } from '../predictor.js';

export interface BatchingOptions {
  maxBatch: number;
  waitMs: number;
}

interface Pending {
  inputs: PredictInput[];
  resolve: (p: Prediction[]) => void;
  reject: (e: unknown) => void;
}

export class Batcher {
  private queue: Pending[] = [];
  private queuedInputs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly classifier: Classifier,
    private readonly options: BatchingOptions,
    private readonly onBatch?: (inputs: number, requests: number) => void,
  ) {}

  submit(inputs: PredictInput[]): Promise<Prediction[]> {
    return new Promise<Prediction[]>((resolve, reject) => {
      if (this.queuedInputs + inputs.length > this.options.maxBatch) this.flush();
      this.queue.push({ inputs, resolve, reject });
      this.queuedInputs += inputs.length;
      if (this.queuedInputs >= this.options.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.options.waitMs);
    });
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    this.queuedInputs = 0;
    const all = batch.flatMap((p) => p.inputs);
    this.onBatch?.(all.length, batch.length);
    this.classifier.predict(all).then(
      (preds) => {
        if (preds.length !== all.length) {
          const err = new Error(`classifier returned ${preds.length} predictions for ${all.length} inputs`);
          for (const p of batch) p.reject(err);
          return;
        }
        let at = 0;
        for (const p of batch) {
          p.resolve(preds.slice(at, at + p.inputs.length));
          at += p.inputs.length;
        }
      },
      (err: unknown) => {
        for (const p of batch) p.reject(err);
      },
    );
  }
}
