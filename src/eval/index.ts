export * from './metrics.js';
export * from './metric.js';
export * from './results.js';
export * from './summary.js';
export * from './assess.js';
export { parseResults, readResults } from './read.js';
export { upgradeV1, parseResultsV1, CompareResultsV1Schema } from './results-v1.js';
export type { CompareResultsV1 } from './results-v1.js';
