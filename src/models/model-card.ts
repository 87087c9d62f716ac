// Provenance of a saved model: the base model it came from (Hub id + the exact commit, or the
// embedded model / folder), written to config.json ("tuneshot_base_model") and to a README.md
// model card whose front matter the Hub reads (base_model, pipeline_tag).
import * as path from 'node:path';
import { DEFAULT_ENDPOINT } from '../hub/settings.js';
import type { ModelConfig } from './config.js';

export interface BaseModelRecord {
  /** Hub id, embedded model name, or absolute folder. */
  id: string;
  source: 'hub' | 'embedded' | 'local';
  revision?: string;
  commit?: string;
  endpoint?: string;
}

/** The base model a config descends from: its own origin, else what an earlier save recorded. */
export function baseModelOf(cfg: ModelConfig): BaseModelRecord | undefined {
  const o = cfg.origin;
  if (o?.kind === 'hub') return { id: o.id, source: 'hub', revision: o.revision, commit: o.commit, ...(o.endpoint !== DEFAULT_ENDPOINT ? { endpoint: o.endpoint } : {}) };
  const inherited = cfg.raw['tuneshot_base_model'] as BaseModelRecord | undefined;
  if (inherited && typeof inherited.id === 'string') return inherited;
  if (o?.kind === 'embedded') return { id: o.name, source: 'embedded' };
  if (o?.kind === 'local') return { id: path.resolve(o.dir), source: 'local' };
  return undefined;
}

export function modelCard(name: string, config: Record<string, unknown>, base: BaseModelRecord): string {
  const arch = Array.isArray(config['architectures']) ? String(config['architectures'][0]) : String(config['model_type']);
  const pipeline = /SequenceClassification/.test(arch) ? 'text-classification' : /MaskedLM/.test(arch) ? 'fill-mask' : 'text-generation';
  const labels = config['id2label'] ? Object.values(config['id2label'] as Record<string, string>) : undefined;
  const link = base.source === 'hub' ? `[${base.id}](${base.endpoint ?? DEFAULT_ENDPOINT}/${base.id})` : base.source === 'embedded' ? `the embedded \`${base.id}\`` : `\`${base.id}\``;
  const settings = config['tuneshot'] ? JSON.stringify(config['tuneshot']) : undefined;
  return `---
${base.source === 'hub' ? `base_model: ${base.id}\n` : ''}library_name: tuneshot
pipeline_tag: ${pipeline}
tags:
- tuneshot
---
# ${name}

${arch} adapted by tuneshot from ${link}${base.commit ? ` at commit \`${base.commit}\` (revision \`${base.revision}\`)` : ''}.

| | |
|---|---|
| base model | ${base.id}${base.commit ? `@${base.commit}` : ''} |
| architecture | ${arch} |
${labels ? `| labels | ${labels.join(', ')} |\n` : ''}${settings ? `| tuneshot settings | \`${settings}\` |\n` : ''}
Load it with \`tuneshot predict --model <this folder>\` or transformers' \`${arch}.from_pretrained\`.
`;
}
