// Source entry point of the CLI (`node --import tsx src/cli/run.ts ...`): what bin/tuneshot.js
// does for the compiled library, without a build. Tests spawn it as a real child process.
import { main, UsageError } from './main.js';

main(process.argv).catch((err: unknown) => {
  if (!(err instanceof UsageError)) console.error(`tuneshot: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
