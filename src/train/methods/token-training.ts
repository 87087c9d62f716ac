// Training through the transformer on token batches, shared by full and LoRA fine-tuning: the
// model's own training graph fed padded rows; dev scored, with the adapters, by a forward pass over
// the dev texts (classify) or by the completion loss (generate).
import { Program } from '../../engine/index.js';
import type { LoraSpec } from '../../models/layers.js';
import { forwardTexts } from '../../models/inference.js';
import { rowFeeds } from '../batches.js';
import { softLoss } from '../soft-labels.js';
import { accuracy, taskHead, type MethodRun, type MethodTraining } from './method.js';

export interface TokenTrainingOptions {
  /** Adapters in the graph (LoRA). */
  lora?: LoraSpec;
  /** Which of the graph's parameters the optimizer updates. */
  trains: (name: string) => boolean;
  /** FLOPs a parameter a token: 6 when every weight gets its gradient, 4 when frozen weights skip theirs. */
  flopsPerParamToken: number;
}

export function tokenTraining(run: MethodRun, o: TokenTrainingOptions): MethodTraining {
  const { model, task } = run;
  const built = model.build({ ...taskHead(run), training: true, lora: o.lora, dropoutSeed: run.seed, noDropout: !run.dropout });
  const feeds = (rows: MethodRun['train']['rows'], batch: number[]) => rowFeeds(model, batch.map((i) => rows[i]!), task);
  let devLoss: Program | undefined;
  return {
    loss: run.train.rows[0]?.target ? softLoss(built.graph, built.logits, run.labels.length) : built.loss!,
    trainable: built.graph.params.filter((p) => o.trains(p.name)),
    feeds: (batch) => feeds(run.train.rows, batch),
    async devScore() {
      const dev = run.dev!;
      if (task === 'classify') {
        const logits = await forwardTexts(model, dev.examples.map((e) => e.text), { ...taskHead(run), lora: o.lora, pairs: dev.examples.map((e) => e.textPair), maxLength: run.maxLength });
        return accuracy(logits, run.labels, dev.examples);
      }
      devLoss ??= new Program([model.build({ head: 'clm', training: true, noDropout: true, lora: o.lora }).loss!]);
      let sum = 0;
      for (let i = 0; i < dev.rows.length; i += run.batchSize) {
        const batch = Array.from({ length: Math.min(run.batchSize, dev.rows.length - i) }, (_, k) => i + k);
        sum += Number((await devLoss.run(feeds(dev.rows, batch), model.params))[0]!.data[0]) * batch.length;
      }
      return -sum / dev.rows.length;
    },
    flops: (tokensSeen) => o.flopsPerParamToken * model.numParams() * tokensSeen,
  };
}
