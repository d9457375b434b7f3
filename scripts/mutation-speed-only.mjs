// Shows that mutants of src/train/run.ts listed as "harmless: only speed" change no result (some, such
// as the update buffers', are killed by tests that look at more than results):
// small training runs (Adam with deferred weight gradients, clipping, gradient hooks, SGD, AdamW; with
// and without observers) are trained with the compiled run.js as it is and with each mutant applied,
// and every final weight, each step's loss and the gradients handed to observers must be the same bits.
// A control mutant that does change results (no settling of deferred gradients before clipping) must
// be told apart, so the check can fail.
//
//   npm run build && node scripts/mutation-speed-only.mjs
//
// Each variant runs in a child process whose module loader rewrites dist/src/train/run.js as it loads.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { register } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const RUN_JS = fileURLToPath(new URL("../dist/src/train/run.js", import.meta.url));

/** [what the mutant is (as docs/mutation.md shows it), code in run.js, its replacement]. */
const MUTANTS = [
  ["bufferFor → () => undefined", "(t) => kernels.bufferFor?.(t, t.size) ?? null", "() => undefined"],
  [
    "bufferFor ?? null → && null",
    "kernels.bufferFor?.(t, t.size) ?? null",
    "kernels.bufferFor?.(t, t.size) && null",
  ],
  ["if (keepGrads) → if (true)", "if (keepGrads) {", "if (true) {"],
  ["observers.length > 0 → true", "if (this.observers.length > 0) {", "if (true) {"],
  ["observers.length > 0 → >= 0", "if (this.observers.length > 0) {", "if (this.observers.length >= 0) {"],
  ["readsGradients?.() ?? true → true", "(o.readsGradients?.() ?? true)", "true"],
  [
    "deferred.size > 0 && … → stepDeferred alone",
    "this.deferred.size > 0 && optimizer.stepDeferred",
    "optimizer.stepDeferred",
  ],
  [
    "deferred.size > 0 && … → ||",
    "this.deferred.size > 0 && optimizer.stepDeferred",
    "this.deferred.size > 0 || optimizer.stepDeferred",
  ],
  ["if (!u) → if (true) (no update buffer used)", "if (!u)", "if (true)"],
  ["if (u !== g) → if (true)", "if (u !== g)", "if (true)"],
  ["!copy || … → true (a new copy each step)", "if (!copy || copy.length !== grads[i].length)", "if (true)"],
  [
    "copy.length !== … → === (a new copy each step)",
    "copy.length !== grads[i].length",
    "copy.length === grads[i].length",
  ],
  ["copy.length !== … → false", "if (!copy || copy.length !== grads[i].length)", "if (!copy || false)"],
];
/** Changes results where deferred gradients are clipped: the script must tell it apart. */
const CONTROL = [
  "control: no settling before clipping",
  "if (this.clipNorm !== null || this.opts.clip?.value !== undefined || this.readsGradients())",
  "if (this.readsGradients())",
];

if (process.env.SPEED_ONLY_CHILD !== undefined) await child(JSON.parse(process.env.SPEED_ONLY_CHILD));
else parent();

function parent() {
  const source = readFileSync(RUN_JS, "utf8");
  for (const [name, code] of [...MUTANTS, CONTROL])
    if (source.split(code).length !== 2) throw new Error(`${name}: "${code}" is not in run.js exactly once`);
  const original = runVariant(null);
  let failed = false;
  for (const [name, code, replacement] of MUTANTS) {
    const same = runVariant([code, replacement]) === original;
    console.log(`${same ? "same bits" : "DIFFERS  "}  ${name}`);
    failed ||= !same;
  }
  const control = runVariant([CONTROL[1], CONTROL[2]]) !== original;
  console.log(`${control ? "differs  " : "SAME BITS"}  ${CONTROL[0]} (expected to differ)`);
  if (failed || !control) {
    console.error(
      "mutation-speed-only: a mutant listed as only speed changes results, or the control does not",
    );
    process.exit(1);
  }
  console.log(
    `mutation-speed-only: ${MUTANTS.length} mutants change no bit of ${original.split("\n").length} runs`,
  );
}

/** The digest of every run's results, with run.js as compiled or with one replacement. */
function runVariant(replace) {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, SPEED_ONLY_CHILD: JSON.stringify(replace) },
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`variant ${JSON.stringify(replace)} failed:\n${r.stderr}`);
  return r.stdout;
}

async function child(replace) {
  if (replace) {
    const hooks = `
      let target, code, replacement;
      export function initialize(d) { ({ target, code, replacement } = d); }
      export async function load(url, context, next) {
        const r = await next(url, context);
        if (url !== target) return r;
        return { ...r, source: String(r.source).replace(code, replacement) };
      }`;
    register(`data:text/javascript,${encodeURIComponent(hooks)}`, {
      data: { target: pathToFileURL(RUN_JS).href, code: replace[0], replacement: replace[1] },
    });
  }
  const dist = (p) => import(new URL(`../dist/src/${p}`, import.meta.url).href);
  const { fit } = await dist("train/fit.js");
  const { Sequential } = await dist("nn/sequential.js");
  const { Dense } = await dist("nn/layers.js");
  const { crossEntropy } = await dist("losses/losses.js");
  const { adam, adamw, sgd } = await dist("optim/optimizers.js");
  const { Rng } = await dist("tensor/rng.js");
  const { Tensor } = await dist("tensor/tensor.js");

  // 24 rows of 64 features in 4 classes; a 64-32-4 MLP, so that the first layer's 2048 weights get
  // resident update buffers (the deferred path) and the second's 128 do not.
  const rng = new Rng(7);
  const rows = 24;
  const x = new Float32Array(rows * 64).map(() => rng.normal());
  const y = new Float32Array(rows * 4);
  for (let r = 0; r < rows; r++) y[r * 4 + (r % 4)] = 1;
  const data = { x: new Tensor(x, [rows, 64]), y: new Tensor(y, [rows, 4]) };
  const model = () =>
    new Sequential([new Dense(32, { activation: "relu" }), new Dense(4, { activation: "softmax" })]).build(
      64,
      new Rng(3),
    );
  let n = 0;
  const hook = (scale, reads) => ({
    readsGradients: () => reads,
    onGradients: (grads) => {
      if (reads) for (const g of grads.values()) for (let j = 0; j < g.length; j++) g[j] *= scale;
    },
  });
  // [optimizer, batch size, more fit options, observers, whether a recorder keeps each step's loss and
  // the gradients observers are handed (without it, some runs have no observer at all)].
  const runs = [
    [adam({ lr: 0.01 }), 2, {}, [], false],
    [adam({ lr: 0.01 }), 2, {}, [], true],
    [adam({ lr: 0.01 }), 3, { clip: { norm: 0.5, value: 0.05 } }, [], false],
    [adam({ lr: 0.01 }), 2, {}, [hook(0.5, true)], true],
    [adam({ lr: 0.01 }), 2, {}, [hook(1, false), { wantsGradients: () => n++ % 2 === 0 }], true],
    [adamw({ lr: 0.01, weightDecay: 0.1 }), 2, {}, [], false],
    [sgd({ lr: 0.05, momentum: 0.9 }), 8, {}, [{}], true],
    [adam({ lr: 0.01, amsgrad: true }), 1, {}, [], false],
    [sgd({ lr: 0.05 }), 24, {}, [], false],
  ];
  const digest = [];
  for (const [optimizer, batchSize, extra, observers, record] of runs) {
    const m = model();
    const seen = [];
    const recorder = {
      wantsGradients: () => false,
      onBatchEnd: (e) => seen.push(e.loss, ...[...e.grads.values()].flatMap((g) => Array.from(g))),
    };
    fit(m, data, {
      epochs: 2,
      batchSize,
      optimizer,
      loss: crossEntropy,
      seed: 5,
      observers: record ? [...observers, recorder] : observers,
      ...extra,
    });
    const weights = m.parameters().flatMap(([, t]) => Array.from(t.data));
    digest.push(
      createHash("sha256")
        .update(new Float64Array([...seen, ...weights]))
        .digest("hex"),
    );
  }
  process.stdout.write(digest.join("\n"));
}
