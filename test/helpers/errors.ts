import assert from "node:assert/strict";
import { DataError } from "../../src/tensor/errors.js";

/** Assert `fn` throws a DataError whose message contains every fragment; return it for further checks. */
export function throwsData(fn: () => unknown, ...fragments: string[]): DataError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof DataError, `expected a DataError, got ${String(caught)}`);
  for (const f of fragments)
    assert.ok(
      caught.message.includes(f),
      `message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(f)}`,
    );
  return caught;
}
