/**
 * Gradient transforms, after optax: an optimiser is a chain of small `{init, update}` pieces over
 * plain state. Unlike optax, `update` rewrites the update arrays and the state in place, because
 * allocating fresh Float32Arrays for every parameter on every step would dominate small models.
 *
 * The step is always: updates ← copy of gradients; `transform.update(updates, state, params, lr)`;
 * `applyUpdates(params, updates)` (p -= u). The named optimisers' `step` does the same with the
 * learning rate folded into the last pass (p -= lr·u).
 *
 * The two loops every optimiser runs over every parameter (scaling by the learning rate, applying the
 * update) are the backend's `scale` and `axpy` kernels (js: float64, rounded once; wasm: float32).
 */
import { type DeferredGradients, settleAll } from "../autograd/deferred.js";
import { allocFloat32, backend, kernelOf, residentCopy } from "../backend/index.js";

/** One stage of an optimiser. */
export interface GradientTransform<S = unknown> {
  /**
   * Fresh state for parameters with these sizes. Plain, serialisable: numbers, arrays,
   * Float32Arrays, nested plain objects. The step count lives in the state.
   */
  init(params: readonly Float32Array[]): S;
  /**
   * Turn `updates` (initially the gradients) into the next transform's input, IN PLACE, advancing
   * `state` in place. `params` are the current parameter values (read-only here); `lr` is this
   * step's learning rate (schedule already applied by the caller).
   */
  update(updates: Float32Array[], state: S, params: readonly Float32Array[], lr: number): void;
  /**
   * Optional: `update`, then `applyUpdates(params, updates, scale)`, in one pass over each parameter,
   * with the same bits. A named optimiser whose last stage before the learning rate has it saves a pass.
   * `deferred` may hold factors of some updates' gradients (not computed yet): the stage fuses them
   * into its pass or computes them first (`settle`).
   */
  updateAndApply?(
    updates: Float32Array[],
    state: S,
    params: Float32Array[],
    lr: number,
    scale: number,
    deferred?: DeferredGradients,
  ): void;
  /** True where `update` leaves the updates as they are (a weight decay of 0): a later stage may take them as factors. */
  readonly passesThrough?: boolean;
}

/** State of a transform that keeps none; an object rather than `undefined` so that it serialises. */
export type NoState = Record<string, never>;

/**
 * Zero buffers shaped like `params`: the usual initial value of a moment estimate. In the backend's own
 * memory where it keeps one, beside the parameters they update.
 */
export function zerosLike(params: readonly Float32Array[]): Float32Array[] {
  return params.map((p) => allocFloat32(p.length));
}

/**
 * A saved optimiser state made ready to continue from: each Float32Array that the backend could keep in
 * its own memory, as `init` makes them, but that was read from a file or copied, is copied there, so the
 * kernels update it in place instead of through copies on every step; arrays already there, other
 * values and the given state are left as they are. Same values; a container is new only where something
 * in it moved (a state already in place comes back as it is).
 *
 * @example
 * run.optState = residentState(checkpoint.optimizerState);
 */
export function residentState<T>(state: T): T {
  const kernels = backend();
  if (!kernels.holds) return state;
  const move = (v: unknown): unknown => {
    if (v instanceof Float32Array) return kernels.holds!(v) ? v : (residentCopy(v) ?? v);
    if (Array.isArray(v)) {
      const moved = v.map(move);
      return moved.some((x, i) => x !== v[i]) ? moved : v;
    }
    if (v !== null && typeof v === "object" && !ArrayBuffer.isView(v)) {
      const entries = Object.entries(v);
      const moved = entries.map(([k, x]) => [k, move(x)] as const);
      return moved.some(([, x], i) => x !== entries[i]![1]) ? Object.fromEntries(moved) : v;
    }
    return v;
  };
  return move(state) as T;
}

/**
 * Run transforms one after another; the state is the array of their states.
 *
 * @example
 * const t = chain(addDecayedWeights(0.01), scaleByLearningRate());
 * const params = [new Float32Array([1, 2])];
 * const state = t.init(params);
 * const updates = [new Float32Array([0.5, -0.5])];
 * t.update(updates, state, params, 0.1); // updates = [0.051, -0.048]
 * applyUpdates(params, updates);
 */
// biome-ignore lint/suspicious/noExplicitAny: a chain mixes stages whose state types differ.
export function chain(...transforms: GradientTransform<any>[]): GradientTransform<unknown[]> {
  return {
    init: (params) => transforms.map((t) => t.init(params)),
    update(updates, state, params, lr) {
      checkSizes(updates, params);
      if (state.length !== transforms.length) {
        throw new Error(
          `optimizer state has ${state.length} parts but the chain has ${transforms.length} transforms`,
        );
      }
      transforms.forEach((t, i) => t.update(updates, state[i], params, lr));
    },
  };
}

/** A caller that passes gradients for the wrong parameters would otherwise read `undefined` as NaN. */
export function checkSizes(updates: readonly Float32Array[], params: readonly Float32Array[]): void {
  if (updates.length !== params.length) {
    throw new Error(`got ${updates.length} update tensors for ${params.length} parameters`);
  }
  updates.forEach((u, i) => {
    if (u.length !== params[i]!.length) {
      throw new Error(`update ${i} has ${u.length} elements but parameter ${i} has ${params[i]!.length}`);
    }
  });
}

/**
 * `p[i] -= scale · u[i]` for every parameter (scale 1 by default): the last step of every optimiser.
 *
 * @example
 * const params = [new Float32Array([1, 2])];
 * applyUpdates(params, [new Float32Array([0.5, 0.5])]); // params[0] = [0.5, 1.5]
 */
export function applyUpdates(params: Float32Array[], updates: readonly Float32Array[], scale = 1): void {
  checkSizes(updates, params);
  const kernels = backend();
  params.forEach((p, i) => kernels.axpy(-scale, updates[i]!, p));
}

/**
 * u += weightDecay · p. Before an adaptive scaling this is L2 regularisation (PyTorch `weight_decay`);
 * after it, decoupled weight decay (AdamW, Loshchilov & Hutter, "Decoupled Weight Decay
 * Regularization").
 *
 * @example
 * const t = addDecayedWeights(0.1);
 * const u = [new Float32Array([1])];
 * t.update(u, t.init([]), [new Float32Array([2])], 1); // u[0] = [1.2]
 */
export function addDecayedWeights(weightDecay: number): GradientTransform<NoState> {
  return {
    init: () => ({}),
    passesThrough: weightDecay === 0,
    update(updates, _state, params) {
      if (weightDecay === 0) return;
      const decay = kernelOf("decayWeights");
      updates.forEach((u, i) => decay(u, params[i]!, weightDecay));
    },
  };
}

/**
 * u *= lr: where the learning rate enters, last in every named optimiser so that state buffers
 * never include it and a schedule can change it between steps, as in PyTorch.
 *
 * @example
 * const t = scaleByLearningRate();
 * const u = [new Float32Array([2])];
 * t.update(u, t.init([]), [new Float32Array([0])], 0.5); // u[0] = [1]
 */
export function scaleByLearningRate(): GradientTransform<NoState> {
  return {
    init: () => ({}),
    update(updates, _state, _params, lr) {
      const kernels = backend();
      for (const u of updates) kernels.scale(lr, u);
    },
  };
}

/** Options of `trace`, the momentum stage of SGD (PyTorch's momentum, dampening and Nesterov). */
export interface TraceOptions {
  momentum: number;
  /** Fraction of the new gradient held back from the buffer; PyTorch SGD `dampening`. */
  dampening?: number;
  /** Nesterov momentum (Sutskever et al., "On the importance of initialization and momentum"). */
  nesterov?: boolean;
}

/** The momentum stage's state: one buffer per parameter. */
export interface TraceState {
  step: number;
  /** One buffer per parameter; empty when momentum is 0, as PyTorch then keeps none. */
  momentumBuffer: Float32Array[];
}

/**
 * Momentum with PyTorch SGD's buffer semantics: on the first step buf = u; afterwards
 * buf = momentum·buf + (1 − dampening)·u. The output is buf, or u + momentum·buf with Nesterov.
 * With momentum 0 it passes updates through (PyTorch ignores dampening then too).
 *
 * @example
 * const t = trace({ momentum: 0.9 });
 * const params = [new Float32Array(1)];
 * const s = t.init(params);
 * const u1 = [new Float32Array([1])]; t.update(u1, s, params, 0); // u1[0] = [1]
 * const u2 = [new Float32Array([1])]; t.update(u2, s, params, 0); // u2[0] = [1.9]
 */
export function trace(options: TraceOptions): GradientTransform<TraceState> {
  const { momentum, dampening = 0, nesterov = false } = options;
  const update = (updates: Float32Array[], state: TraceState): void => {
    if (momentum === 0) return;
    const first = state.step === 0;
    state.step += 1;
    const step = kernelOf("momentum");
    updates.forEach((u, i) => step(u, state.momentumBuffer[i]!, momentum, dampening, first, nesterov));
  };
  return {
    init: (params) => ({ step: 0, momentumBuffer: momentum === 0 ? [] : zerosLike(params) }),
    update,
    // SGD's step: the buffer and p ← p − scale·u in one pass where the backend has `momentumApply` (the
    // bits of `update` then `applyUpdates`, which run where it has none, or there is no buffer).
    updateAndApply(updates, state, params, _lr, scale, deferred) {
      settleAll(deferred);
      const apply = backend().momentumApply;
      if (momentum === 0 || !apply) {
        update(updates, state);
        applyUpdates(params, updates, scale);
        return;
      }
      checkSizes(updates, params);
      const first = state.step === 0;
      state.step += 1;
      updates.forEach((u, i) =>
        apply(u, state.momentumBuffer[i]!, momentum, dampening, first, nesterov, params[i]!, -scale),
      );
    },
  };
}
