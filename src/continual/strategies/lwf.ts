import * as F from "../../autograd/functional.js";
import * as op from "../../autograd/ops.js";
import type { Sequential } from "../../nn/sequential.js";
import type { Tensor } from "../../tensor/tensor.js";
import { activeUnits, selectUnits } from "../heads.js";
import { cloneModel, mapFromState, mapToState, snapshotModel, type Strategy } from "../strategy.js";
import { defineKind } from "../../config/registry.js";
import type { OptionSchema } from "../../config/options.js";

export interface LwfOptions {
  /** Weight of the distillation term. */
  lambda?: number;
  /** Softmax temperature of the distillation. */
  temperature?: number;
}

/**
 * Learning without forgetting (Li & Hoiem 2016): no stored data. At each task's end the model is
 * frozen as a teacher; while training the next task, the student's outputs on the new task's inputs are
 * kept close to the teacher's on every earlier head: λ T² Σ_heads mean_rows CE(softmax(teacher/T),
 * softmax(student/T)). Heads: each earlier task's units (task-incremental), the units of every class
 * seen before this task (class-incremental, as in van de Ven et al. 2022), all units (domain-incremental).
 *
 * @example
 * runContinual(parseContinualConfig({ stream: "split", scenario: "class",
 *   strategy: { type: "lwf", lambda: 1, temperature: 2 } }));
 */
export function lwf(opts: LwfOptions = {}): Strategy {
  const lambda = opts.lambda ?? OPTIONS.lambda.default;
  const temperature = opts.temperature ?? OPTIONS.temperature.default;
  let teacher: Sequential | null = null;
  let heads: (readonly number[])[] = [];
  /** Teacher weights from a checkpoint, made into a model when the next observer is asked for. */
  let restored: Map<string, Float32Array> | null = null;
  return {
    name: "lwf",
    getState: () => ({ teacher: teacher && mapToState(snapshotModel(teacher)), heads }),
    setState: (s) => {
      const o = s as { teacher: unknown; heads: (readonly number[])[] };
      [restored, heads, teacher] = [mapFromState(o.teacher), o.heads.map((h) => Array.from(h)), null];
    },
    observer: (ctx) => {
      if (restored) {
        teacher = cloneModel(ctx.model);
        // Parameters and running statistics (older checkpoints' models had none of the latter).
        for (const [name, p] of [...teacher.parameters(), ...teacher.buffers()])
          p.data.set(restored.get(name)!);
        restored = null;
      }
      const t = teacher;
      return (
        t && {
          wantsGradients: () => false,
          lossTerm: ({ batch, logits }) => {
            const target = t.forwardLinear(batch.x, { training: false }).detach();
            return op.mul(distillation(logits, target, heads, temperature), lambda);
          },
        }
      );
    },
    onTaskEnd: (ctx) => {
      teacher = cloneModel(ctx.model);
      heads =
        ctx.stream.scenario === "task"
          ? ctx.seen.map((t) => t.classes)
          : [activeUnits(ctx.stream, ctx.taskIndex, ctx.task)];
    },
  };
}

/** T² Σ_heads mean over rows of −Σ softmax(teacher_h/T) · log softmax(student_h/T): Hinton's distillation, per head. */
export function distillation(
  student: Tensor,
  teacher: Tensor,
  heads: readonly (readonly number[])[],
  temperature: number,
): Tensor {
  let total: Tensor | null = null;
  for (const units of heads) {
    const p = F.softmax(op.div(selectUnits(teacher, units), temperature));
    const logq = F.logSoftmax(op.div(selectUnits(student, units), temperature));
    const ce = op.div(op.neg(op.sum(op.mul(p, logq))), student.shape[0]);
    total = total ? op.add(total, ce) : ce;
  }
  return op.mul(total!, temperature * temperature);
}

const OPTIONS = {
  // Not tuned yet (the grid is in bench/continual-experiments.ts --tune); 1 is Li & Hoiem's weighting.
  lambda: {
    kind: "number",
    default: 1,
    min: 0,
    doc: "weight of the distillation term (1, Li & Hoiem 2016; not tuned yet)",
  },
  temperature: {
    kind: "number",
    default: 2,
    min: 0,
    minExclusive: true,
    doc: "distillation temperature (2, Li & Hoiem 2016)",
  },
} as const satisfies OptionSchema;

/** `{"type": "lwf", …}` as a run config's continual strategy. */
export const lwfKind = defineKind({
  name: "lwf",
  doc: "Learning without forgetting (Li & Hoiem 2016): distillation towards the previous model's outputs.",
  options: OPTIONS,
  create: (o) => lwf(o),
});
