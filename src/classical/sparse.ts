// Sparse rows (compressed sparse row layout): the feature matrices of the classical baselines.
// A document has a few dozen non-zero features out of hundreds of thousands, so nothing here is
// ever stored densely.

export interface SparseRows {
  /** Row r's entries are indices/values[indptr[r] .. indptr[r+1]). */
  indptr: Int32Array;
  indices: Int32Array;
  values: Float64Array;
  /** Number of columns (features). */
  cols: number;
}

export function rowCount(x: SparseRows): number {
  return x.indptr.length - 1;
}

/** Builds CSR rows from per-row maps of column → value (columns sorted within a row). */
export function fromRowMaps(rows: ReadonlyArray<Map<number, number>>, cols: number): SparseRows {
  let nnz = 0;
  for (const r of rows) nnz += r.size;
  const indptr = new Int32Array(rows.length + 1);
  const indices = new Int32Array(nnz);
  const values = new Float64Array(nnz);
  let at = 0;
  rows.forEach((r, i) => {
    for (const c of [...r.keys()].sort((a, b) => a - b)) {
      indices[at] = c;
      values[at] = r.get(c)!;
      at++;
    }
    indptr[i + 1] = at;
  });
  return { indptr, indices, values, cols };
}
