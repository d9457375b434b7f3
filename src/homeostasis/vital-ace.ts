/**
 * The vitals loop's strongest replay: its replayed rows with ER-ACE's asymmetric cross-entropy (Caccia,
 * Aljundi, Asadi, Tuytelaars, Pineau & Belilovsky 2022, "New Insights on Reducing Abrupt Representation
 * Change in Online Continual Learning"). The new rows' cross-entropy covers only the classes present among
 * them, the replayed rows' every class seen so far: new classes stop pushing the old ones' logits down,
 * which is most of what class-incremental forgetting is. The training loop's loss is over the seen classes
 * (a class-incremental head) or all of them; the term adds the asymmetric loss and takes the loss over the
 * seen classes away again, so the step's gradient is the asymmetric one. Softmax outputs only.
 */
import * as op from "../autograd/ops.js";
import { crossEntropy } from "../losses/losses.js";
import { Tensor } from "../tensor/tensor.js";
import type { Batch } from "../train/events.js";

/** A logit this low has probability exactly 0 after a float32 softmax (as the class-incremental head's mask). */
const MASKED_LOGIT = -1e9;

/**
 * Mark the classes the rows `from`..`to` of one-hot (or soft) targets put weight on; returns `seen` grown to
 * the targets' width.
 *
 * @example
 * markClasses(new Float32Array(3), new Tensor(new Float32Array([0, 1, 0]), [1, 3]), 0, 1); // [0, 1, 0]
 */
export function markClasses(seen: Float32Array, y: Tensor, from: number, to: number): Float32Array {
  const c = y.shape[1];
  const out = seen.length >= c ? seen : Float32Array.from({ length: c }, (_, u) => seen[u] ?? 0);
  for (let r = from; r < to; r++) for (let u = 0; u < c; u++) if (y.data[r * c + u] > 0) out[u] = 1;
  return out;
}

/**
 * The per-row masks of ER-ACE's objective on a batch whose first `fresh` rows are new and the rest
 * replayed: a new row keeps the classes present among the new rows, a replayed row every class in `seen`.
 *
 * @example
 * aceMasks(batch.y, 2, seen); // [rows, C]: rows 0–1 the new rows' classes, the others `seen`
 */
export function aceMasks(y: Tensor, fresh: number, seen: Float32Array): Tensor {
  const [rows, c] = y.shape;
  const present = markClasses(new Float32Array(c), y, 0, fresh);
  const m = new Float32Array(rows * c);
  for (let r = 0; r < rows; r++) m.set(r < fresh ? present : seen.subarray(0, c), r * c);
  return new Tensor(m, [rows, c]);
}

/**
 * The term that turns a step's cross-entropy over the seen classes into ER-ACE's asymmetric one: the
 * masked cross-entropy of every row (`aceMasks`) minus the cross-entropy over `seen` (what the head's
 * loss is), or null where there is nothing to replay against (no replayed rows, or no seen class).
 *
 * @example
 * lossTerm: ({ batch, logits }) => aceTerm(batch, logits, 64, seen)
 */
export function aceTerm(batch: Batch, logits: Tensor, fresh: number, seen: Float32Array): Tensor | null {
  const [rows, c] = batch.y.shape;
  if (rows <= fresh || c < 2 || logits.shape[1] !== c) return null;
  const all = new Tensor(Float32Array.from(seen.subarray(0, c)), [1, c]);
  const ce = crossEntropy.fused!.fromLogits;
  const asymmetric = ce(op.where(aceMasks(batch.y, fresh, seen), logits, MASKED_LOGIT), batch.y);
  return op.sub(asymmetric, ce(op.where(all, logits, MASKED_LOGIT), batch.y));
}
