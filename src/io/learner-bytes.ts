/**
 * A learner as bytes: its state (learner/state.ts) in the model-file container, every typed array a
 * named tensor and the rest a JSON header, so the bytes are checksummed and a truncated copy is refused.
 * Browser-safe: keep the bytes in IndexedDB, OPFS or a download; `learner-file.ts` (Node) puts them in a
 * folder. A learner made from them continues bit-identically.
 */
import { backend } from "../backend/index.js";
import { Learner, type LearnerState } from "../learner/learner.js";
import { ModelFileError } from "../tensor/errors.js";
import { decodeContainer, encodeContainer, type NamedTensor, type TensorData } from "./container.js";

const KIND = "homeostat-learner";

/**
 * The learner's state as the bytes of a model-file container.
 *
 * @example
 * const again = learnerFromBytes(learnerToBytes(learner)); // continues exactly where learner is
 */
export function learnerToBytes(learner: Learner): Uint8Array {
  const tensors: NamedTensor[] = [];
  const tree = lift(learner.getState(), tensors);
  // The kernels it ran on: backends round float32 in different orders, so it continues bit for bit on these.
  return encodeContainer({ kind: KIND, backend: backend().name, state: tree }, tensors);
}

/** A learner's bytes read and checked, its learner not built yet: first choose the kernels it runs on. */
export interface OpenedLearner {
  /** The backend the learner ran on when saved ("js", "wasm"); null in a file saved before it was kept. */
  backend: string | null;
  /** The learner, built on the backend active now (the same bits as where it was saved only on `backend`). */
  learner(): Learner;
}

/**
 * `learnerToBytes`'s bytes, checked, with the backend they name; `file` names the source in errors.
 *
 * @example
 * const opened = openLearnerBytes(bytes);
 * if (opened.backend === "js") useBackend("js");
 * const learner = opened.learner(); // continues bit for bit
 */
export function openLearnerBytes(bytes: Uint8Array, file?: string): OpenedLearner {
  const { header, tensors } = decodeContainer(bytes, file);
  if (header.kind !== KIND)
    throw new ModelFileError(
      `${file ? `${file}: ` : ""}not a learner file (kind ${JSON.stringify(header.kind)})`,
      {
        file,
        field: "kind",
      },
    );
  const byName = new Map(tensors.map((t) => [t.name, t.data]));
  return {
    backend: typeof header.backend === "string" ? header.backend : null,
    learner: () => Learner.fromState(lower(header.state, byName) as LearnerState),
  };
}

/** A learner from `learnerToBytes`'s bytes, on the backend active now; `file` names the source in errors. */
export function learnerFromBytes(bytes: Uint8Array, file?: string): Learner {
  return openLearnerBytes(bytes, file).learner();
}

/** Typed arrays out of a plain tree into `tensors` (as `{$t: name}`); NaN, ±Infinity and −0 as `{$n: text}`. */
export function lift(value: unknown, tensors: NamedTensor[]): unknown {
  if (ArrayBuffer.isView(value)) {
    const data = value as unknown as TensorData;
    const name = `t${tensors.length}`;
    tensors.push({ name, shape: [data.length], data });
    return { $t: name };
  }
  // JSON has no NaN, ±Infinity or −0: they travel as text.
  if (typeof value === "number" && (!Number.isFinite(value) || Object.is(value, -0)))
    return { $n: Object.is(value, -0) ? "-0" : String(value) };
  if (Array.isArray(value)) return value.map((v) => lift(v, tensors));
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, lift(v, tensors)]));
  return value;
}

export function lower(value: unknown, tensors: ReadonlyMap<string, TensorData>): unknown {
  if (Array.isArray(value)) return value.map((v) => lower(v, tensors));
  if (value === null || typeof value !== "object") return value;
  const o = value as Record<string, unknown>;
  if (typeof o.$n === "string") return Number(o.$n);
  if (typeof o.$t === "string") {
    const data = tensors.get(o.$t);
    if (!data) throw new ModelFileError(`learner file: tensor ${o.$t} is missing`, { field: o.$t });
    return data; // the container keeps each array's type (float32, float64, int32, uint32)
  }
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, lower(v, tensors)]));
}

// The method forms `learner.toBytes()` and `Learner.fromBytes(bytes)`. They live with the format: io sits
// above learner in the folder order, so the class cannot import them; the package's root imports this
// module, which installs them (homeostat/node's learner-file.ts adds `save` and `load` the same way).
declare module "../learner/learner.js" {
  interface Learner {
    /** The learner's state as bytes (`learnerToBytes`): store them anywhere, `Learner.fromBytes` them back. */
    toBytes(): Uint8Array;
  }
  namespace Learner {
    /** The learner `toBytes` gave (`learnerFromBytes`); it continues bit-identically. */
    function fromBytes(bytes: Uint8Array, file?: string): Learner;
  }
}
Learner.prototype.toBytes = function toBytes(this: Learner) {
  return learnerToBytes(this);
};
(Learner as unknown as { fromBytes: typeof learnerFromBytes }).fromBytes = learnerFromBytes;
