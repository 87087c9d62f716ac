// Language model backends behind one factory. Registered at the end of this file, each loading its
// module on first use: `openai` (any OpenAI-compatible server), `llamacpp` (a GGUF file through
// node-llama-cpp) and `builtin` (tuneshot's own engine). Others register with registerBackend().

import type { LanguageModel } from '../language-model.js';

export interface BackendSpec {
  backend: string;
  /** Model name (openai), GGUF path (llamacpp), model folder, embedded model or Hub id (builtin), ... */
  model: string;
  [option: string]: unknown;
}

export type BackendFactory = (spec: BackendSpec) => Promise<LanguageModel>;

const registry = new Map<string, BackendFactory>();

export function registerBackend(name: string, factory: BackendFactory): void {
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) throw new Error(`invalid backend name "${name}"`);
  registry.set(name, factory);
}

export function listBackends(): string[] {
  return [...registry.keys()].sort();
}

/**
 * Parse "backend:model" (the model part may itself contain colons, e.g. a Windows path or
 * "openai:gpt-4o-mini"). A bare string without a known backend prefix is an error.
 */
export function parseBackendSpec(spec: string): BackendSpec {
  const i = spec.indexOf(':');
  if (i <= 0) throw new Error(`language model spec must look like "<backend>:<model>", got "${spec}"`);
  return { backend: spec.slice(0, i), model: spec.slice(i + 1) };
}

export async function createLanguageModel(spec: string | BackendSpec): Promise<LanguageModel> {
  const s = typeof spec === 'string' ? parseBackendSpec(spec) : spec;
  const factory = registry.get(s.backend);
  if (!factory) {
    throw new Error(`unknown language model backend "${s.backend}" (known: ${listBackends().join(', ') || 'none'})`);
  }
  return factory(s);
}

registerBackend('openai', async (spec) => {
  const { OpenAILanguageModel } = await import('./openai.js');
  return new OpenAILanguageModel({ ...(spec as object), model: spec.model });
});

registerBackend('llamacpp', async (spec) => {
  const { loadLlamaCppModel } = await import('./llamacpp.js');
  return loadLlamaCppModel({ ...(spec as object), modelPath: spec.model });
});

registerBackend('builtin', async (spec) => {
  const { BuiltinLanguageModel } = await import('./builtin.js');
  return BuiltinLanguageModel.load(spec.model);
});
