/**
 * The learner variants the long-life benchmark compares: naive online learning (the same network, every
 * protection off), each protection alone on top of naive, the default learner, and an oracle. A key the
 * learner of this checkout does not know yet is dropped with a note (the learner's ConfigError names
 * it), so the table can name protections before they land.
 */
import { LEARNER_OPTIONS, Learner, type LearnerConfig } from "../src/learner/index.js";
import { ConfigError } from "../src/tensor/errors.js";

export interface Variant {
  name: string;
  doc: string;
  /** Keys on top of `{task, inputs, hidden, seed}`. */
  config: Record<string, unknown>;
  /** The oracle: a fresh default learner at each concept change, warmed on that concept's rows. */
  oracle?: boolean;
}

/** Every protection off: plain online Adam at batch 1 (the speed section's naive learner too). */
export const NAIVE = {
  normalize: false,
  memory: 0,
  replay: 0,
  drift: "none",
  consolidate: "none",
  health: false,
  homeostasis: [],
};

/** The default learner's replay memory: the replay variant has the default's memory, so it is that protection alone. */
const MEMORY = LEARNER_OPTIONS.memory.default;

export const VARIANTS: readonly Variant[] = [
  { name: "naive", doc: "every protection off: plain online Adam at batch 1", config: NAIVE },
  {
    name: "replay",
    doc: `naive + replay as the default has it (memory ${MEMORY.toLocaleString("en-US")}, 1 row per step)`,
    config: { ...NAIVE, memory: MEMORY, replay: 1 },
  },
  {
    name: "drift+ewc",
    doc: "naive + ADWIN drift detection consolidating online EWC (memory 1000)",
    config: { ...NAIVE, drift: "adwin", consolidate: "onlineEwc", memory: 1000 },
  },
  { name: "normalize", doc: "naive + running input normalisation", config: { ...NAIVE, normalize: true } },
  { name: "health", doc: "naive + the health monitor", config: { ...NAIVE, health: true } },
  {
    name: "regulators",
    doc: "naive + the default's regulator, ReDo (dormant units recycled)",
    config: { ...NAIVE, homeostasis: [{ type: "redo" }] },
  },
  { name: "default", doc: "`Learner.create({task, inputs})` and nothing else", config: {} },
  {
    name: "oracle",
    doc: "a fresh default learner at each concept change, first trained on rows of the new concept",
    config: {},
    oracle: true,
  },
];

/** The variants named in `list` (comma-separated; all when empty), in table order. */
export function pickVariants(list: string): Variant[] {
  if (!list) return [...VARIANTS];
  const names = list.split(",").map((s) => s.trim());
  const unknown = names.filter((n) => !VARIANTS.some((v) => v.name === n));
  if (unknown.length > 0)
    throw new ConfigError(
      `--variants: unknown ${unknown.join(", ")}; expected some of ${VARIANTS.map((v) => v.name).join(", ")}`,
      { field: "--variants" },
    );
  return VARIANTS.filter((v) => names.includes(v.name));
}

/**
 * A learner for `variant` on `base`, with the keys this learner refuses as unknown dropped, one by one,
 * and named in `dropped`.
 *
 * @example
 * const { learner, dropped } = createVariant(VARIANTS[0], { task: "classification", inputs: 784 });
 */
export function createVariant(
  variant: Variant,
  base: LearnerConfig,
): { learner: Learner; config: Record<string, unknown>; dropped: string[] } {
  const config: Record<string, unknown> = { ...base, ...variant.config };
  const dropped: string[] = [];
  for (;;) {
    try {
      return { learner: Learner.create(config as LearnerConfig), config, dropped };
    } catch (e) {
      const key = e instanceof ConfigError ? /^learner\.(\w+): unknown key/.exec(e.message)?.[1] : undefined;
      if (key === undefined || !(key in variant.config)) throw e;
      delete config[key];
      dropped.push(key);
    }
  }
}

/**
 * The variants still different from naive once the unknown keys are dropped (one whose protection has
 * not landed would be a copy of naive, so it is skipped), and notes saying what was dropped or skipped.
 */
export function runnable(
  variants: readonly Variant[],
  base: LearnerConfig,
): { kept: Variant[]; notes: string[] } {
  const unknown = new Set<string>();
  const skipped: string[] = [];
  const kept = variants.filter((v) => {
    const { dropped } = createVariant(v, base);
    for (const k of dropped) unknown.add(k);
    const naiveValue = (k: string) => JSON.stringify(NAIVE[k as keyof typeof NAIVE]);
    const own = dropped.filter((k) => JSON.stringify(v.config[k]) !== naiveValue(k));
    if (v.name !== "naive" && own.length > 0)
      skipped.push(`${v.name} (needs ${own.map((k) => `\`${k}\``).join(", ")})`);
    return v.name === "naive" || own.length === 0;
  });
  const notes = [];
  if (unknown.size > 0)
    notes.push(
      `This learner does not know ${[...unknown].map((k) => `\`${k}\``).join(", ")} yet: dropped from every variant.`,
    );
  if (skipped.length > 0)
    notes.push(`Skipped, their protection is not in this learner yet: ${skipped.join("; ")}.`);
  return { kept, notes };
}
