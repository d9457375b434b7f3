/**
 * The arrays a training run reuses from step to step: the two each batch is gathered into, and the copies
 * of activations handed to observers that keep none (`Observer.keepsActivations`). A new array a step came
 * from the C heap, whose release at a later collection made glibc hand pages back to the system and fault
 * them in again (10.5 µs a page on a VM): ~4,800 page faults a 60,000-row run for batches of 64 rows of
 * 784 inputs, and ~1,500 more for the health monitor's activation copies.
 */
import { allocFloat32, keptCopy } from "../backend/index.js";
import { Tensor } from "../tensor/tensor.js";

export class StepArrays {
  private readonly batch: (Float32Array | null)[] = [null, null];
  private readonly copies = new Map<string, Float32Array>();

  /** `maxRows`: the most rows a batch holds (the batch size, or every row where there are fewer). */
  constructor(private readonly maxRows: number) {}

  /**
   * Rows order[start .. start+rows) of the [n, cols] matrix `t`, as a [rows, cols] tensor over the start of
   * the inputs' (0) or targets' (1) array: in the backend's memory where it keeps one, where the first
   * layer's product reads it in place.
   *
   * @example
   * const xb = arrays.gather(0, x, order, 64, 64); // rows order[64..128) of x, in the same array every step
   */
  gather(which: 0 | 1, t: Tensor, order: Int32Array, start: number, rows: number): Tensor {
    const cols = t.shape[1];
    const size = this.maxRows * cols;
    let into = this.batch[which];
    if (!into || into.length !== size) this.batch[which] = into = allocFloat32(size);
    const out = rows * cols === size ? into : into.subarray(0, rows * cols);
    const src = t.data;
    for (let r = 0; r < rows; r++) {
      const from = order[start + r] * cols;
      out.set(src.subarray(from, from + cols), r * cols);
    }
    return new Tensor(out, [rows, cols]);
  }

  /**
   * `t` copied into the array the last copy under `key` went to, where it fits (`keptCopy`), else a new one
   * that later copies reuse; a float64 tensor is cloned.
   *
   * @example
   * const h = arrays.copy("0", output); // the same array as at the last check step, this step's values
   */
  copy(key: string, t: Tensor): Tensor {
    if (!(t.data instanceof Float32Array)) return t.clone();
    const copy = keptCopy(this.copies.get(key), t.data);
    this.copies.set(key, copy);
    return new Tensor(copy, t.shape);
  }
}
