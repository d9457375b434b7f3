/**
 * Issue 3's closing-note table: every zoo case (test/helpers/health-zoo.ts) run with repair on, with the
 * kind and step of its first event, whether it was repaired, and its final accuracy next to its healthy twin's.
 *
 * node dist/bench/health-zoo.js
 */
import { runZooCase, ZOO, type ZooResult } from "../test/helpers/health-zoo.js";

const results = new Map<string, ZooResult>();
for (const c of ZOO) results.set(c.name, runZooCase(c, { repair: true }));
const pct = (a: number): string => `${(100 * a).toFixed(1)}%`;
console.log("| case | expected | detected kind | step | repaired? | final accuracy | healthy twin | ok |");
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
let failures = 0;
for (const c of ZOO) {
  const r = results.get(c.name)!;
  const regression = c.setup().task === "regression";
  const score = regression ? `loss ${r.accuracy.toPrecision(3)}` : pct(r.accuracy);
  const twin = c.twin ? results.get(c.twin)!.accuracy : NaN;
  const detected = c.expected ? r.firstKind === c.expected : r.events.length === 0;
  const close = !c.twin || (r.repaired && r.accuracy >= twin - 0.02);
  if (!detected || !close) failures++;
  const repaired = r.failed ? "failed (exit 1)" : r.repaired ? "yes" : "—";
  console.log(
    `| ${c.name} | ${c.expected ?? "healthy"} | ${r.firstKind ?? "none"} | ${r.firstStep ?? "—"} | ${repaired} | ${score} | ${c.twin ? pct(twin) : "—"} | ${detected && close ? "✓" : "✗"} |`,
  );
}
console.log(
  `\n${ZOO.filter((c) => c.expected).length} broken, ${ZOO.filter((c) => !c.expected).length} healthy; ${failures} not as expected`,
);
process.exitCode = failures === 0 ? 0 : 1;
