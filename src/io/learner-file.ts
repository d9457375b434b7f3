/**
 * A learner as a file (Node only, exported from `homeostat/node`): `learner.hmst` in a folder, the bytes
 * of `learner-bytes.ts` written atomically, so a crash leaves the previous file whole.
 */
import { join } from "node:path";
import { Learner } from "../learner/learner.js";
import { ensureDirectory, readModelBytes, writeFileAtomic } from "./atomic.js";
import { learnerToBytes, type OpenedLearner, openLearnerBytes } from "./learner-bytes.js";

export { learnerFromBytes, learnerToBytes, type OpenedLearner, openLearnerBytes } from "./learner-bytes.js";

/** The file a learner's folder holds. */
export const LEARNER_FILE = "learner.hmst";

/**
 * Write the learner to `dir/learner.hmst` (the folder is made if needed), atomically: a crash leaves
 * the previous file whole.
 *
 * @example
 * await saveLearner(learner, "runs/live"); const again = await loadLearner("runs/live");
 */
export async function saveLearner(learner: Learner, dir: string): Promise<string> {
  ensureDirectory(dir);
  const path = join(dir, LEARNER_FILE);
  writeFileAtomic(path, learnerToBytes(learner));
  return path;
}

/**
 * The learner `saveLearner` wrote to `dir`, on the backend active once `beforeLoad`, when given, has been
 * told the backend the file names (null: a file saved before it was kept) and has chosen the kernels.
 */
export async function loadLearner(
  dir: string,
  beforeLoad?: (backend: string | null) => void,
): Promise<Learner> {
  const opened = openLearner(dir);
  beforeLoad?.(opened.backend);
  return opened.learner();
}

/** The file `saveLearner` wrote to `dir`, checked: the backend it names, then its learner (`OpenedLearner`). */
export function openLearner(dir: string): OpenedLearner {
  const path = join(dir, LEARNER_FILE);
  return openLearnerBytes(readModelBytes(path), path);
}

// The method forms `learner.save(dir)` and `Learner.load(dir)` (the contract DESIGN.md gives). They live
// with the file format: io sits above learner in the folder order, so the class cannot import them;
// homeostat/node imports this module, which installs them.
declare module "../learner/learner.js" {
  interface Learner {
    /** Write the learner to `dir/learner.hmst` (atomic: a crash leaves the old file); returns the path. */
    save(dir: string): Promise<string>;
  }
  namespace Learner {
    /** The learner `save` wrote to `dir`; it continues bit-identically. */
    function load(dir: string): Promise<Learner>;
  }
}
Learner.prototype.save = function save(this: Learner, dir: string) {
  return saveLearner(this, dir);
};
(Learner as unknown as { load: typeof loadLearner }).load = loadLearner;
