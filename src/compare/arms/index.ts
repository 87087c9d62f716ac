// Every kind of comparison arm, in the order they appear in results and reports. A new arm: one
// file with its planner, one line here.
import type { ArmPlanner } from '../arm.js';
import { planDistillArm } from './distill.js';
import { planFinetuneArms } from './finetune.js';
import { planRemoteArms } from './ft-remote.js';
import { planIclArms } from './icl.js';
import { planMajorityArm } from './majority.js';
import { planTfidfArm } from './tfidf.js';

export const ARM_PLANNERS: readonly ArmPlanner[] = [planIclArms, planFinetuneArms, planRemoteArms, planDistillArm, planTfidfArm, planMajorityArm];
