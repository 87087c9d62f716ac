// A comparison arm: one way of solving the task (prompting a language model, fine-tuning a base
// model with one method, a baseline, ...) that compare runs at every labelled-data budget and seed.
// compare itself knows nothing about how an arm works: it draws the budget's training pool, asks the
// arm for its test predictions, timings and costs, scores them and stores the cell. A new kind of
// arm is one file with a planner (arms/*.ts) plus one line in arms/index.ts.

import type { Example } from '../data/dataset.js';
import type { ArmInfo, ArmKind, Budget, InferenceCost, RemoteJobInfo, TrainCost } from '../eval/results.js';
import type { CompareOptions } from './options.js';

export interface Arm {
  /** Unique in a run: 'icl:<backend>:<model>', 'ft:<method>:<model>', 'baseline:tfidf', ... */
  readonly id: string;
  readonly kind: ArmKind;
  /** Name in reports, e.g. "LoRA FT tuneshot-base-encoder". */
  readonly label: string;
  /** Model identifier shown in the arms table. */
  readonly model: string;
  readonly variant?: string;
  /**
   * Everything besides the data, budget and seed that decides this arm's results (a fingerprint of
   * the weights, hyperparameters, prices): part of each cell's hash, so a change recomputes the cell.
   */
  readonly settings: Record<string, unknown>;
  /** How this arm is measured, for results.environment (e.g. the budgets it skips and why). */
  readonly notes?: readonly string[];
  /** Whether the arm has a cell at this budget (fine-tuning has nothing to train on at 0). */
  runsAt(budget: Budget): boolean;
  /**
   * Connects or checks what the cells need (a provider's key and endpoint), once, before the first
   * cell is computed; not called when every cell of the arm is reused. An error here stops the run
   * with its message (a wrong key is not a failed cell).
   */
  prepare?(): Promise<void>;
  /** True when the result at this budget cannot depend on the seed (zero-shot ICL): computed once, shared by every seed. */
  seedIndependent?(budget: Budget): boolean;
  run(cell: ArmCell): Promise<ArmOutcome>;
  /** Releases models the arm loaded (called once, after the last cell). */
  dispose?(): Promise<void>;
}

export interface ArmCell {
  budget: Budget;
  seed: number;
  /** The budget's class-balanced training examples for this seed (empty at budget 0). */
  pool: Example[];
  /** Reports scoring progress over the test set. */
  onQuery: (done: number, total: number) => void;
  /** Reports what a long wait is waiting for (a remote job's status), for the progress line. */
  onStatus?: (status: string) => void;
}

export interface ArmOutcome {
  /** Predicted label of every test example, in test order. */
  predictions: string[];
  /** One-off work before the first query: training, labelling, building prompts. */
  train: TrainCost;
  inference: InferenceCost;
  /** Measured facts about the model behind the arm. */
  params: number;
  trainableParams?: number;
  modelSizeBytes: number;
  /** USD per 1,000 queries, when priced. */
  costPer1kQueriesUsd?: number;
  /** One-off USD (training, labelling), when priced. */
  oneOffCostUsd?: number;
  /** The provider's job that trained the model (remote fine-tuning). */
  remoteJob?: RemoteJobInfo;
}

/** What every planner sees: the task and the options of the run. */
export interface ArmContext {
  labels: string[];
  /** The whole training set (pools are drawn from it). */
  train: Example[];
  /** The examples every arm is scored on, in order. */
  test: Example[];
  dev?: Example[];
  options: CompareOptions;
  /** Queries timed one at a time for latency, where an arm times a sample. */
  latencySample: number;
  /** USD per 1,000 tokens for the first of `keys` that has a price (--price), if any. */
  price(keys: ReadonlyArray<string | undefined>): number | undefined;
}

/** Turns the options into arms (none when the options ask for none of its kind). */
export type ArmPlanner = (ctx: ArmContext) => Arm[];

/** The arm's row in results.json, from its static description and one outcome's measurements. */
export function armInfo(arm: Arm, o: Pick<ArmOutcome, 'params' | 'trainableParams' | 'modelSizeBytes'>): ArmInfo {
  return {
    id: arm.id, kind: arm.kind, model: arm.model, ...(arm.variant !== undefined ? { variant: arm.variant } : {}), label: arm.label,
    params: o.params, ...(o.trainableParams !== undefined ? { trainableParams: o.trainableParams } : {}), modelSizeBytes: o.modelSizeBytes,
  };
}
