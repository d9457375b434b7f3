// Write docs/kinds.md from the registries (run after `npm run build`).
//
//   node scripts/kinds-doc.mjs
import { writeFileSync } from "node:fs";
import { kindsMarkdown } from "../dist/src/cli/kinds-doc.js";

writeFileSync("docs/kinds.md", kindsMarkdown());
console.log("wrote docs/kinds.md");
