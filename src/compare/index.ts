export { compare, cellFileName } from './compare.js';
export type { CompareOptions, CompareOutput, CompareProgressEvent, CellKey } from './compare.js';
