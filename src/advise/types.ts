// The vocabulary of the advice: the user's constraints, the reasons the rules give, the verdict.
import type { Budget, CompareResults, ArmKind, MetricChoiceSchema, SummaryRow } from '../eval/results.js';
import type { z } from 'zod';

export interface Constraints {
  /** Labelled examples a class the user has (or can get); budgets above it are out of reach. */
  labelledExamples?: number;
  /** Per-query latency budget (compared with the measured p95). */
  latencyBudgetMs?: number;
  queriesPerDay?: number;
  /** How often the label set or definition changes (each change means a retrain for fine-tuning). */
  taskChangesPerMonth?: number;
  /** The same input must always get the same label. */
  needConsistentOutput?: boolean;
  mlExpertise?: 'none' | 'some' | 'expert';
}

/** The kinds the advice weighs against each other (baselines are the floor, not a side). */
export type LearnedKind = 'finetune' | 'icl';

/** 'baseline': a cheap classical model (the TF-IDF baseline) is enough. */
export type Recommendation = LearnedKind | 'distilled' | 'baseline' | 'undecided';

export interface Reason {
  /** Id of the rule in RULES. */
  rule: string;
  text: string;
  figures: Record<string, number | string>;
  /** Which way this reason points. */
  favours: ArmKind | 'neither';
  /** Votes it carries (0 = informational). */
  weight: number;
  /** A hard exclusion of the kind it does not favour. */
  excludes?: LearnedKind;
}

export interface Crossover {
  /** Smallest budget where a fine-tuned arm's mean primary metric beats the best ICL mean. */
  budget: Budget;
  arm: string;
  finetuneMean: number;
  iclBestMean: number;
  iclArm: string;
  iclBudget: Budget;
}

export interface Advice {
  recommendation: Recommendation;
  /** The arm to use (best measured of the recommended kind within the constraints). */
  arm?: string;
  /** That arm's own kind (e.g. 'ft-remote' for a recommended fine-tuned arm trained remotely). */
  armKind?: ArmKind;
  budget?: Budget;
  reasons: Reason[];
  crossover?: Crossover;
  /** Net vote: > 0 favours fine-tuning, < 0 ICL. */
  score: number;
  /** The metric the evidence was ranked by. */
  metric?: z.infer<typeof MetricChoiceSchema>;
}

/** What every rule reads. */
export interface AdviceContext {
  evidence?: CompareResults;
  constraints: Constraints;
  /** The kind an arm counts as: a remote fine-tuned arm ('ft-remote') counts as 'finetune'. */
  kindOf: (armId: string) => ArmKind | undefined;
  /** The arm's own kind (keeps 'ft-remote'), for the wording. */
  armKindOf: (armId: string) => ArmKind | undefined;
  /** Summary rows within the labelled-data budget (latency not applied). */
  reachable: SummaryRow[];
  /** Reachable rows that also meet the latency budget. */
  eligible: SummaryRow[];
  /** Eligible, unflagged rows of the learned kinds: what may be recommended. */
  bestFinetune?: SummaryRow;
  bestIcl?: SummaryRow;
  /** The best eligible, unflagged row of the TF-IDF baseline. */
  bestTfidf?: SummaryRow;
  crossover?: Crossover;
}

export interface Rule {
  id: string;
  /** What the rule looks at and when it fires. */
  description: string;
  apply(ctx: AdviceContext): Reason[];
}
