// LoRA trains the adapters only: the training program computes no gradient for a frozen weight
// (issue #16: "no gradient outputs for frozen weights"). Its outputs are the loss and one gradient
// an adapter, and its MatMuls, counted, hold no weight-gradient product for a frozen weight and no
// activation gradient below the first adapter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, Trainer, ancestors } from '../../src/engine/index.js';
import { TransformerModel, isLoraParam, llamaConfig } from '../../src/models/index.js';

test('LoRA training: gradients of the adapters only, no weight-gradient MatMul for frozen weights', () => {
  const raw = llamaConfig({ vocab: 64, hidden: 32, layers: 2, heads: 4, kvHeads: 2, ffn: 48 });
  const lora = { r: 4, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'] };
  const make = (withLora: boolean) => {
    const model = TransformerModel.fromConfig(raw, { seed: 0, head: 'clm' });
    if (withLora) model.ensureParams({ head: 'clm', lora }, 0);
    const built = model.build({ head: 'clm', training: true, noDropout: true, ...(withLora ? { lora } : {}) });
    const trainable = withLora ? built.graph.params.filter((p) => isLoraParam(p.name)) : built.graph.params;
    const trainer = new Trainer(built.loss!, trainable, model.params, { optimizer: new AdamW(), schedule: { kind: 'constant', peakLr: 1e-3, warmupSteps: 0, totalSteps: 1 } });
    const matmuls = ancestors(trainer.program.outputs).filter((n) => n.op === 'MatMul').length;
    return { trainer, trainable, built, matmuls };
  };
  const l = make(true), f = make(false);
  assert.equal(l.trainer.program.outputs.length, 1 + l.trainable.length);
  assert.ok(l.trainable.every((p) => isLoraParam(p.name)) && l.trainable.length === 2 * 2 * 2);
  // Counting the MatMuls, 2 layers of 7 linear maps + the tied LM head (15 linears), 2 attention products a layer:
  //   full: forward 15 + 4 = 19; backward 2 a linear (input and weight gradient) = 30, 2 an attention product = 8: 57.
  //   LoRA (q, v adapted): forward 19 + 2 an adapter x 4 = 27; backward: input gradients only for the frozen
  //   linears, and none below layer 0's first adapter (its q, k, v inputs need none): 15 - 3 = 12; 4 an adapter
  //   (A, B, and two activation gradients) less layer 0's two input gradients = 14; attention 8 less layer 0's
  //   key gradient (k is frozen there and nothing below trains) = 7: 60. No weight gradient for a frozen weight.
  assert.equal(f.matmuls, 57);
  assert.equal(l.matmuls, 27 + 12 + 14 + 7);
});
