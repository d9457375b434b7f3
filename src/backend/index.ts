import type { Backend } from "./backend.js";
import { ConfigError } from "../tensor/errors.js";
import { jsBackend } from "./js/index.js";

export type { Backend, UnaryKernel, BinaryKernel, ReduceKernel } from "./backend.js";
export { jsBackend } from "./js/index.js";

const registry = new Map<string, Backend>([["js", jsBackend]]);
let active: Backend = jsBackend;

/** Make a backend available to `useBackend` by name. */
export function registerBackend(backend: Backend): void {
  registry.set(backend.name, backend);
}

/**
 * Choose the backend that runs every kernel from now on. Chosen once at start (the CLI's `--backend`
 * flag, or a call before training); switching mid-run is allowed but tensors keep no backend affinity.
 */
export function useBackend(name: string): Backend {
  const b = registry.get(name);
  if (!b) throw new ConfigError(`unknown backend "${name}"; available: ${[...registry.keys()].join(", ")}`, { field: "backend" });
  active = b;
  return b;
}

/** The backend that runs kernels now. */
export function backend(): Backend {
  return active;
}

/** A registered backend by name (for conformance tests and benchmarks), without making it active. */
export function backendByName(name: string): Backend | undefined {
  return registry.get(name);
}

export function backendNames(): string[] {
  return [...registry.keys()];
}
