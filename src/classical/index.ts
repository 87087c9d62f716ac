// Classical baselines: the floor every comparison shows (majority label, TF-IDF + logistic regression).
export { MajorityClassifier } from './majority.js';
export { TfidfClassifier } from './tfidf-classifier.js';
export type { TfidfClassifierOptions, LabelledText } from './tfidf-classifier.js';
export { TfidfVectorizer, tokenize } from './tfidf.js';
export type { TfidfOptions } from './tfidf.js';
export { LogisticRegression } from './logistic.js';
export type { LogisticOptions } from './logistic.js';
export { minimizeLbfgs } from './lbfgs.js';
export type { LbfgsOptions, LbfgsResult, Objective } from './lbfgs.js';
export type { SparseRows } from './sparse.js';
