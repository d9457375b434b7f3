/**
 * The playground page: reads the controls, trains a Session a few steps per animation frame, and draws
 * the decision regions, loss and per-task accuracy, unit health and health events as they happen.
 * `window.playground` exposes the live numbers (the browser tests read them).
 */
import "./style.css";
import {
  activations,
  backend,
  backendNames,
  formatEvent,
  loadWasmBackend,
  optimizers,
  useBackend,
} from "homeostat";
import { DATASETS, type DatasetName, loadDigits, makeDataset, type Points } from "./datasets.js";
import { drawBoundary, drawDigits, drawLines, HEALTH_COLORS } from "./draw.js";
import { type OptimizerName, Session, type SessionOptions } from "./session.js";

const GRID = 72;
/** Training time per frame: the rest of the frame draws and keeps the page responsive. */
const TRAIN_MS_PER_FRAME = 14;
const TASK_COLORS = ["#0b62d6", "#d1495b", "#2e9d5b", "#8e44ad", "#d68910", "#16a2b8"];
const REPAIRS = new Set([
  "rollback",
  "learningRateCut",
  "learningRateRaise",
  "gradientClipping",
  "unitReinit",
  "weightRescale",
]);
const FAILURES = new Set(["nonFinite", "divergence", "explodingGradients", "failed"]);

// The kernels ship beside the package's loader, and Vite beside the page: nothing to configure.
await loadWasmBackend();

/** The wasm backend where it loads, the reference js backend otherwise; ?backend= overrides. */
function chooseBackend(): string {
  const asked = new URLSearchParams(location.search).get("backend");
  for (const name of asked ? [asked, "js"] : ["wasm", "js"]) {
    if (!backendNames().includes(name)) continue;
    try {
      useBackend(name, { threads: 1 });
      return name;
    } catch {
      // fall through to the next one
    }
  }
  return "js";
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const controls = {
  dataset: $<HTMLSelectElement>("dataset"),
  hidden: $<HTMLInputElement>("hidden"),
  activation: $<HTMLSelectElement>("activation"),
  optimizer: $<HTMLSelectElement>("optimizer"),
  lr: $<HTMLSelectElement>("lr"),
  batch: $<HTMLSelectElement>("batch"),
  repair: $<HTMLInputElement>("repair"),
};
/** Fill a menu from a registry's names (the page's menus list what the library has, plugins included). */
function fillMenu(select: HTMLSelectElement, names: readonly string[]): void {
  for (const name of names) select.add(new Option(name, name, false, name === select.dataset.default));
}
// Softmax normalises across units and identity is no nonlinearity: neither makes a hidden layer.
fillMenu(
  controls.activation,
  activations.names().filter((a) => a !== "softmax" && a !== "identity"),
);
fillMenu(controls.optimizer, optimizers.names());
const backendName = chooseBackend();
/** Which compiled kernels run (the wasm backend's variant), for the tests to read. */
const kernelVariant = (backend() as { info?: () => { variant: string } }).info?.().variant ?? null;
let session: Session;
let playing = false;
let trainMs = 0;
let trainSteps = 0;
let wallStart = 0;
let wallSteps = 0;
const switches: number[] = [];
let shownEvents = -1;

function regulatorBoxes(): HTMLInputElement[] {
  return Array.from(document.querySelectorAll<HTMLInputElement>("input.regulator"));
}

function readOptions(): SessionOptions {
  const hidden = controls.hidden.value
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number)
    .filter((u) => Number.isInteger(u) && u > 0 && u <= 64)
    .slice(0, 5);
  return {
    dataset: (DATASETS as readonly string[]).includes(controls.dataset.value)
      ? (controls.dataset.value as DatasetName)
      : "spirals",
    hidden: hidden.length ? hidden : [8],
    activation: controls.activation.value,
    optimizer: controls.optimizer.value as OptimizerName,
    lr: Number(controls.lr.value),
    batchSize: Number(controls.batch.value),
    repair: controls.repair.checked,
    seed: 1,
    regulators: regulatorBoxes()
      .filter((b) => b.checked)
      .map((b) => b.value as string),
  };
}

let digits: Promise<Points> | null = null;
let resets = 0;

async function reset(): Promise<void> {
  const opts = readOptions();
  const mine = ++resets;
  const twoD = opts.dataset !== "digits";
  $("boundary").hidden = !twoD;
  $("digits").hidden = twoD;
  let points: Points;
  if (opts.dataset === "digits") points = await (digits ??= loadDigits());
  else points = makeDataset(opts.dataset, 300, opts.seed);
  if (mine !== resets) return; // a later reset took over while the digits loaded
  session = new Session(opts, points);
  switches.length = 0;
  trainMs = trainSteps = wallSteps = 0;
  wallStart = performance.now();
  shownEvents = -1;
  draw(true);
}

function frame(): void {
  if (playing && !session.failed) {
    const start = performance.now();
    while (performance.now() - start < TRAIN_MS_PER_FRAME && !session.failed) {
      const t0 = performance.now();
      const n = session.trainEpoch();
      trainMs += performance.now() - t0;
      trainSteps += n;
      wallSteps += n;
    }
    draw(false);
  }
  requestAnimationFrame(frame);
}

let frames = 0;
function draw(full: boolean): void {
  if (session.current.points.dim === 2)
    drawBoundary($("boundary"), session.probabilities(GRID), GRID, session.current.points);
  else drawDigits($("digits"), session.current.points, session.predictions(64), 64);
  const s = session.losses.series();
  drawLines($("loss"), [{ x: s.step, y: s.loss, color: "#0b62d6" }], {
    log: true,
    marks: switches,
    label: "training loss (mean per bucket of steps)",
  });
  const acc = session.accuracy;
  drawLines(
    $("accuracy"),
    session.tasks.map((_, t) => ({
      x: acc.map((a) => a.step),
      y: acc.map((a) => a.perTask[t] ?? NaN),
      color: TASK_COLORS[t % TASK_COLORS.length],
    })),
    { y: [0, 1], marks: switches, label: "accuracy on each task" },
  );
  $("task-legend").innerHTML = session.tasks
    .map(
      (_t, i) =>
        `<span><span class="swatch" style="background:${TASK_COLORS[i % TASK_COLORS.length]}"></span>task ${i + 1}${i === session.tasks.length - 1 ? " (training)" : ""}</span>`,
    )
    .join("");
  if (full || frames++ % 4 === 0) drawUnits();
  if (session.events.length !== shownEvents) drawEvents();
  const last = s.loss.length ? s.loss[s.loss.length - 1] : NaN;
  const perTask = acc.length ? acc[acc.length - 1].perTask : [];
  const sps = trainMs > 0 ? (1000 * trainSteps) / trainMs : 0;
  $("play").textContent = session.failed ? "▶ Carry on" : playing ? "❚❚ Pause" : "▶ Train";
  const status = $("status");
  status.innerHTML =
    `step <b>${session.step.toLocaleString("en-US")}</b> · loss <b>${Number.isFinite(last) ? last.toFixed(4) : "–"}</b>` +
    ` · accuracy ${perTask.map((a, i) => `task ${i + 1} <b>${(100 * a).toFixed(1)}%</b>`).join(", ") || "–"}<br>` +
    `${Math.round(sps).toLocaleString("en-US")} steps/s on the <b>${backendName}</b> backend` +
    (session.failed
      ? `<br><span class="bad">The health monitor stopped the run: ${escapeHtml(session.failed)}. Press ▶ to carry on, or reset.</span>`
      : "");
  const w = window as unknown as { playground: unknown };
  w.playground = {
    backend: backendName,
    variant: kernelVariant,
    playing,
    step: session.step,
    tasks: session.tasks.length,
    events: session.events.length,
    failed: session.failed,
    losses: s,
    accuracy: perTask,
    stepsPerSecond: sps,
    regulators: session.activeRegulators,
    wallStepsPerSecond: wallSteps / Math.max((performance.now() - wallStart) / 1000, 1e-9),
  };
}

function drawUnits(): void {
  $("units").innerHTML = session
    .unitHealth()
    .map(
      (l) =>
        `<div class="layer"><span>layer ${l.layer} · ${l.activation}</span><div class="cells">${l.units
          .map(
            (u, i) =>
              `<div class="cell ${u.health}" title="unit ${i}: ${u.health} (activity ${u.activity.toFixed(2)}× the layer's mean)" style="background:${HEALTH_COLORS[u.health]};opacity:${u.health === "healthy" ? (0.45 + 0.55 * Math.min(1, u.activity)).toFixed(2) : 1}"></div>`,
          )
          .join("")}</div></div>`,
    )
    .join("");
}

function drawEvents(): void {
  shownEvents = session.events.length;
  const items = session.events
    .slice(-60)
    .reverse()
    .map((e) => {
      const cls = FAILURES.has(e.kind) ? "failure" : REPAIRS.has(e.kind) ? "repair" : "";
      return `<li class="${cls}" title="${escapeHtml(formatEvent(e))}"><b>${e.step === 0 ? "start" : `step ${e.step}`} · ${escapeHtml(e.kind)}${e.layer !== undefined ? ` (layer ${escapeHtml(e.layer)})` : ""}</b>${e.repaired ? " · repaired" : ""}<br>${escapeHtml(e.diagnosis)}</li>`;
    });
  $("events").innerHTML = items.join("") || `<li class="none">none yet: the monitor finds nothing wrong</li>`;
}

function escapeHtml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

function setPlaying(on: boolean): void {
  playing = on;
  $("play").textContent = on ? "❚❚ Pause" : "▶ Train";
  wallStart = performance.now();
  wallSteps = 0;
}

$("play").addEventListener("click", () => {
  if (session.failed) {
    session.carryOn();
    setPlaying(true);
  } else setPlaying(!playing);
});
$("reset").addEventListener("click", () => void reset());
$("switch").addEventListener("click", () => {
  session.switchTask();
  switches.push(session.step);
  draw(true);
});
// 784 inputs in [0, 1] drive tanh and sigmoid units into saturation at once: the digits start on ReLU.
controls.dataset.addEventListener("change", () => {
  if (controls.dataset.value === "digits" && ["tanh", "sigmoid"].includes(controls.activation.value))
    controls.activation.value = "relu";
});
for (const c of [controls.dataset, controls.hidden, controls.activation, controls.optimizer, controls.batch])
  c.addEventListener("change", () => void reset());
controls.lr.addEventListener("change", () => session.setLearningRate(Number(controls.lr.value)));
controls.repair.addEventListener("change", () => session.setRepair(controls.repair.checked));
for (const box of regulatorBoxes())
  box.addEventListener("change", () => {
    session.setRegulator(box.value as string, box.checked);
    draw(false);
  });
document.title = `Homeostat playground · ${backendName}`;
void reset().then(() => requestAnimationFrame(frame));
