/**
 * PyTorch's plain online SGD step as the lifelong learner's speed peer (issue 17: `observe` at batch 1
 * must reach 1.2× it on the same network in the same run), and its online Adam step (the learner's own
 * optimiser). It runs bench/torch_online_peer.py with Debian's python3-torch, which times its own loop of
 * single-row training steps.
 */
import { spawn } from "node:child_process";
import { PYTHON, TORCH_ENV, torchMissing } from "./torch-env.js";
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("../../bench/torch_online_peer.py", import.meta.url));

export interface OnlinePeerOptions {
  /** Timed single-row steps (default 5,000). */
  steps?: number;
  /** Threads for PyTorch and its BLAS (default 1). */
  threads?: number;
  /** Hidden widths (default [256, 256]); the input is 784 wide and the output 10. */
  hidden?: number[];
  /** "sgd" (default: plain SGD, lr 0.01) or "adam" (lr 0.001, the learner's default). */
  optimizer?: "sgd" | "adam";
  lr?: number;
  seed?: number;
}

export type OnlinePeerResult =
  | {
      samplesPerSecond: number;
      steps: number;
      seconds: number;
      threads: number;
      optimizer: string;
      torch: string;
      blas: string;
    }
  | { samplesPerSecond: null; reason: string };

/**
 * Samples per second of PyTorch's online step (784-256-256-10, ReLU, SGD lr 0.01 or Adam lr 0.001,
 * batch 1), or null with the reason when PyTorch cannot run here.
 *
 * @example
 * const peer = await torchOnlineSamplesPerSecond({ steps: 3000 });
 * if (peer.samplesPerSecond === null) console.log(peer.reason);
 */
export async function torchOnlineSamplesPerSecond(
  options: OnlinePeerOptions = {},
): Promise<OnlinePeerResult> {
  const missing = torchMissing();
  if (missing) return { samplesPerSecond: null, reason: missing };
  const args = [
    SCRIPT,
    `--steps=${options.steps ?? 5000}`,
    `--threads=${options.threads ?? 1}`,
    `--hidden=${(options.hidden ?? [256, 256]).join(",")}`,
    `--optimizer=${options.optimizer ?? "sgd"}`,
    ...(options.lr !== undefined ? [`--lr=${options.lr}`] : []),
    `--seed=${options.seed ?? 1}`,
  ];
  // TORCH_ENV: idle OpenMP threads sleep at once; glibc keeps the gradients' pages (torch-env.ts).
  const env = { ...TORCH_ENV, OPENBLAS_THREAD_TIMEOUT: "4", ...process.env };
  const { code, stdout, stderr } = await run(PYTHON, args, env);
  const last = stdout.trim().split("\n").at(-1) ?? "";
  if (code !== 0 || !last.startsWith("{")) {
    return {
      samplesPerSecond: null,
      reason: `PyTorch online peer failed (exit ${code}): ${stderr.trim().split("\n").at(-1)}`,
    };
  }
  return JSON.parse(last);
}

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const steps = Number(process.argv[2] ?? 5000);
  console.log(JSON.stringify(await torchOnlineSamplesPerSecond({ steps })));
}
