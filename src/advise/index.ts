export * from './advise.js';
