// Scale-out in one process: a stream split into partitions by key, one durable learner per partition
// (as one consumer of a Kafka consumer group, or of a Redis Streams group, would own one partition),
// each with its own write-ahead log and checkpoints, and its own /metrics for Prometheus to scrape.
// No broker here: a partition is an array and its offsets are indexes. Run after `npm run build`:
//   node examples/partitioned-learners.mjs [--partitions 4] [--rows 8000]
//
// The point it shows: the learner's log is the partition's offset store. Row seq N of a partition's
// learner is the message at offset N - 1, logged before it is acknowledged, so a consumer that restarts
// resumes its learner and seeks to offset `lastSeq`: no row learnt twice, none skipped, with no offset
// committed to the broker at all.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { DurableLearner, Learner, SeaStream, serve } from "homeostat/node";

const { values } = parseArgs({ options: { partitions: { type: "string" }, rows: { type: "string" } } });
const P = Number(values.partitions ?? 4);
const ROWS = Number(values.rows ?? 8000);
const BATCH = 64;
const root = mkdtempSync(join(tmpdir(), "homeostat-partitions-"));

/** FNV-1a of the key, as a producer's partitioner hashes a message key. */
const partitionOf = (key) => {
  let h = 0x811c9dc5;
  for (const c of key) h = Math.imul(h ^ c.charCodeAt(0), 0x01000193) >>> 0;
  return h % P;
};
// The topic: each row carries a key (one of 500 devices); a key always goes to the same partition.
const topic = Array.from({ length: P }, () => []);
let i = 0;
for (const { x, y } of new SeaStream({ seed: 7 }).take(ROWS))
  topic[partitionOf(`device-${i++ % 500}`)].push({ x: Array.from(x), y });

/** One consumer: resume (or start) the partition's learner, seek to its last row, learn the rest. */
async function consume(p, upTo) {
  const dir = join(root, `partition-${p}`);
  const durable = await DurableLearner.resume(dir).catch(() =>
    DurableLearner.create(dir, Learner.create({ task: "classification", seed: p }), { every: 1000 }),
  );
  const service = await serve(durable, { port: 0 }); // /vitals, /metrics and the dashboard at /
  const rows = topic[p];
  for (let offset = durable.lastSeq; offset < Math.min(upTo, rows.length); offset += BATCH)
    await durable.observe(rows.slice(offset, Math.min(offset + BATCH, upTo, rows.length)));
  return { p, durable, service };
}

// First run: every consumer stops halfway (a rebalance, a deploy, a crash after its last commit).
const first = await Promise.all(topic.map((rows, p) => consume(p, Math.floor(rows.length / 2))));
for (const { service } of first) await service.close();
// Second run: each resumes its learner from its folder and goes on from its own offset.
const second = await Promise.all(topic.map((rows, p) => consume(p, rows.length)));

for (const { p, durable, service } of second) {
  const v = durable.learner.vitals();
  const metrics = await (await fetch(`${service.url}/metrics`)).text();
  const scraped = metrics.match(/^homeostat_rows_total (\d+)/m)?.[1];
  console.log(
    `partition ${p}: ${v.rows} of ${topic[p].length} rows, prequential accuracy ${(100 * v.prequential.accuracy).toFixed(1)}%, ` +
      `${v.drifts.length} drifts, health ${v.health.status}; ${service.url}/metrics says ${scraped} rows`,
  );
}
const learnt = second.reduce((n, { durable }) => n + durable.lastSeq, 0);
console.log(`${learnt} of ${ROWS} rows learnt once each across ${P} partitions (folders under ${root})`);
for (const { service } of second) await service.close();
rmSync(root, { recursive: true, force: true });
