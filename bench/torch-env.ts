/**
 * How the PyTorch peers start: Debian's python3-torch, whether it is there, and the environment they
 * run in (a user's own settings win over it).
 *
 * - OMP_WAIT_POLICY=PASSIVE: idle OpenMP threads sleep at once instead of spinning into the other
 *   contestant's time.
 * - MALLOC_TOP_PAD_ (64 MiB): glibc gives memory freed at the top of its heap back to the system and
 *   takes it back page by page as later allocations touch it. PyTorch frees and makes every gradient
 *   again each step (`zero_grad(set_to_none=True)`), and whether a process falls into trimming each step
 *   depends on where its chunks land: on a 2-core Zen 5 VM, where a page touched for the first time
 *   costs 10.5 µs, the online peer (784-256-256-10, batch 1) ran at 1,066–3,167 steps a second from one
 *   process to the next and the 784-256-10 step at 745–5,233. With 64 MiB kept at the heap's top every
 *   process ran in the fast mode (3,290–3,578 and 4,462–4,910): the peer at its best, the conservative
 *   side of every ratio to it (5 December 2026; docs/learner.md).
 */
import { spawnSync } from "node:child_process";

/** Debian's interpreter, the one python3-torch is installed for (not the `python3` first on PATH). */
export const PYTHON = "/usr/bin/python3";

/** The environment the peers run in (above). */
export const TORCH_ENV: Readonly<Record<string, string>> = {
  OMP_WAIT_POLICY: "PASSIVE",
  MALLOC_TOP_PAD_: String(64 << 20),
};

let missing: string | null | undefined;

/**
 * Why PyTorch cannot run here ("PyTorch skipped: …"), or null where `import torch` works. Asked once a
 * process: the import alone takes ~1.8 s, and a speed figure starts a peer a dozen times.
 */
export function torchMissing(): string | null {
  if (missing === undefined) {
    const probe = spawnSync(PYTHON, ["-c", "import torch"], { encoding: "utf8", timeout: 60_000 });
    const why = probe.error?.message ?? probe.stderr.trim().split("\n").at(-1);
    missing =
      probe.error || probe.status !== 0
        ? `PyTorch skipped: ${PYTHON} -c "import torch" failed (${why})`
        : null;
  }
  return missing;
}
