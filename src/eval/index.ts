export * from './metrics.js';
export * from './results.js';
