/**
 * A worker of the wasm backend's thread pool: instantiates the kernels over the shared memory, then
 * waits for each new generation of the control words and computes its share of the columns.
 */
import { workerData } from "node:worker_threads";
import { CTL } from "./threads.js";
import { instantiate } from "./loader.js";

const { module, memory, ctl, index } = workerData as { module: WebAssembly.Module; memory: WebAssembly.Memory; ctl: Int32Array; index: number };
const kernels = instantiate(module, memory);
let generation = Atomics.load(ctl, CTL.generation);
Atomics.add(ctl, CTL.ready, 1);
Atomics.notify(ctl, CTL.ready);

for (;;) {
  Atomics.wait(ctl, CTL.generation, generation);
  generation = Atomics.load(ctl, CTL.generation);
  if (Atomics.load(ctl, CTL.stop)) break;
  const a = CTL.args;
  const s = CTL.shares + 3 * index;
  if (ctl[s + 1] > ctl[s]) {
    kernels.gemmColumns(ctl[a], ctl[a + 1], ctl[a + 2], ctl[a + 3], ctl[a + 4], ctl[a + 5], ctl[a + 6], ctl[s], ctl[s + 1], ctl[s + 2]);
  }
  Atomics.add(ctl, CTL.done, 1);
  Atomics.notify(ctl, CTL.done);
}
