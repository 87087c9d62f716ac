export * from './charts.js';
export * from './report.js';
