// What the routes share: the served models, admission control, metrics and request limits.
import type { Admission } from './admission.js';
import type { ServerMetrics } from './metrics.js';
import type { ServedModels } from './models.js';

export interface RequestLimits {
  /** Largest max_tokens a request may ask for. */
  maxTokens: number;
  /** Largest number of inputs in one /v1/classify request. */
  maxInputs: number;
}

export interface ServeContext {
  readonly models: ServedModels;
  readonly admission: Admission;
  readonly metrics: ServerMetrics;
  readonly limits: RequestLimits;
}
