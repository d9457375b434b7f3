/**
 * The public surface is checked in: docs/api-report.md lists every export of "homeostat" and
 * "homeostat/node" (scripts/api-report.mjs, over the built declarations). Regenerated here in memory; a
 * change to the surface without `npm run api` fails with the rows that differ.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const { apiReport, reportDiff, REPORT } = (await import(`${ROOT}scripts/api-report.mjs`)) as {
  apiReport(root?: string): string;
  reportDiff(before: string, after: string): string;
  REPORT: string;
};

const report = apiReport(ROOT);

test("docs/api-report.md matches the public surface (npm run api rewrites it)", () => {
  const diff = reportDiff(readFileSync(REPORT, "utf8"), report);
  assert.equal(diff, "", `the public surface changed; run npm run api and review:\n${diff}`);
});

test("the report lists what a user needs from the root, without internals, and the node-only rest", () => {
  const section = (title: string): Set<string> => {
    const start = report.indexOf(`## \`${title}\``);
    const end = report.indexOf("\n## ", start + 1);
    const rows = report.slice(start, end === -1 ? undefined : end).matchAll(/^\| `([^`.]+)` \|/gm);
    return new Set(Array.from(rows, (m) => m[1]!));
  };
  const root = section("homeostat");
  const node = section("homeostat/node");
  const needed = [
    "Learner",
    "Sequential",
    "Dense",
    "fit",
    "evaluate",
    "predict",
    "adam",
    "losses",
    "schedules",
  ];
  needed.push(
    "healthMonitor",
    "detectors",
    "regulators",
    "balanceMeasures",
    "strategies",
    "continualMeasures",
  );
  needed.push("makeStream", "runContinual", "encodeModel", "exportOnnx", "exportTfjs", "renderReport");
  needed.push("learnerToBytes", "loadWasmBackend", "effectiveRank", "parseCsv", "parseIdx");
  for (const name of needed) assert.ok(root.has(name), `homeostat exports ${name}`);
  for (const name of ["lift", "linearBackward", "writeFileAtomic", "loadCsv", "saveLearner", "designRank"])
    assert.ok(!root.has(name), `homeostat keeps ${name} out`);
  for (const name of [
    "writeFileAtomic",
    "loadCsv",
    "loadBundledMnist",
    "saveLearner",
    "serve",
    "runContinual",
  ])
    assert.ok(node.has(name), `homeostat/node lists ${name}`);
  assert.match(report, /^\| `Learner\.toBytes` \| method \| `\(\) => Uint8Array/m);
  assert.match(report, /^\| `Learner\.save` \| method \| `\(dir: string\) => Promise<string>` \|/m);
  assert.ok(report.indexOf("`Learner.save`") > report.indexOf("## `homeostat/node`"), "save is node's");
});

test("the diff names a changed row (the check can fail)", () => {
  const changed = report.replace("| `fit` | function |", "| `fit` | const |");
  assert.match(reportDiff(report, changed), /^- \| `fit` \| function \|.*\n\+ \| `fit` \| const \|/m);
});
