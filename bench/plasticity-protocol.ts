/**
 * Issue 19's plasticity protocol as one run config, shared by the benches that run it (vital-loop,
 * vital-overhead, vital-protocol, vital-trace): online permuted digits, `tasks` tasks of `per` digits, one
 * pass, SGD 0.1, batch 16, 784-100-100-100-10 with ReLU, no strategy; `homeostasis` as a run config
 * names regulators (left out: none).
 */
import { type ContinualConfig, parseContinualConfig } from "../src/continual/index.js";

export function plasticityProtocol(o: {
  tasks: number;
  per: number;
  seed: number;
  homeostasis?: unknown[];
}): ContinualConfig {
  return parseContinualConfig({
    stream: "permuted",
    scenario: "domain",
    tasks: o.tasks,
    epochs: 1,
    batchSize: 16,
    trainPerTask: o.per,
    seed: o.seed,
    strategy: "naive",
    online: true,
    probeRows: 500,
    optimizer: { type: "sgd", lr: 0.1 },
    ...(o.homeostasis ? { homeostasis: o.homeostasis } : {}),
    model: { layers: [100, 100, 100].map((units) => ({ type: "dense", units, activation: "relu" })) },
  });
}
