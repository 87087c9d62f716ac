// L2-regularised logistic regression on sparse rows, fitted by L-BFGS: scikit-learn's
// LogisticRegression(penalty='l2', C) with its lbfgs solver. Several classes are multinomial
// (softmax); two are binomial (one weight vector: class 0 scores 0), as scikit-learn does, which
// matters because the L2 penalty of a two-vector softmax would be half as strong. The intercept is
// not penalised. Objective: mean log loss + ||W||^2 / (2 C n), the same minimiser as scikit-learn's
// C * sum of losses + ||W||^2 / 2.

import { minimizeLbfgs, type LbfgsOptions } from './lbfgs.js';
import { rowCount, type SparseRows } from './sparse.js';

export interface LogisticOptions extends LbfgsOptions {
  /** Inverse regularisation strength, as scikit-learn's C (default 10). */
  C?: number;
}

export class LogisticRegression {
  private constructor(
    readonly classes: number,
    readonly features: number,
    /** Weights feature-major: coef[j * P + k] for feature j and scored class k (P = 1 for two classes). */
    readonly coef: Float64Array,
    readonly intercept: Float64Array,
    readonly iterations: number,
    /** Objective and gradient evaluations the fit took (each a pass over the training rows). */
    readonly evaluations: number,
    readonly converged: boolean,
  ) {}

  /** Fits on rows `x` with class indices `y` in [0, classes). */
  static fit(x: SparseRows, y: ArrayLike<number>, classes: number, options: LogisticOptions = {}): LogisticRegression {
    const n = rowCount(x);
    if (y.length !== n) throw new Error(`logistic regression: ${n} rows but ${y.length} labels`);
    if (!(Number.isInteger(classes) && classes >= 2)) throw new RangeError(`logistic regression needs at least 2 classes, got ${classes}`);
    for (let i = 0; i < n; i++) if (!(Number.isInteger(y[i]) && y[i]! >= 0 && y[i]! < classes)) throw new RangeError(`label index ${y[i]} out of range [0, ${classes})`);
    const C = options.C ?? 10;
    if (!(C > 0 && Number.isFinite(C))) throw new RangeError(`C must be a positive number, got ${C}`);
    const P = scoredClasses(classes);
    const D = x.cols;
    const lambda = 1 / (C * Math.max(1, n));
    const scores = new Float64Array(classes);
    const residual = new Float64Array(P);
    const objective = (w: Float64Array, grad: Float64Array): number => {
      grad.fill(0);
      let loss = 0;
      const bias = D * P;
      for (let i = 0; i < n; i++) {
        logits(x, i, w, D, P, scores);
        const lse = logSumExp(scores);
        loss += lse - scores[y[i]!]!;
        // d loss / d score = softmax - one-hot (class 0 of a binary model has no score to learn).
        for (let k = 0; k < P; k++) {
          const cls = P === 1 ? 1 : k;
          residual[k] = (Math.exp(scores[cls]! - lse) - (y[i] === cls ? 1 : 0)) / n;
          grad[bias + k]! += residual[k]!;
        }
        for (let p = x.indptr[i]!; p < x.indptr[i + 1]!; p++) {
          const at = x.indices[p]! * P, v = x.values[p]!;
          for (let k = 0; k < P; k++) grad[at + k]! += residual[k]! * v;
        }
      }
      let reg = 0;
      for (let j = 0; j < bias; j++) {
        reg += w[j]! * w[j]!;
        grad[j]! += lambda * w[j]!;
      }
      return loss / Math.max(1, n) + 0.5 * lambda * reg;
    };
    const r = minimizeLbfgs(objective, new Float64Array(D * P + P), options);
    return new LogisticRegression(classes, D, r.x.slice(0, D * P), r.x.slice(D * P), r.iterations, r.evaluations, r.converged);
  }

  /** Class probabilities of every row: out[i * classes + k]. */
  predictProba(x: SparseRows): Float64Array {
    const n = rowCount(x);
    const P = scoredClasses(this.classes);
    const w = new Float64Array(this.coef.length + this.intercept.length);
    w.set(this.coef);
    w.set(this.intercept, this.coef.length);
    const out = new Float64Array(n * this.classes);
    const scores = new Float64Array(this.classes);
    for (let i = 0; i < n; i++) {
      logits(x, i, w, this.features, P, scores, true);
      const lse = logSumExp(scores);
      for (let k = 0; k < this.classes; k++) out[i * this.classes + k] = Math.exp(scores[k]! - lse);
    }
    return out;
  }

  get parameters(): number {
    return this.coef.length + this.intercept.length;
  }

  /** Classes with their own weights: one for a binary model, else all. */
  get scoredClasses(): number {
    return scoredClasses(this.classes);
  }
}

function scoredClasses(classes: number): number {
  return classes === 2 ? 1 : classes;
}

/** scores[k] = w_k . x_i + b_k (class 0 of a binary model scores 0). Columns beyond D (unseen features) are skipped when `clip`. */
function logits(x: SparseRows, i: number, w: Float64Array, D: number, P: number, scores: Float64Array, clip = false): void {
  scores.fill(0);
  const off = P === 1 ? 1 : 0;
  for (let k = 0; k < P; k++) scores[k + off] = w[D * P + k]!;
  for (let p = x.indptr[i]!; p < x.indptr[i + 1]!; p++) {
    const j = x.indices[p]!;
    if (clip && j >= D) continue;
    const v = x.values[p]!;
    for (let k = 0; k < P; k++) scores[k + off]! += v * w[j * P + k]!;
  }
}

function logSumExp(a: Float64Array): number {
  let m = -Infinity;
  for (const v of a) m = Math.max(m, v);
  let s = 0;
  for (const v of a) s += Math.exp(v - m);
  return m + Math.log(s);
}
