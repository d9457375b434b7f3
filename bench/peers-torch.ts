/**
 * PyTorch as a peer, when `/usr/bin/python3 -c "import torch"` works (Debian's python3-torch). A
 * Python process for each thread count serves its PyTorch contestants over stdin/stdout
 * (bench/torch_peer.py), so their rounds interleave with the others like any contestant's; each times
 * its own loop.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { PYTHON, TORCH_ENV, torchMissing } from "./torch-env.js";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createInterface, type Interface } from "node:readline";
import type { Contestant, Timing } from "./harness.js";
import type { MlpTask } from "./homeostat.js";
import { type ConvCase, cnnSteps, convFlops } from "./conv-workloads.js";

const SCRIPT = fileURLToPath(new URL("../../bench/torch_peer.py", import.meta.url));

export interface TorchPeer {
  version: string;
  /** The BLAS its products run on: Debian's python3-torch uses whatever libblas.so.3 points to. */
  blas: string;
  mlp(task: MlpTask, threads: number): Contestant;
  gemm(m: number, n: number, k: number, threads: number): Contestant;
  /** One conv layer's forward and backward (NCHW, PyTorch's own layout; the faster of its oneDNN and BLAS paths), counted as `convFlops`. */
  conv(c: ConvCase, threads: number): Contestant;
  /** Training the net `net` ("lenet" or "resnet", as conv-workloads.ts builds it) with Adam; work in samples. */
  cnn(net: string, batch: number, threads: number): Contestant;
  close(): void;
}

/** One Python process of the peer: its greeting, a question-and-answer channel, and its end. */
interface PeerProcess {
  hello: { version: string; blas: string };
  ask(command: Record<string, unknown>): Promise<number>;
  kill(): void;
}

/** Start one Python process of the peer, or say why it did not start. */
async function spawnPeer(): Promise<PeerProcess | string> {
  // TORCH_ENV: the peer's idle OpenMP threads sleep at once instead of spinning on into the next
  // contestant's round, and glibc keeps its freed pages (torch-env.ts); a user's settings win. OpenBLAS is
  // left to its own wait: told to sleep at once (OPENBLAS_THREAD_TIMEOUT=4), PyTorch's one-thread conv
  // layers ran 1.3× slower. (The one-channel layer's 27× then put down to it was oneDNN's own slow state,
  // which strikes at random: torch_peer.py.)
  const env = { ...TORCH_ENV, ...process.env };
  const child: ChildProcessWithoutNullStreams = spawn(PYTHON, [SCRIPT], {
    stdio: ["pipe", "pipe", "pipe"],
    env,
  });
  const lines: Interface = createInterface({ input: child.stdout });
  const waiting: ((line: string) => void)[] = [];
  lines.on("line", (line) => waiting.shift()?.(line));
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr = (stderr + d).slice(-4096); // read, so the peer never blocks on a full pipe
  });
  // A peer that exits answers every question still waiting with an empty line.
  lines.on("close", () => {
    for (const answer of waiting.splice(0)) answer("");
  });
  const next = (): Promise<string> => new Promise((resolve) => waiting.push(resolve));
  const first = await next();
  if (!first.startsWith("{")) return `${SCRIPT} exited (${stderr.trim().split("\n").at(-1)})`;
  return {
    hello: JSON.parse(first) as { version: string; blas: string },
    async ask(command) {
      const reply = next();
      child.stdin.write(`${JSON.stringify(command)}\n`);
      return (JSON.parse(await reply) as { seconds: number }).seconds;
    },
    kill: () => child.kill(),
  };
}

/**
 * Start the Python peer, or say why not (the reason is printed as a note). Each thread count gets a
 * process of its own, started at its first question and kept at that count: in a script alone, a
 * process that switched `torch.set_num_threads` between 1 and 2 every round ran its conv layers
 * 1.2–1.5× slower than one that stayed at one count.
 */
export async function startTorch(): Promise<TorchPeer | string> {
  const missing = torchMissing();
  if (missing) return missing;
  if (!existsSync(SCRIPT))
    return `PyTorch skipped: ${SCRIPT} is missing (the bench reads it from the repository's bench/ folder)`;
  const first = await spawnPeer();
  if (typeof first === "string") return `PyTorch skipped: ${first}`;
  const { hello } = first;
  const byThreads = new Map<number, Promise<PeerProcess | string>>([[1, Promise.resolve(first)]]);
  let ids = 0;
  const ask = async (command: Record<string, unknown> & { threads: number }): Promise<number> => {
    let peer = byThreads.get(command.threads);
    if (!peer) byThreads.set(command.threads, (peer = spawnPeer()));
    const p = await peer;
    if (typeof p === "string") throw new Error(`PyTorch peer for ${command.threads} threads: ${p}`);
    return p.ask(command);
  };
  return {
    version: hello.version,
    blas: hello.blas,
    mlp(task, threads) {
      const id = ids++;
      return {
        name: `PyTorch ${hello.version} (${threads} thread${threads > 1 ? "s" : ""})`,
        peer: "PyTorch",
        async run(reps: number): Promise<Timing> {
          const seconds = await ask({
            op: "mlp",
            id,
            inputs: task.inputs,
            hidden: task.hidden,
            classes: task.classes,
            batch: task.batchSize,
            lr: task.lr,
            seed: task.seed,
            optimizer: task.optimizer,
            clip: task.clip,
            threads,
            reps,
          });
          return { work: reps * task.batchSize, seconds };
        },
      };
    },
    gemm(m, n, k, threads) {
      const id = ids++;
      return {
        name: `PyTorch ${hello.version} torch.mm (${threads} thread${threads > 1 ? "s" : ""})`,
        peer: "PyTorch",
        async run(reps: number): Promise<Timing> {
          const seconds = await ask({ op: "gemm", id, m, n, k, threads, reps });
          return { work: reps * 2 * m * n * k, seconds };
        },
      };
    },
    conv(c, threads) {
      const id = ids++;
      return {
        name: `PyTorch ${hello.version} conv2d (${threads} thread${threads > 1 ? "s" : ""})`,
        peer: "PyTorch",
        async run(reps: number): Promise<Timing> {
          const seconds = await ask({ op: "conv", id, ...c, threads, reps });
          return { work: reps * convFlops(c), seconds };
        },
      };
    },
    cnn(net, batch, threads) {
      const id = ids++;
      const steps = cnnSteps(batch);
      return {
        name: `PyTorch ${hello.version} (${threads} thread${threads > 1 ? "s" : ""})`,
        peer: "PyTorch",
        async run(reps: number): Promise<Timing> {
          const seconds = await ask({ op: "cnn", id, net, batch, steps, lr: 1e-3, seed: 1, threads, reps });
          return { work: reps * steps * batch, seconds };
        },
      };
    },
    close() {
      for (const peer of byThreads.values()) void peer.then((p) => typeof p !== "string" && p.kill());
    },
  };
}
