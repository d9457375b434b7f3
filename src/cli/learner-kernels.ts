/**
 * Where `live` and `replay` run a learner. Backends round float32 in different orders, so a learner
 * continues bit for bit only on the kernels it ran on: its file names them (io/learner-bytes.ts), and
 * these commands follow the file unless --backend or --threads say otherwise.
 */
import { backend, useBackend } from "../backend/index.js";
import type { KernelChoice } from "./model-commands.js";

/**
 * Told the backend a learner's file names (null: a file saved before it was kept), or nothing for a new
 * learner, before the learner is built: picks the kernels it runs on, and says on standard error when
 * they are not the ones it ran on (--backend or --threads chose them).
 */
export type LearnerKernels = (saved?: string | null) => void;

/**
 * The kernels of live and replay. --backend and --threads, where given, hold from the start. Otherwise
 * a saved learner runs where its file says it ran, read as eval reads a model's ("wasm" as auto, so a
 * machine without WebAssembly SIMD still runs it; js for a file that names none: these commands ran js
 * unless told when it was saved), and a new one as the library runs in Node: auto, on one thread.
 *
 * @example
 * const kernels = learnerKernels({});   // no flags
 * kernels();                             // a new learner: wasm (one thread) where it loads, else js
 * kernels("js");                         // a learner saved on js continues on js
 */
export function learnerKernels(flags: KernelChoice): LearnerKernels {
  if (flags.backend === undefined && flags.threads === undefined)
    return (saved) => {
      useBackend(saved === null || saved === "js" ? "js" : "auto", { threads: 1 });
    };
  useBackend(flags.backend ?? "auto", { threads: flags.threads });
  return (saved) => {
    const ran = saved === undefined ? backend().name : (saved ?? "js");
    if (ran !== backend().name)
      process.stderr.write(
        `warning: the learner ran on the ${ran} kernels and continues on ${backend().name} (--backend, --threads): its sums round in another order, so from here its last bits differ from a run that stayed on ${ran}\n`,
      );
  };
}
