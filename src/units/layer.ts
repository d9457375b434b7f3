/**
 * Which layers have units, and whom they feed. A unit is what health and homeostasis measure and repair
 * one at a time: a neuron of a fully connected layer today, a channel of a convolution later. A layer
 * offers the capability by implementing `UnitLayer`; nothing here knows any layer class, so `units/`
 * sits below `nn/` and a new layer kind needs no change here.
 */
import type { Rng } from "../tensor/rng.js";
import type { Tensor } from "../tensor/tensor.js";

/**
 * Some entries of one parameter tensor, by index into its data (the optimiser's moments of exactly these are
 * reset by surgery): listed rather than tested one by one, so resetting a unit costs its own entries only.
 */
export interface ParameterEntries {
  readonly tensor: Tensor;
  readonly indices: ArrayLike<number>;
}

/**
 * A layer made of units, each with its own incoming weights and bias. How the weights are laid out is
 * the layer's business: the members below are all that measuring, scaling and replacing a unit needs.
 */
export interface UnitLayer {
  /** How many units (neurons, channels). */
  readonly units: number;
  /** Incoming weights per unit. */
  readonly fanIn: number;
  /** The nonlinearity applied to each unit's output ("identity": none), as health reads dead and saturated units. */
  readonly activation: string;
  /** The initialiser fresh incoming weights come from, by name (for diagnoses). */
  readonly init: string;
  /** The weights, all units together (flushing denormals, norms). */
  readonly weight: Tensor;
  readonly bias: Tensor | null;
  /** Unit u's incoming weights as a live view of `weight`: writing to it changes the layer. */
  incomingWeights(u: number): Float32Array | Float64Array;
  /** Fresh incoming weights for one unit from the layer's own initialiser (`fanIn` values). */
  freshIncomingWeights(rng: Rng): Float32Array;
  /** Where unit u's own parameters sit: its incoming weights and its bias. */
  unitEntries(u: number): ParameterEntries[];
  /**
   * As a consumer: the indices into `weight.data` of every weight that reads input unit u, grouped by
   * this layer's units in order (k per unit: 1 for a dense layer, the kernel taps for a convolution; none
   * for the filters of a grouped convolution's other groups). `weight` is [units, fanIn], row-major.
   */
  inputWeightIndices(u: number): Int32Array;
  /** As a consumer: where the weights that read input unit u sit (for resetting their moments). */
  inputEntries(u: number): ParameterEntries[];
}

/** True when `layer` offers the unit capability. */
export function isUnitLayer(layer: unknown): layer is UnitLayer {
  const l = layer as Partial<UnitLayer> | null;
  return (
    typeof l === "object" &&
    l !== null &&
    typeof l.units === "number" &&
    typeof l.incomingWeights === "function" &&
    typeof l.inputWeightIndices === "function"
  );
}

/**
 * A layer that holds chains of layers (a residual block's body and projection, a concatenation's
 * branches). Layer j of a chain is named `${chain.name}.${j}` inside the group, `${j}` when the chain's
 * name is "", as the group's parameters and reported activations are.
 */
export interface LayerGroup {
  readonly chains: readonly { readonly name: string; readonly layers: readonly unknown[] }[];
}

/** True when `layer` holds chains of layers of its own. */
export function isLayerGroup(layer: unknown): layer is LayerGroup {
  return typeof layer === "object" && layer !== null && Array.isArray((layer as Partial<LayerGroup>).chains);
}

/** A unit layer and the unit layer its outputs feed (null: none, e.g. the output layer). */
export interface UnitSite<L extends UnitLayer = UnitLayer> {
  /** The layer's position in the model, as its activations and parameters are named ("0" → "0.weight", "1.0"). */
  readonly name: string;
  readonly layer: L;
  readonly next: L | null;
}

/** A unit site with its position in the model. */
export interface IndexedUnitSite extends UnitSite {
  /** The layer's position in a depth-first walk of the model (for a plain stack, its index in `layers`). */
  readonly index: number;
  /**
   * Its output feeds more of the network rather than being the model's output: true also when `next` is
   * null because the output takes more than one path (into a residual block or a concatenation) or
   * merges with another (the end of a residual body or of a branch), where no single layer consumes it.
   */
  readonly hidden: boolean;
}

/**
 * A layer between two unit layers that lays each unit of the first out as several inputs of the second:
 * a flatten after a convolution makes channel u of `units` the features p·units + u, one per position p
 * (`unitPositions` of them); 1 where units pass through one to one, 0 where they are mixed beyond
 * following (the first layer is then treated as feeding no unit layer).
 */
export interface UnitSpread {
  readonly unitPositions: number;
}

/**
 * `next` as a consumer of `units` units that reach it at `positions` positions each (after a flatten):
 * input unit u is then its inputs p·units + u, grouped by `next`'s units as `inputWeightIndices` promises.
 */
function spreadConsumer(next: UnitLayer, units: number, positions: number): UnitLayer {
  const inputWeightIndices = (u: number): Int32Array => {
    const parts = Array.from({ length: positions }, (_, p) => next.inputWeightIndices(p * units + u));
    const per = parts[0].length / next.units;
    const out = new Int32Array(per * positions * next.units);
    let k = 0;
    for (let r = 0; r < next.units; r++)
      for (const part of parts) for (let j = r * per; j < (r + 1) * per; j++) out[k++] = part[j];
    return out;
  };
  return Object.assign(Object.create(next) as UnitLayer, {
    inputWeightIndices,
    inputEntries: (u: number): ParameterEntries[] => [
      { tensor: next.weight, indices: inputWeightIndices(u) },
    ],
  });
}

/**
 * Every unit layer of a stack of layers, nested ones included (depth first), each with the unit layer it
 * feeds: the next unit layer down the same chain, through any layers between that act on each unit alone
 * (activation, dropout, normalisation, pooling) or spread it over positions (a flatten: see `UnitSpread`).
 * Where the output forks into a block or merges at a block's end, `next` is null: no one layer reads
 * unit u alone there (a residual's skip carries it too), so surgery that silences a unit's outgoing
 * weights would not silence it.
 *
 * @example
 * unitSites(model).map((s) => [s.name, s.next?.units]); // [["0", 5], ["2", 3], ["3", undefined]]
 */
export function unitSites(model: { readonly layers: readonly unknown[] }): IndexedUnitSite[] {
  const out: { index: number; name: string; layer: UnitLayer; next: UnitLayer | null; hidden: boolean }[] =
    [];
  let count = 0;
  const walk = (layers: readonly unknown[], prefix: string, isOutput: boolean): void => {
    let open: (typeof out)[number] | null = null;
    let positions = 1; // how many inputs of the next unit layer each unit of `open` becomes
    layers.forEach((l, j) => {
      const index = count++;
      if (isUnitLayer(l)) {
        if (open && positions > 0)
          open.next = positions === 1 ? l : spreadConsumer(l, open.layer.units, positions);
        open = { index, name: `${prefix}${j}`, layer: l, next: null, hidden: true };
        positions = 1;
        out.push(open);
      } else if (isLayerGroup(l)) {
        open = null;
        for (const c of l.chains) walk(c.layers, `${prefix}${j}.${c.name ? `${c.name}.` : ""}`, false);
      } else positions *= (l as Partial<UnitSpread>).unitPositions ?? 1;
    });
    if (open && isOutput) (open as (typeof out)[number]).hidden = false;
  };
  walk(model.layers, "", true);
  return out;
}
