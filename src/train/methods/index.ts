// The fine-tuning methods tuneshot knows, by name.
export const ALL_METHODS = ['full', 'lora', 'head'] as const;
export type Method = (typeof ALL_METHODS)[number];
