export { compare, cellFileName, ALL_METHODS } from './compare.js';
export type { CompareOptions, CompareOutput, CompareProgressEvent, CellKey } from './compare.js';
