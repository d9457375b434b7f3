import type { Data } from "../tensor/tensor.js";
import type { Shape } from "../tensor/shape.js";

/** Element-wise kernels of one input. `step` is 1 where x > 0, else 0 (the derivative of relu). */
export type UnaryKernel =
  | "neg"
  | "exp"
  | "log"
  | "log1p"
  | "sqrt"
  | "abs"
  | "sign"
  | "step"
  | "tanh"
  | "sigmoid"
  | "relu"
  | "erf";

/** Element-wise kernels of two inputs, with NumPy broadcasting. `greater`/`equal` give 1 or 0. */
export type BinaryKernel = "add" | "sub" | "mul" | "div" | "maximum" | "greater" | "equal";

export type ReduceKernel = "sum" | "max";

/**
 * Where a convolution or pooling window reads a channels-last batch x [batch, height, width, channels]:
 * output pixel (oy, ox), tap (ky, kx) reads row oy·strideH − padTop + ky·dilationH and column
 * ox·strideW − padLeft + kx·dilationW; channels are split into `groups` equal groups.
 */
export interface ConvGeometry {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly strideH: number;
  readonly strideW: number;
  readonly dilationH: number;
  readonly dilationW: number;
  readonly padTop: number;
  readonly padLeft: number;
  readonly outH: number;
  readonly outW: number;
  readonly groups: number;
  /**
   * How im2col lays its columns out: "rows" (the default) [groups, batch·outH·outW, kernelH·kernelW·
   * channels/groups], one receptive field per row; "taps" [kernelH·kernelW, batch·outH·outW, channels]
   * (groups 1), one tap per leading index, so a pooling reduces over the first axis.
   */
  readonly layout?: "rows" | "taps";
}

/**
 * A fused normalisation's backward kernel (batch or layer norm): dx, dw, db (each skipped where null) for
 * g [rows, features], from x, the gain w (or null) and the mean and sd its forward pass wrote (per
 * feature for batch norm, per row for layer norm).
 */
export type NormBackwardKernel = (
  g: Float32Array,
  x: Float32Array,
  rows: number,
  features: number,
  w: Float32Array | null,
  mean: Float32Array,
  sd: Float32Array,
  dx: Float32Array | null,
  dw: Float32Array | null,
  db: Float32Array | null,
) => void;

/**
 * A backend is a table of kernels: pure functions over typed arrays and shapes that write into a
 * caller-allocated `out`. They never call the public API. The `js` backend is the reference; every
 * other backend is tested against it by one conformance suite.
 */
export interface Backend {
  readonly name: string;
  unary(op: UnaryKernel, x: Data, out: Data): void;
  binary(op: BinaryKernel, a: Data, aShape: Shape, b: Data, bShape: Shape, out: Data, outShape: Shape): void;
  /** out = cond ≠ 0 ? a : b, broadcasting all three to outShape. */
  where(
    cond: Data,
    cShape: Shape,
    a: Data,
    aShape: Shape,
    b: Data,
    bShape: Shape,
    out: Data,
    outShape: Shape,
  ): void;
  /** Reduce the sorted, unique `axes` of x; `out` has x's size divided by the reduced extents. */
  reduce(op: ReduceKernel, x: Data, shape: Shape, axes: readonly number[], out: Data): void;
  /** Permute axes: out's axis i is x's axis perm[i]. */
  transpose(x: Data, shape: Shape, perm: readonly number[], out: Data): void;
  /** Broadcast x (shape `shape`, right-aligned) to `outShape`. */
  expand(x: Data, shape: Shape, out: Data, outShape: Shape): void;
  /** x viewed as [outer, n, inner]: out[o, j, :] = x[o, indices[j], :] (indices within [0, n)). */
  gather(x: Data, outer: number, n: number, inner: number, indices: Int32Array, out: Data): void;
  /** gather's adjoint: out[o, indices[j], :] += g[o, j, :] into a zeroed [outer, n, inner] out. */
  scatterAdd(g: Data, outer: number, n: number, inner: number, indices: Int32Array, out: Data): void;
  /**
   * out[m×n] = op(A) · op(B), op = transpose when the flag is set. A is stored m×k (k×m if transA),
   * B is stored k×n (n×k if transB).
   */
  matmul(
    a: Data,
    b: Data,
    out: Data,
    m: number,
    n: number,
    k: number,
    transA: boolean,
    transB: boolean,
  ): void;
  /**
   * The receptive fields of x [batch, height, width, channels] as rows: out [groups, batch·outH·outW,
   * kernelH·kernelW·channels/groups], each row ordered (ky, kx, c), or tap by tap (`geometry.layout`);
   * padding reads `padValue` (0 for a convolution, −∞ for max pooling).
   */
  im2col(x: Data, geometry: ConvGeometry, padValue: number, out: Data): void;
  /** The adjoint of `im2col`: out [batch, height, width, channels] ← every column entry added where it was read. */
  col2im(cols: Data, geometry: ConvGeometry, out: Data): void;
  /**
   * Max pooling, fused (optional): out [batch, outH, outW, channels] ← each window's largest value, the
   * same bits as `max(im2col(x, geometry, −∞) in "taps" layout, axis 0)` (see js/pool.ts).
   */
  maxPool?(x: Data, geometry: ConvGeometry, out: Data): void;
  /**
   * Its gradient: dx ← for each window, gOut shared equally among the entries equal to the window's
   * maximum y, added where they were read; the same bits as the composite's gradient rules.
   */
  maxPoolBackward?(x: Data, y: Data, gOut: Data, geometry: ConvGeometry, dx: Data): void;
  // Fused kernels, optional: each pair runs one composite of autograd/fused.ts (a dense layer, softmax
  // cross-entropy, a squared distance) in one call each way. Fusion is the backend's business: where a pair is absent,
  // autograd runs the composite's primitives instead, which give the same numbers on the js backend.
  /**
   * Batch normalisation in training, fused (optional; float32): y ← (x − mean)/sd·w + b over x [rows, features],
   * sd = √(variance + eps), w and b per feature (either null); mean, variance (biased) and sd written out.
   * The same bits as the composite of primitives (autograd/composites.ts `batchNorm`; see js/norm.ts).
   */
  batchNorm?(
    x: Float32Array,
    rows: number,
    features: number,
    w: Float32Array | null,
    b: Float32Array | null,
    eps: number,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    sd: Float32Array,
  ): void;
  /** Its gradients dx, dw, db (each skipped where null) for g [rows, features], as the composite's rules give them. */
  batchNormBackward?: NormBackwardKernel;
  /**
   * Layer normalisation, fused (optional; float32): y ← (x − mean)/sd·w + b over each row of x [rows,
   * features], sd = √(variance + eps) of the row, w and b per feature (either null); each row's mean and
   * sd written out. The same bits as the composite of primitives (autograd/functional.ts `layerNorm`).
   */
  layerNorm?(
    x: Float32Array,
    rows: number,
    features: number,
    w: Float32Array | null,
    b: Float32Array | null,
    eps: number,
    y: Float32Array,
    mean: Float32Array,
    sd: Float32Array,
  ): void;
  /** Its gradients dx, dw, db (each skipped where null) for g [rows, features], as the composite's rules give them. */
  layerNormBackward?: NormBackwardKernel;
  /**
   * A dense layer's forward pass: out[m×n] = act(x·wᵀ + b), x stored m×k, w stored n×k (row i holds unit
   * i's weights), b n values or null, act relu (v > 0 ? v : 0) or identity. The same numbers as `matmul`
   * with transB, then a broadcast add and relu, in one call.
   */
  linear?(x: Data, w: Data, b: Data | null, out: Data, m: number, n: number, k: number, relu: boolean): void;
  /**
   * A convolution's forward pass (groups 1), fused: out [batch·outH·outW, filters] = act(im2col(x)·wᵀ + b),
   * w [filters, kernelH·kernelW·channels], b `filters` values or null, act relu or identity; the same
   * bits as `im2col` (padding 0) then `linear` of this backend (see backend/conv-kernels.ts). Returns
   * im2col(x) where the backend keeps it for the backward pass (where that is cheaper than making it
   * again there), else null.
   */
  conv2d?(
    x: Data,
    w: Data,
    b: Data | null,
    out: Data,
    geometry: ConvGeometry,
    filters: number,
    relu: boolean,
  ): Data | null;
  /**
   * Its products backward, from dz [batch·outH·outW, filters] (the gradient past relu): dx ← col2im(dz·w)
   * and dw ← dzᵀ·im2col(x), each skipped where null; the same bits as this backend's `matmul`, `col2im`
   * and `im2col` in that composition; `cols` is what `conv2d` returned (im2col(x), or null).
   */
  conv2dBackward?(
    x: Data,
    w: Data,
    dz: Data,
    dx: Data | null,
    dw: Data | null,
    geometry: ConvGeometry,
    filters: number,
    cols: Data | null,
  ): void;
  /**
   * The element-wise part of a dense layer's backward pass, from the gradient g and the output y (both
   * m×n): with relu, dz ← g·(y > 0 ? 1 : 0) (without, dz is g itself and is left alone); when db is given,
   * db ← the column sums of dz (js sums in float64 and rounds once; wasm sums in float32, row by row).
   */
  linearBackward?(
    g: Data,
    y: Data,
    dz: Data | null,
    db: Data | null,
    m: number,
    n: number,
    relu: boolean,
  ): void;
  /**
   * Softmax cross-entropy along rows of `cols` values, −(1/meanOver)·Σ t·log softmax(z), returned; `e`,
   * `sums` and `logp` receive exp(z − max), each row's Σ e and log softmax(z) for the backward pass. The
   * same bits as its composite of element-wise primitives (see js/crossentropy.ts), on every backend.
   */
  softmaxCrossEntropy?(
    z: Data,
    t: Data,
    rows: number,
    cols: number,
    e: Data,
    sums: Data,
    logp: Data,
    meanOver: number,
  ): number;
  /** Its gradients for an incoming gradient g: dz and/or dt (each may be null), as its composite rounds them. */
  softmaxCrossEntropyBackward?(
    g: number,
    t: Data,
    e: Data,
    sums: Data,
    logp: Data,
    rows: number,
    cols: number,
    meanOver: number,
    dz: Data | null,
    dt: Data | null,
  ): void;
  /**
   * Σ w·(p − a)² over arrays of one length (w null: unweighted), the quadratic penalty's term for one
   * parameter, returned rounded to p's type; with the roundings of its composite
   * `sum(mul(square(sub(p, a)), w))` (each step rounded to the storage type, the sum accumulated in
   * float64 left to right), so the same bits as the primitives on every backend.
   */
  squaredDistance?(p: Data, a: Data, w: Data | null): number;
  /** Its gradient with respect to p for an incoming gradient g, into dp: 2·round(round(g·w)·round(p − a)). */
  squaredDistanceBackward?(g: number, p: Data, a: Data, w: Data | null, dp: Data): void;
  /**
   * y ← y + alpha·x over float32 arrays of one length: the optimisers' last step, `p -= lr·u`, is
   * `axpy(-lr, u, p)`. js computes each element in float64 and rounds once; a backend may compute in
   * float32 (wasm: alpha rounded to float32, fused multiply-add where the runtime has it).
   */
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;
  /** x ← alpha·x (scaling updates by the learning rate); float64 then rounded on js, float32 on wasm. */
  scale(alpha: number, x: Float32Array): void;
  /**
   * One Adam step over a parameter's arrays, in place (PyTorch's order of operations; g is read from u):
   * mu ← β1·mu + (1−β1)·g; nu ← β2·nu + (1−β2)·g²; u ← (mu / c1) / (sqrt(nu) / c2 + eps), where c1 and c2
   * are the bias corrections 1 − β1ᵗ and sqrt(1 − β2ᵗ). Optional: Adam runs its own loop where absent.
   */
  adam?(
    u: Float32Array,
    mu: Float32Array,
    nu: Float32Array,
    beta1: number,
    beta2: number,
    eps: number,
    c1: number,
    c2: number,
  ): void;
  /**
   * `adam`, then p ← p + alpha·u (`axpy(alpha, u, p)`) in the same pass, with the bits of the two calls:
   * the named Adam's step with its learning rate folded in (alpha = −lr). Optional: Adam calls `adam`
   * and `axpy` where it is absent.
   */
  adamApply?(
    u: Float32Array,
    mu: Float32Array,
    nu: Float32Array,
    beta1: number,
    beta2: number,
    eps: number,
    c1: number,
    c2: number,
    p: Float32Array,
    alpha: number,
  ): void;
  /**
   * `adamApply` on the weight gradient u = dzᵀ·x given by its factors (dz rows×units, x rows×inputs,
   * by rows; a dense layer's batch of a few rows), with the bits of `matmul` into u then `adamApply`,
   * but u never written. Returns false, having done nothing, where it declines (sizes it does not fuse);
   * the caller then computes the product and calls `adamApply`. Optional.
   */
  adamOuter?(
    dz: Float32Array,
    x: Float32Array,
    rows: number,
    units: number,
    inputs: number,
    mu: Float32Array,
    nu: Float32Array,
    beta1: number,
    beta2: number,
    eps: number,
    c1: number,
    c2: number,
    p: Float32Array,
    alpha: number,
  ): boolean;
  /**
   * The optimiser stages other than Adam's, over one parameter's float32 arrays, in place, with the bits
   * of js's loops (src/backend/js/stages.ts: each line in float64, rounded where it is stored): SGD's
   * momentum buffer, weight decay added to the gradient, RMSprop's and Adagrad's scaling. Optional: the
   * optimisers run js's where a backend has none.
   */
  momentum?(
    u: Float32Array,
    buf: Float32Array,
    momentum: number,
    dampening: number,
    first: boolean,
    nesterov: boolean,
  ): void;
  /** `momentum`, then p ← p + alpha·u (`axpy(alpha, u, p)`) in the same pass, with the bits of the two calls. */
  momentumApply?(
    u: Float32Array,
    buf: Float32Array,
    momentum: number,
    dampening: number,
    first: boolean,
    nesterov: boolean,
    p: Float32Array,
    alpha: number,
  ): void;
  decayWeights?(u: Float32Array, p: Float32Array, decay: number): void;
  rmsScale?(
    u: Float32Array,
    sq: Float32Array,
    ga: Float32Array | null,
    buf: Float32Array | null,
    alpha: number,
    eps: number,
    momentum: number,
  ): void;
  adagradScale?(u: Float32Array, sum: Float32Array, eps: number, decay: number): void;
  /**
   * Gradient clipping's loops, with the bits of js's (src/backend/js/stages.ts): start + Σ g² added one by
   * one in index order in float64; g ← g·coef and g ← min(hi, max(lo, g)) in float64, rounded once.
   * Optional: clipping runs js's where a backend has none.
   */
  squaresFrom?(g: Float32Array, start: number): number;
  multiply?(g: Float32Array, coef: number): void;
  clamp?(g: Float32Array, lo: number, hi: number): void;
  /**
   * The sums of squares a health check takes of one weight matrix, in float64, each added in the four lanes
   * of js's `sumSquares` (so every backend gives its value to the last bit): out ← [Σ w², Σ (w − w0)², Σ w0², Σ g²],
   * w the weights after a step, w0 before it, g the step's gradient, all of one length. Optional: the
   * health monitor runs js's loop where it is absent.
   */
  stepSquares?(w: Float32Array, w0: Float32Array, g: Float32Array, out: Float64Array): void;
  /**
   * gram (rows×rows) ← C·Cᵀ in float64, C the first `rows` rows of h (`units` wide) less each unit's mean over
   * them, every sum in the order units/statistics.ts's `centredRowGram` adds (so its value to the last bit).
   * Optional, like `jacobiDiagonalize`: the effective rank runs its js loops where it is absent.
   */
  centredRowGram?(h: Float32Array, rows: number, units: number, gram: Float64Array): void;
  /**
   * Rotate the symmetric n×n float64 matrix `a` to diagonal form in place (its eigenvalues on the diagonal),
   * rotation for rotation as units/linalg.ts's cyclic Jacobi: the same bits.
   */
  jacobiDiagonalize?(a: Float64Array, n: number): void;
  /**
   * A zeroed float32 array of `n` elements that this backend's kernels use in place, for arrays that
   * live as long as a model or an optimiser (parameters, optimiser state, update buffers); null when the
   * backend keeps no memory of its own or declines (small arrays). Optional: `allocFloat32` falls back
   * to a plain array.
   */
  alloc?(n: number): Float32Array | null;
  /**
   * Set every element of `a` to +0: one bulk fill for an array made by `alloc` (a typed array's `fill` on
   * shared memory stores element by element, ~10× slower), `a.fill(0)` for any other. Optional.
   */
  zero?(a: Float32Array): void;
  /**
   * dst ← src (of one length): one bulk move where both are this backend's own (a typed array's `set`
   * between views of shared memory copies word by word, 2–2.5× slower), `dst.set(src)` otherwise. Optional.
   */
  copy?(dst: Float32Array, src: Float32Array): void;
  /**
   * Whether `a` lives in this backend's own memory (made by `alloc`), so its kernels use it in place.
   * Optional: a backend without memory of its own holds nothing.
   */
  holds?(a: Float32Array): boolean;
  /**
   * The array of `n` floats this backend keeps for `owner` (a parameter): made by `alloc` at the first
   * call, the same one at later calls while `n` fits, dropped with `owner`; null where `alloc` gives none.
   * Training keeps each parameter's update buffer here, so online learning (a `fit` call per batch) makes
   * it once. Optional: a backend without memory of its own keeps none.
   */
  bufferFor?(owner: object, n: number): Float32Array | null;
  /**
   * n floats in this backend's memory for a value that lives within one gradient rule (a fused
   * convolution's dz past relu), so its kernels read and write it in place rather than through copies:
   * one block per `owner` (its filters), reused from call to call, so the contents last only until the
   * next call for the same owner. Null where the backend keeps no memory of its own or declines.
   */
  scratchFor?(owner: object, n: number): Float32Array | null;
}
