// Request bodies: the JSON schemas Fastify validates (400 on a mismatch) and their TypeScript shapes.

const stopSchema = { type: ['string', 'array', 'null'], items: { type: 'string' }, maxItems: 4 } as const;

/** Fields shared by /v1/completions and /v1/chat/completions: sampling and streaming. */
const generationProperties = {
  temperature: { type: ['number', 'null'], minimum: 0, maximum: 2 },
  top_p: { type: ['number', 'null'], exclusiveMinimum: 0, maximum: 1 },
  stop: stopSchema,
  seed: { type: ['integer', 'null'] },
  stream: { type: ['boolean', 'null'] },
  stream_options: { type: ['object', 'null'], properties: { include_usage: { type: ['boolean', 'null'] } } },
  n: { type: ['integer', 'null'], minimum: 1, maximum: 1 },
} as const;

export const completionSchema = {
  type: 'object',
  required: ['model', 'prompt'],
  properties: {
    model: { type: 'string', minLength: 1 },
    prompt: { type: ['string', 'array'], items: { type: 'string' }, minItems: 1, maxItems: 64 },
    max_tokens: { type: ['integer', 'null'], minimum: 0 },
    ...generationProperties,
    echo: { type: ['boolean', 'null'] },
    logprobs: { type: ['integer', 'null'], minimum: 0, maximum: 5 },
  },
} as const;

export const chatSchema = {
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    model: { type: 'string', minLength: 1 },
    messages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['role', 'content'],
        properties: {
          role: { type: 'string', enum: ['system', 'developer', 'user', 'assistant'] },
          content: {
            type: ['string', 'array'],
            items: { type: 'object', required: ['type', 'text'], properties: { type: { const: 'text' }, text: { type: 'string' } } },
          },
        },
      },
    },
    max_tokens: { type: ['integer', 'null'], minimum: 1 },
    max_completion_tokens: { type: ['integer', 'null'], minimum: 1 },
    ...generationProperties,
  },
} as const;

export const classifySchema = {
  type: 'object',
  required: ['model', 'input'],
  properties: {
    model: { type: 'string', minLength: 1 },
    input: { type: ['string', 'array'], items: { type: 'string' }, minItems: 1 },
  },
} as const;

export const tokenizeSchema = {
  type: 'object',
  required: ['model', 'prompt'],
  properties: { model: { type: 'string', minLength: 1 }, prompt: { type: 'string' } },
} as const;

export interface GenerationBody {
  model: string;
  temperature?: number | null;
  top_p?: number | null;
  stop?: string | string[] | null;
  seed?: number | null;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean | null } | null;
}

export interface CompletionBody extends GenerationBody {
  prompt: string | string[];
  max_tokens?: number | null;
  echo?: boolean | null;
  logprobs?: number | null;
}

export interface ChatBody extends GenerationBody {
  messages: { role: string; content: string | { type: 'text'; text: string }[] }[];
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
}

export interface ClassifyBody {
  model: string;
  input: string | string[];
}

export interface TokenizeBody {
  model: string;
  prompt: string;
}
