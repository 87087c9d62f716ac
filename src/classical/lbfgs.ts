// Limited-memory BFGS (Nocedal & Wright, algorithm 7.4/7.5) for smooth convex objectives, with a
// backtracking line search on the Armijo condition. Deterministic: no randomness, the same
// objective and start give the same iterates bit for bit. (npm has no maintained sparse logistic
// regression or L-BFGS; ml-logistic-regression is dense one-vs-rest gradient descent.)

export interface LbfgsOptions {
  /** Pairs (s, y) kept (default 10). */
  memory?: number;
  maxIter?: number;
  /** Stop when the largest gradient entry is below this (default 1e-5). */
  gradTol?: number;
  /** Stop when an iteration lowers f by less than this fraction of |f| (default 2.2e-9, scipy's factr 1e7 times machine epsilon). */
  fTol?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
}

/** `fg(x, grad)` returns f(x) and writes the gradient into `grad`. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export function minimizeLbfgs(fg: Objective, x0: Float64Array, options: LbfgsOptions = {}): LbfgsResult {
  const m = options.memory ?? 10;
  const maxIter = options.maxIter ?? 1000;
  const gradTol = options.gradTol ?? 1e-5;
  const fTol = options.fTol ?? 2.2e-9;
  const n = x0.length;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let f = fg(x, g);
  let evaluations = 1;
  // The (s, y) pairs live in a ring of preallocated vectors: at hundreds of thousands of weights,
  // allocating two a step would keep the garbage collector busy.
  const S = Array.from({ length: m }, () => new Float64Array(n));
  const Y = Array.from({ length: m }, () => new Float64Array(n));
  const rho = new Float64Array(m), alpha = new Float64Array(m);
  let stored = 0, newest = -1;
  const d = new Float64Array(n), xNew = new Float64Array(n), gNew = new Float64Array(n);
  let iterations = 0;
  let converged = maxAbs(g) <= gradTol;
  while (!converged && iterations < maxIter) {
    // Two-loop recursion: d = -H g, newest pair first.
    for (let i = 0; i < n; i++) d[i] = -g[i]!;
    for (let j = 0; j < stored; j++) {
      const k = (newest - j + m) % m;
      alpha[k] = rho[k]! * dot(S[k]!, d);
      axpy(-alpha[k]!, Y[k]!, d);
    }
    const gamma = stored ? 1 / (rho[newest]! * dot(Y[newest]!, Y[newest]!)) : 1 / Math.max(1, Math.sqrt(dot(g, g)));
    for (let i = 0; i < n; i++) d[i]! *= gamma;
    for (let j = stored - 1; j >= 0; j--) {
      const k = (newest - j + m) % m;
      const beta = rho[k]! * dot(Y[k]!, d);
      axpy(alpha[k]! - beta, S[k]!, d);
    }
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): forget the curvature pairs, steepest descent.
      stored = 0;
      const scale = 1 / Math.max(1, Math.sqrt(dot(g, g)));
      for (let i = 0; i < n; i++) d[i] = -g[i]! * scale;
      slope = dot(g, d);
    }
    let step = 1, fNew = Infinity;
    for (let tries = 0; tries < 60; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * d[i]!;
      fNew = fg(xNew, gNew);
      evaluations++;
      if (fNew <= f + 1e-4 * step * slope) break;
      step *= 0.5;
    }
    iterations++;
    if (!(fNew <= f)) break; // the line search found nothing better: as close as doubles allow
    const slot = (newest + 1) % m;
    const s = S[slot]!, y = Y[slot]!;
    for (let i = 0; i < n; i++) {
      s[i] = xNew[i]! - x[i]!;
      y[i] = gNew[i]! - g[i]!;
    }
    const sy = dot(s, y);
    // Keep the pair only with positive curvature (always, for a convex objective, up to rounding).
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      rho[slot] = 1 / sy;
      newest = slot;
      stored = Math.min(stored + 1, m);
    } else if (stored === m) {
      stored = m - 1; // the slot just overwritten held the oldest pair
    }
    const decrease = f - fNew;
    x.set(xNew);
    g.set(gNew);
    // scipy's L-BFGS-B stopping rules: small gradient, or a relative decrease of f below fTol.
    converged = maxAbs(g) <= gradTol || decrease <= fTol * Math.max(Math.abs(f), Math.abs(fNew), Number.MIN_VALUE);
    f = fNew;
  }
  return { x, f, iterations, evaluations, converged };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i]! += a * x[i]!;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!));
  return m;
}
