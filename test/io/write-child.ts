// Child process for the kill -9 test: starts writing an output folder and never finishes, so the
// parent can kill it mid-write (argv: the output folder).
import { writeOutputFolder } from '../../src/io/output.js';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';

await writeOutputFolder(process.argv[2]!, { kind: 'finetune', overwrite: true }, async (dir) => {
  writeFileSync(path.join(dir, 'config.json'), '{}');
  process.stdout.write('writing\n');
  await new Promise(() => undefined); // killed here
});
