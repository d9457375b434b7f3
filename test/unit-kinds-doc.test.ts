/**
 * docs/kinds.md against the registries: every kind's doc, and each option's type, range, default and doc,
 * as `--help` prints them. In the unit tier (and in the mutation sandbox, which copies docs/kinds.md) so
 * that a changed bound, integer flag or doc sentence in any kind's option schema is caught.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { kindsMarkdown } from "../src/cli/kinds-doc.js";

const ROOT = new URL("../../", import.meta.url);

test("docs/kinds.md is what the registries say (regenerate: node scripts/kinds-doc.mjs)", () => {
  const page = readFileSync(new URL("docs/kinds.md", ROOT), "utf8");
  assert.equal(
    page,
    kindsMarkdown(),
    "docs/kinds.md is stale: run npm run build && node scripts/kinds-doc.mjs",
  );
});
