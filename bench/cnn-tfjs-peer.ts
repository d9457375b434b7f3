/**
 * TensorFlow.js as the peer of the CNN benchmark (cnn.ts): the same small CNN as a `tf.sequential`
 * model (glorot-uniform kernels, "valid" padding, Adam 1e-3), trained with `trainOnBatch` on the same
 * minibatches. Each contestant switches to its backend before its timer starts (see peers-tfjs.ts).
 */
import * as tf from "@tensorflow/tfjs";
import type { Contestant, Timing } from "./harness.js";
import { secondsSince } from "./harness.js";
import type { TfBackend } from "./peers-tfjs.js";

function smallCnn(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 16, kernelSize: 3, activation: "relu" }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.conv2d({ filters: 32, kernelSize: 3, activation: "relu" }));
  model.add(tf.layers.maxPooling2d({ poolSize: 2 }));
  model.add(tf.layers.flatten());
  model.add(tf.layers.dense({ units: 10, activation: "softmax" }));
  model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
  return model;
}

/**
 * Why TF.js's `backendName` cannot train the CNN (its wasm backend 4.22 has no Conv2DBackpropFilter
 * kernel), found by one step on a small batch; null when it can.
 *
 * @example
 * await tfjsCnnUnavailable("wasm"); // "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'"
 */
export async function tfjsCnnUnavailable(backendName: TfBackend): Promise<string | null> {
  await tf.setBackend(backendName);
  const model = smallCnn();
  try {
    await model.trainOnBatch(tf.zeros([2, 28, 28, 1]), tf.oneHot([0, 1], 10));
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    model.dispose();
  }
}

/**
 * The CNN on TF.js's `backendName`, one repetition a minibatch of `batch` rows of x [rows, 784] and
 * one-hot y [rows, 10]; work is counted in rows.
 *
 * @example
 * tfjsCnn("wasm", x, y, 32); // a Contestant for harness.measure
 */
export function tfjsCnn(backendName: TfBackend, x: Float32Array, y: Float32Array, batch: number): Contestant {
  let state: { model: tf.Sequential; batches: [tf.Tensor4D, tf.Tensor2D][] } | undefined;
  let next = 0;
  return {
    name: `tfjs ${backendName} (trainOnBatch)`,
    peer: `tfjs ${backendName}`,
    async run(reps: number): Promise<Timing> {
      if (tf.getBackend() !== backendName) await tf.setBackend(backendName);
      if (!state) {
        const batches: [tf.Tensor4D, tf.Tensor2D][] = [];
        for (let b = 0; (b + 1) * batch * 10 <= y.length; b++)
          batches.push([
            tf.tensor4d(x.subarray(b * batch * 784, (b + 1) * batch * 784), [batch, 28, 28, 1]),
            tf.tensor2d(y.subarray(b * batch * 10, (b + 1) * batch * 10), [batch, 10]),
          ]);
        state = { model: smallCnn(), batches };
      }
      const start = performance.now();
      for (let r = 0; r < reps; r++) {
        const [xb, yb] = state.batches[next++ % state.batches.length]!;
        await state.model.trainOnBatch(xb, yb);
      }
      return { work: reps * batch, seconds: secondsSince(start) };
    },
  };
}
