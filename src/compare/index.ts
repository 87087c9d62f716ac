export { compare, cellFileName, ALL_BASELINES } from './compare.js';
export type { CompareOptions, CompareOutput, CompareProgressEvent, CellKey, BaselineName, CompareRemoteOptions } from './compare.js';
export type { Arm, ArmCell, ArmContext, ArmOutcome, ArmPlanner } from './arm.js';
