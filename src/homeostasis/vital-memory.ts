/**
 * The rows the vitals regulator keeps, as plain state: the most recent rows (the probe its monitor reads
 * unit statistics on, as the learner's guard does: a batch of 16, or of 1, says little about a layer) and
 * a reservoir of the whole stream (what it replays when forgetting exceeds the budget).
 */
import type { Rng } from "../tensor/rng.js";
import { Tensor } from "../tensor/tensor.js";
import type { Batch } from "../train/events.js";

/** Rows of fixed width in one buffer; targets widen (zero-padded) when a grown head adds outputs. */
export interface RowStore {
  x: Float32Array;
  y: Float32Array;
  cols: number;
  yCols: number;
  /** Rows held, and rows offered so far (the reservoir's count; the ring's next slot is seen % capacity). */
  size: number;
  seen: number;
}

export const emptyStore = (): RowStore => ({
  x: new Float32Array(0),
  y: new Float32Array(0),
  cols: 0,
  yCols: 0,
  size: 0,
  seen: 0,
});

function fit(store: RowStore, capacity: number, batch: Batch): void {
  const [cols, yCols] = [batch.x.shape[1], batch.y.shape[1]];
  if (store.cols !== cols)
    Object.assign(store, {
      ...emptyStore(),
      x: new Float32Array(capacity * cols),
      y: new Float32Array(capacity * yCols),
      cols,
      yCols,
    });
  if (yCols > store.yCols) {
    const y = new Float32Array(capacity * yCols);
    for (let r = 0; r < store.size; r++)
      y.set(store.y.subarray(r * store.yCols, (r + 1) * store.yCols), r * yCols);
    [store.y, store.yCols] = [y, yCols];
  }
}

function put(store: RowStore, slot: number, batch: Batch, r: number): void {
  const { cols } = store;
  const yc = batch.y.shape[1];
  store.x.set((batch.x.data as Float32Array).subarray(r * cols, (r + 1) * cols), slot * cols);
  store.y.fill(0, slot * store.yCols, (slot + 1) * store.yCols);
  store.y.set((batch.y.data as Float32Array).subarray(r * yc, (r + 1) * yc), slot * store.yCols);
}

/**
 * Keep the batch's rows: in a ring (`rng` null: the latest `capacity` rows) or a reservoir (Vitter's
 * algorithm R: every row of the stream equally likely to be held).
 *
 * @example
 * offerRows(store, 64, batch, null); // the last 64 rows
 */
export function offerRows(store: RowStore, capacity: number, batch: Batch, rng: Rng | null): void {
  fit(store, capacity, batch);
  for (let r = 0; r < batch.x.shape[0]; r++) {
    const seen = store.seen++;
    if (rng === null) put(store, seen % capacity, batch, r);
    else if (seen < capacity) put(store, seen, batch, r);
    else {
      const j = Math.floor(rng.next() * (seen + 1));
      if (j < capacity) put(store, j, batch, r);
    }
    store.size = Math.min(store.seen, capacity);
  }
}

/** The held rows as a batch (targets as wide as `yCols`). */
export function storedBatch(store: RowStore, yCols = store.yCols): Batch {
  return gather(
    store,
    Array.from({ length: store.size }, (_, i) => i),
    yCols,
  );
}

function gather(store: RowStore, rows: readonly number[], yCols: number): Batch {
  const x = new Float32Array(rows.length * store.cols);
  const y = new Float32Array(rows.length * yCols);
  const w = Math.min(yCols, store.yCols);
  rows.forEach((r, i) => {
    x.set(store.x.subarray(r * store.cols, (r + 1) * store.cols), i * store.cols);
    y.set(store.y.subarray(r * store.yCols, r * store.yCols + w), i * yCols);
  });
  return { x: new Tensor(x, [rows.length, store.cols]), y: new Tensor(y, [rows.length, yCols]) };
}

/**
 * The batch with `count` rows drawn from the store appended (experience replay).
 *
 * @example
 * withReplay(batch, reservoir, 4, rng).x.shape; // [20, 784] for a batch of 16
 */
export function withReplay(batch: Batch, store: RowStore, count: number, rng: Rng): Batch {
  if (count <= 0 || store.size === 0 || store.cols !== batch.x.shape[1]) return batch;
  const yCols = batch.y.shape[1];
  const drawn = gather(
    store,
    Array.from({ length: count }, () => Math.floor(rng.next() * store.size)),
    yCols,
  );
  const n = batch.x.shape[0];
  const x = new Float32Array((n + count) * store.cols);
  const y = new Float32Array((n + count) * yCols);
  x.set(batch.x.data as Float32Array);
  x.set(drawn.x.data as Float32Array, n * store.cols);
  y.set(batch.y.data as Float32Array);
  y.set(drawn.y.data as Float32Array, n * yCols);
  return { x: new Tensor(x, [n + count, store.cols]), y: new Tensor(y, [n + count, yCols]) };
}
