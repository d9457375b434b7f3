import * as op from "../../autograd/ops.js";
import type { Loss } from "../../losses/losses.js";
import { Tensor } from "../../tensor/tensor.js";
import { maskLogits } from "../heads.js";
import { lossFromLogits, type Strategy } from "../strategy.js";
import { type MemoryState, memoryState, restoreMemory } from "./der.js";
import type { ReservoirBuffer } from "./replay.js";
import { defineKind } from "../../config/registry.js";
import type { OptionSchema } from "../../config/options.js";

export interface ErAceOptions {
  /** Rows the memory holds. */
  bufferSize?: number;
  /** Memory rows replayed per step; 0 = the batch size. */
  replayBatch?: number;
}

/** A [1, C] 0/1 mask of the units some row of `target` (one-hot or soft) puts weight on. */
export function presentUnits(target: Tensor): Float32Array {
  const [rows, c] = target.shape;
  const m = new Float32Array(c);
  for (let r = 0; r < rows; r++) for (let u = 0; u < c; u++) if (target.data[r * c + u] > 0) m[u] = 1;
  return m;
}

/**
 * ER-ACE's objective on an incoming batch and a memory draw: the cross-entropy of the incoming rows over
 * the classes present in that batch only (no gradient pushes other classes' logits down: the asymmetric
 * part), plus the cross-entropy of the replayed rows over every class seen so far (`seen`, [1, C]).
 * `loss` is the stage's head loss; both masks come on top of it.
 *
 * @example
 * aceLoss(crossEntropy, logits, batch.y, replayedLogits, replayed.y, seenMask).item();
 */
export function aceLoss(
  loss: Loss,
  logits: Tensor,
  target: Tensor,
  replayed: { logits: Tensor; y: Tensor } | null,
  seen: Float32Array,
): Tensor {
  const c = target.shape[1];
  const incoming = lossFromLogits(loss, maskLogits(logits, new Tensor(presentUnits(target), [1, c])), target);
  if (!replayed) return incoming;
  const seenMask = new Tensor(Float32Array.from(seen), [1, c]);
  return op.add(incoming, lossFromLogits(loss, maskLogits(replayed.logits, seenMask), replayed.y));
}

/**
 * ER with asymmetric cross-entropy (Caccia, Aljundi, Asadi, Tuytelaars, Pineau & Belilovsky 2022, "New
 * Insights on Reducing Abrupt Representation Change in Online Continual Learning"). A reservoir memory as
 * in `replay` (offered every step's rows, in every epoch, as in the authors' code), but the incoming rows' cross-entropy covers only the classes present in their batch, and
 * the replayed rows' covers every class seen so far: new classes no longer push the old ones' logits
 * down, which is where abrupt drift of old representations comes from. The seen classes are tracked
 * from the labels, so it needs no task boundaries and also runs on task-free streams.
 *
 * The training loop computes the batch's loss over the head; the observer's term swaps it for ER-ACE's
 * objective (it adds aceLoss − the head loss on the same logits), so the gradient is ER-ACE's.
 *
 * @example
 * runContinual(parseContinualConfig({ stream: "split", scenario: "class",
 *   strategy: { type: "erAce", bufferSize: 500 } }));
 */
export function erAce(opts: ErAceOptions = {}): Strategy {
  const capacity = opts.bufferSize ?? OPTIONS.bufferSize.default;
  let buffer: ReservoirBuffer | null = null;
  let restored: MemoryState | null = null;
  let seen: Float32Array | null = null;
  return {
    name: "erAce",
    taskFree: true,
    getState: () => buffer && { memory: memoryState(buffer), seen },
    setState: (s) => {
      const o = s as { memory: MemoryState; seen: Float32Array } | null;
      [buffer, restored, seen] = [null, o?.memory ?? null, o ? Float32Array.from(o.seen) : null];
    },
    observer: (ctx) => {
      const { inputDim, outputDim } = ctx.stream;
      buffer ??= restoreMemory(capacity, inputDim, outputDim, ctx, restored);
      restored = null;
      seen ??= new Float32Array(outputDim);
      const [memory, classes] = [buffer, seen];
      const rows = opts.replayBatch || ctx.batchSize;
      return {
        wantsGradients: () => false,
        lossTerm: ({ batch, logits }) => {
          presentUnits(batch.y).forEach((v, u) => {
            if (v > 0) classes[u] = 1;
          });
          const drawn = memory.size > 0 ? memory.sample(rows) : null;
          const replayed = drawn && {
            logits: ctx.model.forwardLinear(drawn.x, { training: false }),
            y: drawn.y,
          };
          // Every step's rows, in every epoch, after the draw (the authors' code).
          memory.offer(batch);
          const head = lossFromLogits(ctx.loss, logits, batch.y);
          return op.sub(aceLoss(ctx.loss, logits, batch.y, replayed, classes), head);
        },
      };
    },
  };
}

const OPTIONS = {
  bufferSize: {
    kind: "number",
    default: 500,
    min: 1,
    integer: true,
    doc: "rows in memory (500, as replay)",
  },
  replayBatch: {
    kind: "number",
    default: 0,
    min: 0,
    integer: true,
    doc: "replayed rows per step; 0 = the batch size",
  },
} as const satisfies OptionSchema;

/** `{"type": "erAce", …}` as a run config's continual strategy. */
export const erAceKind = defineKind({
  name: "erAce",
  doc: "ER-ACE (Caccia et al. 2022): replay, with the incoming rows' cross-entropy over their own classes only.",
  options: OPTIONS,
  create: (o) => erAce(o),
});
