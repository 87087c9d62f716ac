// Ollama Modelfiles: chat templates (Jinja, rendered with @huggingface/jinja) turned into Go
// templates over .Messages, stop tokens from the vocabulary's special tokens, and the fallback when
// a template is not a fixed wrapper per role. End to end: `exportModel --ollama` on a decoder whose
// tokenizer_config.json carries a chat template.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Template } from '@huggingface/jinja';
import { applyWrappers, chatWrappers, goTemplate, ollamaModelfile } from '../../src/export/modelfile.js';
import { exportModel } from '../../src/export/export.js';
import { readGgufHeader } from '../../src/formats/gguf.js';
import { resolveModel } from '../../src/models/resolve.js';

const CHATML = "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const LLAMA3 = "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
// Llama 2 folds the system prompt into the first user turn: no fixed wrapper per role.
const LLAMA2 = "{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\\n' + system_message + '\\n<</SYS>>\\n\\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' ' + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

const conversation = [
  { role: 'system' as const, content: 'You answer in French.' },
  { role: 'user' as const, content: 'What is the capital of Italy?' },
  { role: 'assistant' as const, content: 'Rome.' },
  { role: 'user' as const, content: 'And of Spain?' },
];

test('a ChatML template becomes a Go template with the same wrappers and its turn tokens as stops', () => {
  const w = chatWrappers(CHATML)!;
  assert.ok(w);
  assert.deepEqual(w.user, ['<|im_start|>user\n', '<|im_end|>\n']);
  assert.deepEqual(w.assistant, ['<|im_start|>assistant\n', '<|im_end|>\n']);
  assert.equal(w.generation, '<|im_start|>assistant\n');
  const jinja = new Template(CHATML).render({ messages: conversation, add_generation_prompt: true });
  assert.equal(applyWrappers(w, conversation), jinja);
  assert.equal(goTemplate(w, false),
    '{{ range .Messages }}{{ if eq .Role "system" }}<|im_start|>system\n{{ .Content }}<|im_end|>\n{{ else if eq .Role "user" }}<|im_start|>user\n{{ .Content }}<|im_end|>\n{{ else if eq .Role "assistant" }}<|im_start|>assistant\n{{ .Content }}<|im_end|>\n{{ end }}{{ end }}<|im_start|>assistant\n');
  const { text, warnings } = ollamaModelfile({ gguf: 'model-q4_0.gguf', chatTemplate: CHATML, eosToken: '<|im_end|>', addBos: false, specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'], contextLength: 4096 });
  assert.deepEqual(warnings, []);
  assert.match(text, /^FROM \.\/model-q4_0\.gguf$/m);
  assert.match(text, /^TEMPLATE """\{\{ range \.Messages \}\}/m);
  assert.deepEqual(text.split('\n').filter((l) => l.startsWith('PARAMETER stop')), ['PARAMETER stop "<|im_end|>"', 'PARAMETER stop "<|im_start|>"']);
  assert.match(text, /^PARAMETER num_ctx 4096$/m);
});

test('a BOS the template writes is left to llama.cpp when it adds BOS itself', () => {
  const w = chatWrappers(LLAMA3, '<|begin_of_text|>', '<|eot_id|>')!;
  assert.equal(w.prefix, '<|begin_of_text|>');
  assert.ok(!goTemplate(w, true).includes('<|begin_of_text|>'));
  assert.ok(goTemplate(w, false).startsWith('<|begin_of_text|>{{ range'));
  const { text } = ollamaModelfile({ gguf: 'm.gguf', chatTemplate: LLAMA3, bosToken: '<|begin_of_text|>', eosToken: '<|end_of_text|>', addBos: true, specialTokens: ['<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'], contextLength: 8192 });
  assert.ok(!text.includes('TEMPLATE """<|begin_of_text|>'));
  for (const s of ['<|end_of_text|>', '<|eot_id|>', '<|start_header_id|>']) assert.ok(text.includes(`PARAMETER stop "${s}"`), s);
});

test('a template that is not a fixed wrapper per role is left to the GGUF, with a warning', () => {
  assert.equal(chatWrappers(LLAMA2, '<s>', '</s>'), undefined);
  const { text, warnings } = ollamaModelfile({ gguf: 'm.gguf', chatTemplate: LLAMA2, bosToken: '<s>', eosToken: '</s>', addBos: true, specialTokens: ['<s>', '</s>'], contextLength: 4096 });
  assert.ok(!text.includes('TEMPLATE'));
  assert.match(warnings.join('\n'), /not a fixed wrapper per role/);
  assert.match(text, /PARAMETER stop "<\/s>"/);
  assert.equal(chatWrappers('{{ raise_exception("no") }}'), undefined);
});

test('exportModel --ollama writes the GGUF (with the chat template) and a Modelfile next to it', { timeout: 120_000 }, async () => {
  const root = mkdtempSync(path.join(tmpdir(), 'tuneshot-ollama-'));
  try {
    const src = path.join(root, 'chat-lm');
    cpSync(resolveModel('tuneshot-base-lm'), src, { recursive: true });
    const tc = JSON.parse(readFileSync(path.join(src, 'tokenizer_config.json'), 'utf8'));
    tc.chat_template = "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}";
    writeFileSync(path.join(src, 'tokenizer_config.json'), JSON.stringify(tc));
    const r = await exportModel({ model: src, format: 'gguf', quant: 'q8_0', out: path.join(root, 'out'), ollama: true });
    assert.deepEqual(r.files.map((f) => f.name), ['Modelfile', 'model-q8_0.gguf', 'tuneshot_export.json']);
    const h = await readGgufHeader(path.join(r.out, 'model-q8_0.gguf'));
    assert.equal(h.metadata.get('tokenizer.chat_template')!.value, tc.chat_template);
    const modelfile = readFileSync(path.join(r.out, 'Modelfile'), 'utf8');
    assert.equal(modelfile, [
      '# Ollama Modelfile written by tuneshot export: ollama create <name> -f Modelfile',
      'FROM ./model-q8_0.gguf',
      'TEMPLATE """{{ range .Messages }}{{ if eq .Role "system" }}system: {{ .Content }}\n{{ else if eq .Role "user" }}user: {{ .Content }}\n{{ else if eq .Role "assistant" }}assistant: {{ .Content }}\n{{ end }}{{ end }}assistant:"""',
      'PARAMETER stop "<|endoftext|>"',
      'PARAMETER num_ctx 1024',
      '',
    ].join('\n'));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
