// Distillation: an in-context learning teacher labels unlabelled text, a fine-tuned student serves it.
export { distill, loadPool, type DistillOptions, type DistillResult, type DistillPaths, type StudentOptions } from './distill.js';
export { openTeacher, type OpenedTeacher, type TeacherLabel, type TeacherOptions, type TeacherUsage } from './teacher.js';
export { filterLabelled, type FilterOptions, type FilterResult, type LabelledItem, type Split, type DropReason } from './filter.js';
export { formatSummary, scoreWithIntervals, agreementWithTeacher, tokenCost, type DistillSummary, type Scores } from './summary.js';
