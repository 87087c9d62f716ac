#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled library (npm run build, run by `prepare` on install).
import { main, UsageError } from '../dist/cli/main.js';
main(process.argv).catch((err) => {
  // A usage error was printed by the option parser already.
  if (!(err instanceof UsageError)) console.error(`tuneshot: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
