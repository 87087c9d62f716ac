// Public API of src/data: datasets, sampling, the built-in corpus and tokenizer training.
export { loadExamples, examplesOf, sampleBudget, DataError } from './dataset.js';
export type { Example, Task, DataFormat, LoadOptions, LoadedExamples } from './dataset.js';
export { mulberry32, shuffle, subSeed, randomInt } from './random.js';
export type { Rng } from './random.js';
export { builtinDataset, builtinDatasetNames } from './builtin.js';
export type { BuiltinDataset, BuiltinDatasetName } from './builtin.js';
export { corpusPath, buildCorpus, defaultCorpusPath, readTextStream, detokenizeBrown, cleanDocument, CORPUS_SOURCES } from './corpus.js';
export type { CorpusSource, BuildCorpusOptions, CorpusStats, SourceStats, ReadTextOptions } from './corpus.js';
export { trainTokenizer, bytesToUnicode, BERT_SPECIALS, GPT2_EOS } from './train-tokenizer.js';
export type { TokenizerKind, TrainTokenizerOptions, TrainedTokenizer } from './train-tokenizer.js';
export { reduceEmail, htmlToText, collapseWhitespace, truncateText } from './email.js';
