// Which Hub models (id, revision, commit) a piece of work resolved, so the run registry can record
// exactly what a run used without every command passing it along.
export interface HubModelRecord {
  id: string;
  revision: string;
  commit: string;
}

const listeners = new Set<(r: HubModelRecord) => void>();

export function noteHubModel(r: HubModelRecord): void {
  for (const l of listeners) l(r);
}

/** Run `work`; every Hub model it resolves (deduplicated, in order) is passed to `record` at the end, success or not. */
export async function collectHubModels<T>(work: () => Promise<T>, record: (models: HubModelRecord[]) => void): Promise<T> {
  const models: HubModelRecord[] = [];
  const l = (r: HubModelRecord) => {
    if (!models.some((m) => m.id === r.id && m.commit === r.commit && m.revision === r.revision)) models.push(r);
  };
  listeners.add(l);
  try {
    return await work();
  } finally {
    listeners.delete(l);
    if (models.length) record(models);
  }
}
