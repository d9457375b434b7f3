/**
 * Per-coordinate adaptive scalings: Adam, RMSprop and Adagrad. Each follows PyTorch 1.13's
 * single-tensor code operation for operation (where eps goes, when bias correction happens), so
 * that a Homeostat run and a PyTorch run of the same config agree to float32 rounding; the
 * learning rate is applied afterwards by `scaleByLearningRate`.
 */
import { type DeferredGradient, type DeferredGradients, settle } from "../autograd/deferred.js";
import type { Backend } from "../backend/backend.js";
import { backend, kernelOf } from "../backend/index.js";
import { flushSubnormal } from "../backend/js/vector.js";
import { checkSizes, type GradientTransform, zerosLike } from "./transform.js";

/** Options of `scaleByAdam`, the stage of Adam and AdamW that divides by the moments (Kingma & Ba 2015). */
export interface AdamScalingOptions {
  beta1: number;
  beta2: number;
  eps: number;
  /** Divide by the running maximum of the second moment (Reddi et al., "On the Convergence of Adam and Beyond"). */
  amsgrad: boolean;
}

/** Adam's state, laid out like the parameters (PyTorch's names in the comments). */
export interface AdamState {
  step: number;
  /** First moment (PyTorch `exp_avg`). */
  mu: Float32Array[];
  /** Second moment (PyTorch `exp_avg_sq`). */
  nu: Float32Array[];
  /** Running maximum of `nu` (PyTorch `max_exp_avg_sq`); empty unless amsgrad. */
  nuMax: Float32Array[];
}

/**
 * Adam's scaling (Kingma & Ba, "Adam: A Method for Stochastic Optimization"):
 * u = (m / (1 − β1ᵗ)) / (sqrt(v) / sqrt(1 − β2ᵗ) + eps). eps is added after the bias correction of
 * sqrt(v), as in PyTorch; placing it elsewhere changes results when gradients are small. Unlike
 * PyTorch, m is stored as +0 when it falls below 2⁻¹²⁶ (float32's subnormals, where a decaying m would
 * stay for good and each division by it is several times slower); the update it gave moves no weight
 * above ~10⁻²⁶.
 *
 * @example
 * const t = scaleByAdam({ beta1: 0.9, beta2: 0.999, eps: 1e-8, amsgrad: false });
 * const params = [new Float32Array(1)];
 * const u = [new Float32Array([0.3])];
 * t.update(u, t.init(params), params, 0); // first step: u ≈ sign(g) = [1]
 */
export function scaleByAdam(options: AdamScalingOptions): GradientTransform<AdamState> {
  const { amsgrad } = options;
  return {
    init: (params) => ({
      step: 0,
      mu: zerosLike(params),
      nu: zerosLike(params),
      nuMax: amsgrad ? zerosLike(params) : [],
    }),
    update: (updates, state) => adamPass(options, updates, state, null, 0),
    updateAndApply(updates, state, params, _lr, scale, deferred) {
      checkSizes(updates, params);
      adamPass(options, updates, state, params, -scale, deferred);
    },
  };
}

/** Adam's pass over every parameter; with `params`, also p ← p + alpha·u (as `applyUpdates`). */
function adamPass(
  options: AdamScalingOptions,
  updates: Float32Array[],
  state: AdamState,
  params: Float32Array[] | null,
  alpha: number,
  deferred?: DeferredGradients,
): void {
  const { beta1, beta2, eps } = options;
  state.step += 1;
  const biasCorrection1 = 1 - beta1 ** state.step;
  const biasCorrection2Sqrt = Math.sqrt(1 - beta2 ** state.step);
  const c1c2 = [biasCorrection1, biasCorrection2Sqrt] as const;
  const kernels = backend();
  const step = kernelOf("adam");
  updates.forEach((u, i) => {
    const mu = state.mu[i]!;
    const nu = state.nu[i]!;
    const nuMax = state.nuMax[i];
    const p = params?.[i];
    const factors = deferred?.get(u);
    if (factors && !nuMax && p && adamOuter(kernels, factors, mu, nu, options, c1c2, p, alpha)) {
      deferred!.delete(u);
      return;
    }
    settle(deferred, u);
    if (!nuMax) {
      if (p && kernels.adamApply)
        kernels.adamApply(u, mu, nu, beta1, beta2, eps, biasCorrection1, biasCorrection2Sqrt, p, alpha);
      else {
        step(u, mu, nu, beta1, beta2, eps, biasCorrection1, biasCorrection2Sqrt);
        if (p) kernels.axpy(alpha, u, p);
      }
      return;
    }
    for (let j = 0; j < u.length; j++) {
      const g = u[j]!;
      mu[j] = flushSubnormal(Math.fround(beta1 * mu[j]! + (1 - beta1) * g));
      nu[j] = beta2 * nu[j]! + (1 - beta2) * g * g;
      // Read back from the Float32Arrays so that later arithmetic sees the stored, rounded state.
      const v = (nuMax[j] = Math.max(nuMax[j]!, nu[j]!));
      u[j] = mu[j]! / biasCorrection1 / (Math.sqrt(v) / biasCorrection2Sqrt + eps);
    }
    if (p) kernels.axpy(alpha, u, p);
  });
}

/** The backend's fused product-and-Adam step on a deferred gradient; false where it has none or declines. */
function adamOuter(
  kernels: Backend,
  f: DeferredGradient,
  mu: Float32Array,
  nu: Float32Array,
  { beta1, beta2, eps }: AdamScalingOptions,
  [c1, c2]: readonly [number, number],
  p: Float32Array,
  alpha: number,
): boolean {
  return (
    kernels.adamOuter?.(f.dz, f.x, f.rows, f.units, f.inputs, mu, nu, beta1, beta2, eps, c1, c2, p, alpha) ??
    false
  );
}

/** Options of `scaleByRms`, RMSprop's scaling stage (Tieleman & Hinton 2012). */
export interface RmsScalingOptions {
  /** Decay of the running mean of squared gradients. */
  alpha: number;
  eps: number;
  /** Divide by an estimate of the variance instead of the raw second moment (Graves, "Generating Sequences With Recurrent Neural Networks"). */
  centered: boolean;
  /** Momentum on the scaled update, kept before the learning rate as PyTorch does. */
  momentum: number;
}

/** RMSprop's state, laid out like the parameters. */
export interface RmsState {
  /** PyTorch `square_avg`. */
  squareAvg: Float32Array[];
  /** PyTorch `grad_avg`; empty unless centered. */
  gradAvg: Float32Array[];
  /** PyTorch `momentum_buffer`, starting at zero; empty unless momentum > 0. */
  momentumBuffer: Float32Array[];
}

/**
 * PyTorch RMSprop (Tieleman & Hinton, Lecture 6.5): avg = sqrt(E[g²] − E[g]²·centered) + eps;
 * without momentum u = g / avg; with it buf = momentum·buf + g / avg and u = buf. The lr is applied
 * after the buffer, so a schedule scales the whole buffer, not only new contributions.
 *
 * @example
 * const t = scaleByRms({ alpha: 0.99, eps: 1e-8, centered: false, momentum: 0 });
 * const params = [new Float32Array(1)];
 * const u = [new Float32Array([0.5])];
 * t.update(u, t.init(params), params, 0); // u[0] = 0.5 / sqrt(0.01 · 0.25) = 10
 */
export function scaleByRms(options: RmsScalingOptions): GradientTransform<RmsState> {
  const { alpha, eps, centered, momentum } = options;
  return {
    init: (params) => ({
      squareAvg: zerosLike(params),
      gradAvg: centered ? zerosLike(params) : [],
      momentumBuffer: momentum > 0 ? zerosLike(params) : [],
    }),
    update(updates, state) {
      const scale = kernelOf("rmsScale");
      updates.forEach((u, i) => {
        const ga = state.gradAvg[i] ?? null;
        const buf = state.momentumBuffer[i] ?? null;
        scale(u, state.squareAvg[i]!, ga, buf, alpha, eps, momentum);
      });
    },
  };
}

/** Options of `scaleByAdagrad`, Adagrad's scaling stage (Duchi et al. 2011). */
export interface AdagradScalingOptions {
  /** PyTorch `lr_decay`: the step size is divided by 1 + (step − 1)·lrDecay. */
  lrDecay: number;
  initialAccumulatorValue: number;
  eps: number;
}

/** Adagrad's state, laid out like the parameters. */
export interface AdagradState {
  step: number;
  /** PyTorch `sum`: accumulated squared gradients. */
  sum: Float32Array[];
}

/**
 * PyTorch Adagrad (Duchi et al., "Adaptive Subgradient Methods for Online Learning and Stochastic
 * Optimization"): sum += g²; u = g / (sqrt(sum) + eps) / (1 + (step − 1)·lrDecay).
 *
 * @example
 * const t = scaleByAdagrad({ lrDecay: 0, initialAccumulatorValue: 0, eps: 1e-10 });
 * const params = [new Float32Array(1)];
 * const u = [new Float32Array([-2])];
 * t.update(u, t.init(params), params, 0); // u[0] ≈ -1
 */
export function scaleByAdagrad(options: AdagradScalingOptions): GradientTransform<AdagradState> {
  const { lrDecay, initialAccumulatorValue, eps } = options;
  return {
    init: (params) => ({
      step: 0,
      // In the backend's memory where it keeps one, as the other optimisers' state.
      sum: zerosLike(params).map((a) => a.fill(initialAccumulatorValue)),
    }),
    update(updates, state) {
      state.step += 1;
      const decay = 1 + (state.step - 1) * lrDecay;
      const scale = kernelOf("adagradScale");
      updates.forEach((u, i) => scale(u, state.sum[i]!, eps, decay));
    },
  };
}
