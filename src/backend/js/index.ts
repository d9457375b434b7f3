import type { Backend } from "../backend.js";
import { softmaxCrossEntropy, softmaxCrossEntropyBackward } from "./crossentropy.js";
import { binary, expand, unary, where } from "./elementwise.js";
import { linear, linearBackward } from "./linear.js";
import { matmul } from "./matmul.js";
import { reduce, transpose } from "./reduce.js";
import { adam, axpy, scale } from "./vector.js";

/** The reference backend: plain TypeScript over typed arrays. Every other backend is tested against it. */
export const jsBackend: Backend = {
  name: "js",
  unary,
  binary,
  where,
  reduce,
  transpose,
  expand,
  matmul,
  linear,
  linearBackward,
  softmaxCrossEntropy,
  softmaxCrossEntropyBackward,
  axpy,
  scale,
  adam,
};
