// Full fine-tuning: every weight of the model trains.
import { tokenTraining } from './token-training.js';
import { saveModelFolder, taskHead, type FinetuneMethod } from './method.js';

export function fullMethod(): FinetuneMethod {
  return {
    name: 'full',
    defaultLr: 1e-4,
    settings: {},
    async prepare(run) {
      run.model.ensureParams(taskHead(run), run.seed);
      return tokenTraining(run, { trains: () => true, flopsPerParamToken: 6 });
    },
    served: (trained) => trained,
    save: (out, s) => saveModelFolder(out, 'full', s),
  };
}
