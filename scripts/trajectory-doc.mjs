// Write the conv-net trajectory table (PyTorch vs Homeostat, 100 steps after a safetensors import)
// into docs/models.md, between its trajectory markers (run after `npm run build`).
//
//   node scripts/trajectory-doc.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { useBackend } from "../dist/src/backend/index.js";
import { cnnTrajectory, trajectoryMarkdown } from "../dist/test/helpers/cnn-trajectory.js";

const FILE = "docs/models.md";
const BEGIN = "<!-- trajectory-doc.mjs: begin -->";
const END = "<!-- trajectory-doc.mjs: end -->";
const doc = readFileSync(FILE, "utf8");
const [start, end] = [doc.indexOf(BEGIN), doc.indexOf(END)];
if (start < 0 || end < start) throw new Error(`${FILE}: the markers ${BEGIN} … ${END} are missing`);
useBackend("js"); // the table is measured on the reference backend, as its test reruns it
const { torch, ours } = cnnTrajectory();
const table = trajectoryMarkdown(torch, ours);
writeFileSync(FILE, `${doc.slice(0, start + BEGIN.length)}\n${table}\n${doc.slice(end)}`);
console.log(`wrote ${torch.length} steps to ${FILE}`);
