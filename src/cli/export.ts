// `tuneshot export`: deploy an adapted model elsewhere — a GGUF for llama.cpp / Ollama, or the ONNX
// folder transformers.js loads. A thin layer over exportModel (src/export).
import type { Command } from 'commander';
import { EXPORT_FORMATS, checkExportOptions, exportModel } from '../index.js';
import { Option } from 'commander';

const size = (n: number) => (n >= 2 ** 20 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`);

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('export a model folder (LoRA adapters merged) as GGUF for llama.cpp / Ollama or as ONNX for transformers.js')
    .requiredOption('--model <model>', 'model folder, embedded model name or PEFT LoRA adapter folder')
    .addOption(new Option('--format <format>', 'gguf (llama.cpp, Ollama) or onnx (transformers.js, onnxruntime)').choices(EXPORT_FORMATS).makeOptionMandatory())
    .option('--quant <type>', 'gguf: f32, f16, q8_0 or q4_0 (default f16); onnx: f32 or int8 (default int8: model.onnx and model_quantized.onnx)')
    .requiredOption('--out <folder>', 'new folder to write (a previous export there is replaced)')
    .option('--ollama', 'gguf: also write an Ollama Modelfile (chat template, stop tokens)')
    .option('--quiet', 'no progress output')
    .action(async (o) => {
      // Options are checked before the model is loaded.
      checkExportOptions({ format: o.format, quant: o.quant, out: o.out, ollama: !!o.ollama });
      const r = await exportModel({
        model: o.model, format: o.format, out: o.out, ollama: !!o.ollama, ...(o.quant !== undefined ? { quant: o.quant } : {}),
        onLog: (line) => { if (!o.quiet || line.startsWith('warning:')) process.stderr.write(`${line}\n`); },
      });
      console.log(`${r.out}: ${r.format} ${r.quant} export of a ${r.kind}`);
      for (const f of r.files) console.log(`  ${f.name}  ${size(f.bytes)}`);
    });
}
