// tuneshot's typed library API. The CLI (src/cli) only calls what is exported here.
export * from './engine/index.js';
