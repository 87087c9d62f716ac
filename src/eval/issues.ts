// zod validation issues as the indented lines of one error message (field path: problem).
import type { z } from 'zod';

export function formatIssuesOf(error: z.ZodError): string {
  return error.issues.slice(0, 10).map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
}
