/**
 * Plugins: a run config's `"plugins": ["./my-kinds.js"]` names modules (paths relative to the config
 * file) that each export `register(registries)`; the CLI imports them before it parses the rest of the
 * config, so the kinds they register are named in the config exactly like built-in ones.
 *
 * @example
 * // my-kinds.js
 * export function register({ optimizers }) {
 *   optimizers.register({ name: "sign", doc: "signSGD.", options: {}, create: () => signSgd() });
 * }
 */
import { dirname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { strategies } from "../continual/strategies/index.js";
import { detectors } from "../health/kinds.js";
import { regulators } from "../homeostasis/config.js";
import { losses } from "../losses/losses.js";
import { activations } from "../nn/activations.js";
import { initializers } from "../nn/init.js";
import { layers } from "../nn/layer-kinds.js";
import { optimizers } from "../optim/optimizers.js";
import { schedules } from "../optim/schedules.js";
import { ConfigError } from "../tensor/errors.js";
import { loadRunConfig, namingFile, pluginPaths, readConfigJson, type RunConfig } from "./config.js";

/** Every registry a plugin can add kinds to, under the name `register` sees it by: one row per registry. */
const REGISTRIES = [
  ["layers", layers],
  ["activations", activations],
  ["initializers", initializers],
  ["losses", losses],
  ["optimizers", optimizers],
  ["schedules", schedules],
  ["regulators", regulators],
  ["strategies", strategies],
  ["detectors", detectors],
] as const;

/** The object a plugin's `register` receives. */
export type Registries = { [R in (typeof REGISTRIES)[number] as R[0]]: R[1] };

/**
 * Every registry by name.
 *
 * @example
 * registries().optimizers.names(); // ["sgd", "adam", "adamw", "rmsprop", "adagrad", …]
 */
export function registries(): Registries {
  return Object.fromEntries(REGISTRIES) as Registries;
}

/** Modules already registered in this process: a second run config naming one does not register it twice. */
const loaded = new Set<string>();

/**
 * Import each plugin module and call its `register(registries())`. A path that does not import, or a
 * module without `register`, is a ConfigError naming the file and the `plugins` entry.
 */
export async function loadPlugins(paths: readonly string[]): Promise<void> {
  for (const [i, path] of paths.entries()) {
    if (loaded.has(path)) continue;
    const field = `plugins[${i}]`;
    const fail = (why: string) => new ConfigError(`${field}: ${path}: ${why}`, { field });
    let module: { register?: unknown };
    try {
      module = await import(pathToFileURL(path).href);
    } catch (e) {
      const code = (e as { code?: string }).code;
      throw fail(
        code === "ERR_MODULE_NOT_FOUND" ? "no such module" : `cannot import: ${(e as Error).message}`,
      );
    }
    if (typeof module.register !== "function")
      throw fail("a plugin must export a function register(registries); this module does not");
    try {
      await module.register(registries());
    } catch (e) {
      throw fail(`register failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    loaded.add(path);
  }
}

/** The plugins a raw run config names, imported; a config that is not an object is left to the parser. */
export async function importPlugins(raw: unknown, baseDir: string): Promise<void> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return;
  await loadPlugins(pluginPaths((raw as { plugins?: unknown }).plugins, baseDir));
}

/** Import the plugins a run config file names (before a command that is not `train` parses it). */
export async function importPluginsOf(path: string): Promise<void> {
  const raw = readConfigJson(path);
  try {
    await importPlugins(raw, dirname(resolve(path)));
  } catch (e) {
    throw namingFile(e, path);
  }
}

/**
 * Read a run config file, import its plugins, then validate it; every problem names the file.
 *
 * @example
 * const cfg = await loadRunConfigWithPlugins("run.json");
 */
export async function loadRunConfigWithPlugins(path: string): Promise<RunConfig> {
  const raw = readConfigJson(path);
  try {
    await importPlugins(raw, dirname(resolve(path)));
  } catch (e) {
    throw namingFile(e, path);
  }
  return loadRunConfig(path, raw);
}
