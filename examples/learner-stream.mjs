// A learner keeping its balance on a drifting stream: SEA concepts (Street & Kim 2001), the boundary
// moving every 2,000 rows (θ = 8, 9, 7, 9.5). Test-then-train, one row at a time; the vitals say how it
// copes: its running accuracy, the drifts it saw, its health and its dead units. Run after `npm run build`:
//   node examples/learner-stream.mjs [--rows 8000]
import { parseArgs } from "node:util";
import { Learner, SeaStream } from "homeostat";

const rows = Number(parseArgs({ options: { rows: { type: "string" } } }).values.rows ?? 8000);
const learner = Learner.create({ task: "classification", seed: 1 });
for (const { x, y } of new SeaStream({ seed: 1, conceptLength: 2000, noise: 0 }).take(rows)) learner.observe(x, y);

const v = learner.vitals();
const dead = v.balance?.layers.map((l) => `${(100 * l.deadFraction).toFixed(1)}%`).join(", ") ?? "not read yet";
console.log(`rows ${v.rows}, prequential accuracy ${(100 * v.prequential.accuracy).toFixed(2)}%`);
console.log(`last ${v.recent.rows} rows: ${(100 * v.recent.accuracy).toFixed(2)}%`);
console.log(`drifts at rows ${v.drifts.map((d) => d.row).join(", ") || "none"}`);
console.log(`health ${v.health.status}, ${v.health.events} events, ${v.health.repairs} repairs`);
console.log(`dead units per hidden layer: ${dead}`);
console.log(`labels ${v.labels.join(", ")}; replay memory ${v.replay.size} of ${v.replay.capacity} rows`);
