// Head-only fine-tuning: the body stays frozen, so its pooled features are computed once and the
// classification head alone trains on them (seconds, not minutes).
import { Graph, HostTensor, Program, ops as o } from '../../engine/index.js';
import type { Example } from '../../data/dataset.js';
import { Builder } from '../../models/layers.js';
import type { TransformerModel } from '../../models/model.js';
import { decoderFeeds, encoderFeeds } from '../../models/inference.js';
import { accuracy, saveModelFolder, taskHead, type FinetuneMethod } from './method.js';
import { softLoss, targetFeed } from '../soft-labels.js';

export function headMethod(options: { task: 'classify' | 'generate' }): FinetuneMethod {
  if (options.task !== 'classify') throw new Error('head-only fine-tuning is for classification; use full or lora for generate');
  return {
    name: 'head',
    defaultLr: 3e-3,
    settings: {},
    async prepare(run) {
      const { model } = run;
      model.ensureParams(taskHead(run), run.seed);
      const numLabels = run.labels.length;
      const features = (exs: Example[]) => featuresOf(model, exs, run.pooling, run.maxLength);
      const train = await features(run.train.examples);
      const dev = run.dev ? await features(run.dev.examples) : undefined;
      const soft = run.train.rows[0]?.target !== undefined;
      const head = headGraph(model, numLabels, run.dropout, soft);
      const bodyTokens = run.train.rows.reduce((a, r) => a + r.ids.length, 0);
      return {
        loss: head.loss,
        trainable: head.graph.params,
        feeds: (batch) => soft
          ? { ...headFeeds(batch.map((i) => train[i]!)), label_probs: targetFeed(batch.map((i) => run.train.rows[i]!.target!)) }
          : headFeeds(batch.map((i) => train[i]!), batch.map((i) => run.train.rows[i]!.label)),
        devScore: async () => accuracy(await headLogits(model, numLabels, dev!), run.labels, run.dev!.examples),
        flops: () => 2 * model.numParams() * bodyTokens, // one forward pass through the body for the cached features
      };
    },
    served: (trained) => trained,
    save: (out, s) => saveModelFolder(out, 'head', s),
  };
}

/** Pooled body features per example: [CLS] / mean hidden state (encoders), last token (decoders). */
async function featuresOf(model: TransformerModel, exs: Example[], pooling: 'cls' | 'mean' | undefined, maxLength: number): Promise<Float32Array[]> {
  const tok = model.tokenizer!;
  const { program } = model.program({ head: 'base' });
  const H = model.config.hidden;
  const out: Float32Array[] = [];
  for (let i = 0; i < exs.length; i += 32) {
    const chunk = exs.slice(i, i + 32);
    const enc = tok.encodeBatch(chunk.map((e) => e.text), { pairs: chunk.map((e) => e.textPair), maxLength, truncation: true });
    const feeds = model.family.kind === 'encoder' ? encoderFeeds(model, enc) : decoderFeeds(enc);
    const h = (await program.run(feeds, model.params))[0]!.data as Float32Array;
    const T = enc.inputIds[0]!.length;
    enc.attentionMask.forEach((mask, b) => {
      const real = mask.reduce((a, m) => a + m, 0);
      if (model.family.kind === 'decoder' || pooling === 'cls') {
        const t = model.family.kind === 'encoder' ? 0 : real - 1;
        out.push(h.slice((b * T + t) * H, (b * T + t + 1) * H));
        return;
      }
      const v = new Float32Array(H);
      for (let t = 0; t < T; t++) if (mask[t]) for (let j = 0; j < H; j++) v[j] = v[j]! + h[(b * T + t) * H + j]! / real;
      out.push(v);
    });
  }
  return out;
}

/** The classification head alone, fed pooled features as a length-1 sequence: same parameter names as the full model. */
function headGraph(model: TransformerModel, numLabels: number, dropout = false, soft = false) {
  const g = new Graph();
  const b = new Builder(g, model.config, dropout, 0);
  const feats = g.input('features', 'float32', ['batch', 1, model.config.hidden]);
  // Features are pooled already: the family's head on a length-1 sequence ("cls" takes that one position).
  const logits = model.family.classifierHead(b, feats, numLabels, 'cls', {
    mask: () => { throw new Error('head-only features are pooled already'); },
    lastIndex: () => g.input('last_index', 'int64', ['batch']),
  });
  const loss = soft ? softLoss(g, logits, numLabels) : o.crossEntropy(logits, g.input('labels', 'int64', ['batch']));
  return { graph: g, logits, loss };
}

/** Feeds of the head graph for these features (and, to train, their label indices). */
function headFeeds(feats: Float32Array[], labels?: number[]): Record<string, HostTensor> {
  const H = feats[0]!.length;
  const data = new Float32Array(feats.length * H);
  feats.forEach((f, k) => data.set(f, k * H));
  return {
    features: { data, shape: [feats.length, 1, H] },
    last_index: { data: BigInt64Array.from(feats.map((_, k) => BigInt(k))), shape: [feats.length] },
    ...(labels ? { labels: { data: BigInt64Array.from(labels.map(BigInt)), shape: [labels.length] } } : {}),
  };
}

async function headLogits(model: TransformerModel, numLabels: number, feats: Float32Array[]): Promise<Float32Array[]> {
  const prog = new Program([headGraph(model, numLabels).logits]);
  const out: Float32Array[] = [];
  for (let i = 0; i < feats.length; i += 256) {
    const chunk = feats.slice(i, i + 256);
    const l = (await prog.run(headFeeds(chunk), model.params))[0]!.data as Float32Array;
    for (let r = 0; r < chunk.length; r++) out.push(l.slice(r * numLabels, (r + 1) * numLabels));
  }
  return out;
}
