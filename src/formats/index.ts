export * from './safetensors.js';
export * from './checkpoint.js';
export * from './tokenizer.js';
export * from './gguf.js';
