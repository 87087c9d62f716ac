// Remote fine-tuning providers by name. A new provider is one file implementing RemoteFinetuner
// plus one registerRemoteProvider() call here.
import { OPENAI_MIN_EXAMPLES, type RemoteFinetuner } from './finetuner.js';

export interface ConnectOptions {
  /** OpenAI-compatible server URL including /v1 (openai). */
  baseURL?: string;
  apiKey?: string;
  /** https://<resource>.openai.azure.com (azure). */
  azureEndpoint?: string;
  /** Azure api-version, e.g. 2024-10-21 (azure). */
  apiVersion?: string;
  /** Retries of one request, done by the official client (default 4). */
  maxRetries?: number;
  timeoutMs?: number;
}

type Factory = (o: ConnectOptions) => Promise<RemoteFinetuner>;

/** What is known of a provider without connecting to it (compare plans its cells with it). */
export interface RemoteProviderInfo {
  /** Fewest training examples the provider accepts (the finetuner's minExamples); default 1. */
  minExamples?: number;
  /**
   * Why compare cannot score this provider's fine-tuned models by itself, if it cannot (Azure
   * serves them only through a deployment the user creates).
   */
  notScorable?: string;
}

const factories = new Map<string, { factory: Factory; reconnect: (endpoint: string, settings: Record<string, string>) => ConnectOptions; info: RemoteProviderInfo }>();

export function registerRemoteProvider(
  name: string,
  factory: Factory,
  reconnect: (endpoint: string, settings: Record<string, string>) => ConnectOptions,
  info: RemoteProviderInfo = {},
): void {
  factories.set(name, { factory, reconnect, info });
}

/** The provider's static facts, or undefined for an unknown provider. */
export function remoteProviderInfo(name: string): RemoteProviderInfo | undefined {
  return factories.get(name)?.info;
}

export function remoteProviders(): string[] {
  return [...factories.keys()].sort();
}

export async function createRemoteFinetuner(provider: string, options: ConnectOptions = {}): Promise<RemoteFinetuner> {
  const p = factories.get(provider);
  if (!p) throw new Error(`unknown remote provider "${provider}" (known: ${remoteProviders().join(', ')})`);
  return p.factory(options);
}

/**
 * A finetuner for the endpoint a job was created on (as the registry recorded it), so that
 * `tuneshot jobs follow <id>` talks to the same server; credentials come from `options` or the environment.
 */
export async function reconnectRemoteFinetuner(
  provider: string,
  endpoint: string,
  settings: Record<string, string>,
  options: ConnectOptions = {},
): Promise<RemoteFinetuner> {
  const p = factories.get(provider);
  if (!p) throw new Error(`unknown remote provider "${provider}" (known: ${remoteProviders().join(', ')})`);
  return p.factory({ ...p.reconnect(endpoint, settings), ...stripUndefined(options) });
}

function stripUndefined(o: ConnectOptions): ConnectOptions {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as ConnectOptions;
}

registerRemoteProvider(
  'openai',
  async (o) => {
    const { OpenAIFinetuner } = await import('./openai.js');
    return new OpenAIFinetuner({
      ...(o.baseURL !== undefined ? { baseURL: o.baseURL } : {}), ...(o.apiKey !== undefined ? { apiKey: o.apiKey } : {}),
      ...(o.maxRetries !== undefined ? { maxRetries: o.maxRetries } : {}), ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    });
  },
  (endpoint) => ({ baseURL: endpoint }),
  { minExamples: OPENAI_MIN_EXAMPLES },
);

registerRemoteProvider(
  'azure',
  async (o) => {
    const { AzureFinetuner } = await import('./azure.js');
    return new AzureFinetuner({
      ...(o.azureEndpoint !== undefined ? { endpoint: o.azureEndpoint } : {}), ...(o.apiVersion !== undefined ? { apiVersion: o.apiVersion } : {}),
      ...(o.apiKey !== undefined ? { apiKey: o.apiKey } : {}),
      ...(o.maxRetries !== undefined ? { maxRetries: o.maxRetries } : {}), ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    });
  },
  // AzureOpenAI's base URL is <endpoint>/openai.
  (endpoint, settings) => ({ azureEndpoint: endpoint.replace(/\/openai$/, ''), ...(settings.apiVersion ? { apiVersion: settings.apiVersion } : {}) }),
  {
    minExamples: OPENAI_MIN_EXAMPLES,
    notScorable: 'Azure serves a fine-tuned model only through a deployment you create, so compare cannot score it: fine-tune with `tuneshot finetune --remote azure`, deploy the model, then compare it as --icl openai:<deployment> --budgets 0 with OPENAI_BASE_URL=https://<resource>.openai.azure.com/openai/v1 and OPENAI_API_KEY set to the Azure key',
  },
);
