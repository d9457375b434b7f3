import type { Backend } from "../backend.js";
import { col2im, im2col } from "./conv.js";
import { softmaxCrossEntropy, softmaxCrossEntropyBackward } from "./crossentropy.js";
import { squaredDistance, squaredDistanceBackward } from "./distance.js";
import { binary, expand, unary, where } from "./elementwise.js";
import { gather, scatterAdd } from "./gather.js";
import { linear, linearBackward } from "./linear.js";
import { matmul } from "./matmul.js";
import { batchNorm, batchNormBackward, layerNorm, layerNormBackward } from "./norm.js";
import { maxPool, maxPoolBackward } from "./pool.js";
import { reduce, transpose } from "./reduce.js";
import {
  adagradScale,
  clamp,
  decayWeights,
  momentum,
  momentumApply,
  multiply,
  rmsScale,
  squaresFrom,
} from "./stages.js";
import { adam, adamApply, axpy, scale, stepSquares } from "./vector.js";

/**
 * The reference backend: plain TypeScript over typed arrays. Every other backend is tested against it.
 * It has every optional kernel but `alloc` (fused ones included), so others can fall back on it.
 */
export const jsBackend = {
  name: "js",
  unary,
  binary,
  where,
  reduce,
  transpose,
  expand,
  gather,
  scatterAdd,
  matmul,
  im2col,
  col2im,
  maxPool,
  maxPoolBackward,
  batchNorm,
  batchNormBackward,
  layerNorm,
  layerNormBackward,
  linear,
  linearBackward,
  softmaxCrossEntropy,
  softmaxCrossEntropyBackward,
  squaredDistance,
  squaredDistanceBackward,
  axpy,
  scale,
  adam,
  adamApply,
  momentum,
  momentumApply,
  decayWeights,
  rmsScale,
  adagradScale,
  squaresFrom,
  multiply,
  clamp,
  stepSquares,
} satisfies Backend;
