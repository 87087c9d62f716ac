// Remote fine-tuning through the OpenAI fine-tuning jobs API (and Azure OpenAI's variant).
export type { RemoteFinetuner, RemoteJob, RemoteJobEvent, RemoteHyperparameters, RemoteJobStatus, CreateJobParams } from './finetuner.js';
export { OpenAIFinetuner, type OpenAIFinetunerOptions } from './openai.js';
export { AzureFinetuner, type AzureFinetunerOptions } from './azure.js';
export { createRemoteFinetuner, registerRemoteProvider, remoteProviders, remoteProviderInfo, type ConnectOptions, type RemoteProviderInfo } from './providers.js';
export { chatJsonl, toChatLine, labelChoices, remotePromptProgram, validateRemoteExamples, defaultInstruction, type ChatLine } from './chat-jsonl.js';
export { followJob, DetachedError, RemoteJobError, type FollowUpdate, type FollowOptions } from './follow.js';
export { JobProgress } from './progress.js';
export { isRemoteModelFolder, loadRemoteClassifier, readRemoteCard, type RemoteCard, type ModelAccess } from './card.js';
export {
  remoteFinetune, followRemoteJob, cancelRemoteJob, completeJob, findRemoteJob, finetunerForJob, parseRemoteBase, checkHyperparameters,
  type RemoteFinetuneOptions, type RemoteFinetuneResult, type FollowRemoteJobOptions,
} from './finetune.js';
