// The models a server answers for, by name: language models (completions, chat, tokenize) and
// classifiers (classify, each behind its own dynamic batcher when batching is on).
import type { Classifier } from '../predictor.js';
import type { LanguageModel } from '../icl/language-model.js';
import { Batcher, type BatchingOptions } from './batcher.js';
import { ApiError } from './errors.js';
import type { ServerMetrics } from './metrics.js';

export class ServedModels {
  private readonly lms: Map<string, LanguageModel>;
  private readonly classifiers: Map<string, Classifier>;
  private readonly batchers = new Map<string, Batcher>();

  constructor(
    languageModels: Record<string, LanguageModel>,
    classifiers: Record<string, Classifier>,
    batching: BatchingOptions | false,
    metrics: ServerMetrics,
  ) {
    this.lms = new Map(Object.entries(languageModels));
    this.classifiers = new Map(Object.entries(classifiers));
    for (const name of this.lms.keys()) {
      if (this.classifiers.has(name)) throw new Error(`model name "${name}" is both a language model and a classifier`);
    }
    if (!batching) return;
    for (const [name, clf] of this.classifiers) {
      this.batchers.set(
        name,
        new Batcher(clf, batching, (inputs, requests) => {
          metrics.batchSize.observe(inputs, { model: name });
          metrics.batchRequests.observe(requests, { model: name });
        }),
      );
    }
  }

  get count(): number {
    return this.lms.size + this.classifiers.size;
  }

  languageModel(name: string): LanguageModel {
    const lm = this.lms.get(name);
    if (!lm) {
      const hint = this.classifiers.has(name) ? ` ("${name}" is a classifier: use /v1/classify)` : '';
      throw new ApiError(404, `model "${name}" not found${hint}`, 'invalid_request_error', 'model_not_found', 'model');
    }
    return lm;
  }

  classifier(name: string): Classifier {
    const c = this.classifiers.get(name);
    if (!c) {
      const hint = this.lms.has(name) ? ` ("${name}" is a language model: use /v1/completions)` : '';
      throw new ApiError(404, `classifier "${name}" not found${hint}`, 'invalid_request_error', 'model_not_found', 'model');
    }
    return c;
  }

  /** The classifier's dynamic batcher, undefined when batching is off. */
  batcher(name: string): Batcher | undefined {
    return this.batchers.get(name);
  }

  languageModelEntries(): [string, LanguageModel][] {
    return [...this.lms];
  }

  classifierEntries(): [string, Classifier][] {
    return [...this.classifiers];
  }
}
