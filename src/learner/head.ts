/**
 * The growing head: a label never seen before adds one output unit. Dense keeps unit u's incoming
 * weights as row u of W ([units, fanIn]) and its bias at u, so a new unit is a new last row: every old
 * value keeps its index, and so does every optimiser moment (their arrays are laid out like the
 * parameters). Old units, their moments and the rest of the network are kept exactly.
 */
import { backend } from "../backend/index.js";
import { initialize } from "../nn/init.js";
import { layerFromConfig } from "../nn/layer-kinds.js";
import type { Layer } from "../nn/layer.js";
import { Dense } from "../nn/layers.js";
import { Flatten } from "../nn/reshape.js";
import { Sequential } from "../nn/sequential.js";
import { buildShapes } from "../nn/stack.js";
import type { Optimizer } from "../optim/optimizers.js";
import { ShapeError } from "../tensor/errors.js";
import type { Rng } from "../tensor/rng.js";
import { Tensor } from "../tensor/tensor.js";

/**
 * The learner's network: the `hidden` stack (a width is a ReLU dense layer, an object a layer config),
 * flattened if its output is shaped, and an output of `outputs` units, softmax for labels and linear
 * for a number. With `inputShape`, rows of `inputs` values are read in that shape (channels last).
 *
 * @example
 * learnerNetwork({ task: "classification", hidden: [64] }, 2, 784, rng).outputDim; // 2
 */
export function learnerNetwork(
  config: {
    task: "classification" | "regression";
    hidden: readonly (number | Record<string, unknown>)[];
    inputShape?: readonly number[];
  },
  outputs: number,
  inputs: number,
  rng: Rng,
): Sequential {
  const make = (): Layer[] =>
    config.hidden.map((h, i) =>
      typeof h === "number"
        ? new Dense(h, { activation: "relu" })
        : layerFromConfig(h, `learner.hidden[${i}]`),
    );
  const shape = config.inputShape ?? [inputs];
  const layers = make();
  // Built once on a throwaway Rng to learn the stack's output shape; `rng` draws the real weights below.
  if (layers.some((l) => l.buildShape) && stackShape(make(), shape, config, rng).length > 1)
    layers.push(new Flatten());
  const activation = config.task === "classification" ? "softmax" : "identity";
  layers.push(new Dense(outputs, { activation }));
  return new Sequential(layers).build(shape, rng);
}

/** The hidden stack's output shape; a stack that wants images on flat rows is told of `inputShape`. */
function stackShape(
  layers: Layer[],
  shape: readonly number[],
  config: { inputShape?: readonly number[] },
  rng: Rng,
): readonly number[] {
  try {
    return buildShapes(layers, shape, rng.fork("shape"), "float32", "learner.hidden");
  } catch (e) {
    if (!(e instanceof ShapeError) || config.inputShape) throw e;
    throw new ShapeError(
      `${e.message} (a learner reads its rows as images when given learner.inputShape, e.g. [28, 28, 1])`,
    );
  }
}

/** A parameter array in the backend's memory where it keeps one (as Dense.build makes them), zeroed. */
function parameterArray(n: number): Float32Array {
  const resident = backend().alloc?.(n) ?? null;
  if (!resident) return new Float32Array(n);
  resident.fill(0);
  return resident;
}

/**
 * Replace the model's last layer (a Dense) by one with one more unit: the old rows of W and entries of
 * b copied, the new row drawn from `rng` with the layer's initialiser, the new bias 0.
 *
 * @example
 * growOutput(model, rng); // model.outputDim goes from 2 to 3
 */
export function growOutput(model: Sequential, rng: Rng): void {
  const last = model.layers.length - 1;
  const old = model.layers[last];
  if (!(old instanceof Dense)) throw new Error("growOutput: the output layer must be a Dense layer");
  const fanIn = old.fanIn;
  const units = old.units + 1;
  const grown = new Dense(units, { activation: old.activation, init: old.init, useBias: old.useBias });
  const w = parameterArray(units * fanIn);
  w.set(old.weight.data);
  w.set(initialize(old.init, fanIn, fanIn, units, rng, "float32"), old.units * fanIn);
  grown.weight = new Tensor(w, [units, fanIn], true);
  if (old.bias) {
    const b = parameterArray(units);
    b.set(old.bias.data);
    grown.bias = new Tensor(b, [units], true);
  }
  model.layers[last] = grown;
  model.outputDim = units;
}

/**
 * The optimiser state for the grown parameters: a fresh `init` on them (so a new entry starts where the
 * optimiser starts it, e.g. Adagrad's initial accumulator), with every old entry copied over at its
 * index; counters (the step) and unchanged arrays are the old ones.
 */
export function growOptimizerState(optimizer: Optimizer, old: unknown, params: Float32Array[]): unknown {
  return merge(old, optimizer.init(params));
}

function merge(old: unknown, fresh: unknown): unknown {
  if (fresh instanceof Float32Array || fresh instanceof Float64Array) {
    const o = old as Float32Array | Float64Array;
    if (o.length === fresh.length) return o;
    fresh.set(o.subarray(0, Math.min(o.length, fresh.length)));
    return fresh;
  }
  if (Array.isArray(fresh)) return fresh.map((f, i) => merge((old as unknown[])[i], f));
  if (fresh !== null && typeof fresh === "object") {
    const o = old as Record<string, unknown>;
    return Object.fromEntries(Object.entries(fresh).map(([k, f]) => [k, merge(o[k], f)]));
  }
  return old;
}

/**
 * Saved state after the head grew: every typed array kept under a parameter's name that is now shorter
 * than its parameter is lengthened, its old entries at their indices, the new unit's entries either zero
 * (a consolidation's importances and anchors: nothing learnt to protect yet) or taken from the parameter
 * as it is now (L2-Init's θ₀: the new unit's fresh weights). A new tree; the old one is not changed.
 *
 * @example
 * lengthenByName(snapshot.observers, new Map(model.parameters().map(([n, t]) => [n, t.data])), "parameters");
 */
export function lengthenByName(
  state: unknown,
  params: ReadonlyMap<string, Float32Array>,
  newEntries: "zeros" | "parameters",
  key = "",
): unknown {
  if (state instanceof Float32Array || state instanceof Float64Array) {
    const p = params.get(key);
    if (!p || state.length >= p.length) return state;
    const Kind = state.constructor as Float32ArrayConstructor;
    const out = newEntries === "zeros" ? new Kind(p.length) : Kind.from(p);
    out.set(state);
    return out;
  }
  if (state !== null && typeof state === "object" && !Array.isArray(state))
    return Object.fromEntries(
      Object.entries(state).map(([k, v]) => [k, lengthenByName(v, params, newEntries, k)]),
    );
  return state;
}
