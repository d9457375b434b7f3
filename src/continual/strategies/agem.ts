import { grad } from "../../autograd/backward.js";
import { Tensor } from "../../tensor/tensor.js";
import type { LabeledData } from "../../train/evaluate.js";
import { concatData, gather, lossFromLogits, type Strategy } from "../strategy.js";
import { defineKind } from "../../config/registry.js";
import type { OptionSchema } from "../../config/options.js";

export interface AgemOptions {
  /** Rows of episodic memory, shared equally by the tasks seen so far. */
  memorySize?: number;
  /** Memory rows per reference gradient. */
  referenceBatch?: number;
}

/**
 * Averaged gradient episodic memory (Chaudhry, Ranzato, Rohrbach & Elhoseiny 2019, "Efficient Lifelong
 * Learning with A-GEM"). At each step, a reference gradient g_ref is computed on a random batch of the
 * memory of earlier tasks; if the new gradient g points against it (g·g_ref < 0), it is projected onto
 * the half-space where the memory's loss does not rise: g ← g − (g·g_ref / g_ref·g_ref) g_ref.
 *
 * @example
 * runContinual(parseContinualConfig({ stream: "split", scenario: "class",
 *   strategy: { type: "agem", memorySize: 500 } }));
 */
export function agem(opts: AgemOptions = {}): Strategy {
  const capacity = opts.memorySize ?? OPTIONS.memorySize.default;
  const refRows = opts.referenceBatch ?? OPTIONS.referenceBatch.default;
  const perTask: LabeledData[] = [];
  let memory: LabeledData | null = null;
  return {
    name: "agem",
    getState: () => ({
      perTask: perTask.map((d) => ({ x: d.x.data, xShape: d.x.shape, y: d.y.data, yShape: d.y.shape })),
    }),
    setState: (s) => {
      const saved = (
        s as { perTask: { x: Float32Array; xShape: number[]; y: Float32Array; yShape: number[] }[] }
      ).perTask;
      perTask.splice(
        0,
        perTask.length,
        ...saved.map((d) => ({
          x: new Tensor(Float32Array.from(d.x), [...d.xShape]),
          y: new Tensor(Float32Array.from(d.y), [...d.yShape]),
        })),
      );
      memory = perTask.length > 0 ? concatData(perTask) : null;
    },
    observer: (ctx) => {
      const mem = memory;
      if (!mem) return null;
      const params = ctx.model.parameters();
      const tensors = params.map(([, t]) => t);
      return {
        // It projects the gradients in onGradients, before the step; the event's copy is not needed.
        wantsGradients: () => false,
        onGradients: (grads) => {
          const picks = Int32Array.from({ length: Math.min(refRows, mem.x.shape[0]) }, () =>
            ctx.rng.int(mem.x.shape[0]),
          );
          const ref = gather(mem, picks);
          const logits = ctx.model.forwardLinear(ref.x, { training: false });
          const gRef = grad(lossFromLogits(ctx.loss, logits, ref.y), tensors).map((g) => g.data);
          let dot = 0;
          let norm = 0;
          params.forEach(([name], i) => {
            const [g, r] = [grads.get(name)!, gRef[i]];
            for (let j = 0; j < g.length; j++) {
              dot += g[j] * r[j];
              norm += r[j] * r[j];
            }
          });
          if (dot >= 0 || norm === 0) return;
          const scale = dot / norm;
          params.forEach(([name], i) => {
            const [g, r] = [grads.get(name)!, gRef[i]];
            for (let j = 0; j < g.length; j++) g[j] -= scale * r[j];
          });
        },
      };
    },
    onTaskEnd: (ctx) => {
      // Equal shares per task: earlier tasks keep the first rows of their (already random) sample.
      const share = Math.max(1, Math.floor(capacity / (perTask.length + 1)));
      const picks = ctx.rng.permutation(ctx.task.labels.length).subarray(0, share);
      perTask.push(gather(ctx.task, picks));
      for (let t = 0; t < perTask.length; t++) {
        const rows = Math.min(share, perTask[t].x.shape[0]);
        perTask[t] = gather(
          perTask[t],
          Int32Array.from({ length: rows }, (_, i) => i),
        );
      }
      memory = concatData(perTask);
    },
  };
}

const OPTIONS = {
  memorySize: {
    kind: "number",
    default: 500,
    min: 1,
    integer: true,
    doc: "rows of episodic memory (500, the same budget as replay)",
  },
  referenceBatch: {
    kind: "number",
    default: 256,
    min: 1,
    integer: true,
    doc: "memory rows per reference gradient (256, Chaudhry et al. 2019)",
  },
} as const satisfies OptionSchema;

/** `{"type": "agem", …}` as a run config's continual strategy. */
export const agemKind = defineKind({
  name: "agem",
  doc: "Averaged GEM (Chaudhry et al. 2019): gradients projected so the memory's loss does not rise.",
  options: OPTIONS,
  create: (o) => agem(o),
});
