// Azure OpenAI's variant of the fine-tuning jobs API: the same files and jobs under
// <endpoint>/openai, an api-version query parameter on every request and an api-key header,
// all handled by the official client's AzureOpenAI.
import { AzureOpenAI } from 'openai';
import { OPENAI_MIN_EXAMPLES, OpenAIFinetuner } from './openai.js';

export interface AzureFinetunerOptions {
  /** https://<resource>.openai.azure.com; default $AZURE_OPENAI_ENDPOINT. */
  endpoint?: string;
  /** Default $OPENAI_API_VERSION. */
  apiVersion?: string;
  /** Default $AZURE_OPENAI_API_KEY. */
  apiKey?: string;
  maxRetries?: number;
  timeoutMs?: number;
}

export class AzureFinetuner extends OpenAIFinetuner {
  override readonly provider = 'azure';
  override readonly minExamples = OPENAI_MIN_EXAMPLES;

  constructor(options: AzureFinetunerOptions = {}) {
    const endpoint = options.endpoint ?? process.env.AZURE_OPENAI_ENDPOINT;
    const apiVersion = options.apiVersion ?? process.env.OPENAI_API_VERSION;
    const apiKey = options.apiKey ?? process.env.AZURE_OPENAI_API_KEY;
    if (!endpoint) throw new Error('no Azure endpoint: give --azure-endpoint https://<resource>.openai.azure.com or set AZURE_OPENAI_ENDPOINT');
    if (!apiVersion) throw new Error('no Azure api-version: give --api-version (e.g. 2024-10-21) or set OPENAI_API_VERSION');
    if (!apiKey) throw new Error('no Azure API key: set AZURE_OPENAI_API_KEY or give --api-key');
    // baseURL null: the endpoint decides, even when $OPENAI_BASE_URL is set for other servers.
    const client = new AzureOpenAI({
      endpoint, apiVersion, apiKey, baseURL: null,
      maxRetries: options.maxRetries ?? 4, timeout: options.timeoutMs ?? 120_000,
    });
    super({}, client);
    this.settings.apiVersion = apiVersion;
  }

  override modelAccess(fineTunedModel: string): { unavailable: string } {
    const v1 = `${this.endpoint}/v1`;
    return {
      unavailable: `Azure serves a fine-tuned model only through a deployment: deploy ${fineTunedModel} (Azure portal or ` +
        '`az cognitiveservices account deployment create`), then call it as openai:<deployment> with ' +
        `--base-url ${v1} and OPENAI_API_KEY set to the Azure key`,
    };
  }
}
