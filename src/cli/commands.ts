// Every CLI command, registered in the order `tuneshot --help` lists them.
import type { Command } from 'commander';
import { registerPretrain } from './pretrain.js';
import { registerFinetune } from './finetune.js';
import { registerPredict } from './predict.js';
import { registerIcl } from './icl.js';
import { registerServe } from './serve.js';
import { registerExport } from './export.js';
import { registerCompare } from './compare.js';
import { registerAdvise, registerReport } from './advise.js';
import { registerRuns } from './runs.js';
import { registerJobs } from './jobs.js';
import { registerDemo } from './demo.js';
import { registerDistill } from './distill.js';
import { registerModels } from './models.js';

export const commands: Array<(program: Command) => void> = [
  registerPretrain,
  registerFinetune,
  registerPredict,
  registerIcl,
  registerServe,
  registerExport,
  registerCompare,
  registerDistill,
  registerAdvise,
  registerReport,
  registerRuns,
  registerJobs,
  registerDemo,
  registerModels,
];
