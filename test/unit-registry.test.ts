// The registry type every named kind uses: registration, lookup, option checking and help text.
import assert from "node:assert/strict";
import { test } from "node:test";
import { defineKind, Registry } from "../src/config/registry.js";
import { ConfigError } from "../src/tensor/errors.js";

const box = defineKind({
  name: "box",
  doc: "A box of a given side.",
  options: {
    side: { kind: "number", min: 0, minExclusive: true, doc: "Length of a side." },
    open: { kind: "boolean", default: false },
  },
  create: (o, scale: number) => ({ volume: (o.side * scale) ** 3, open: o.open }),
});
const ball = defineKind({
  name: "ball",
  doc: "A unit ball.",
  options: { colour: { kind: "choice", values: ["red", "blue"], default: "red" } },
  create: (o, _scale: number) => ({ volume: (4 / 3) * Math.PI, open: o.colour === "blue" }),
});
const shapes = () => new Registry<{ volume: number; open: boolean }, number>("shape", "shape", [box, ball]);

test("a registry builds a kind from {type, ...options} with its defaults and a context", () => {
  assert.deepEqual(shapes().build({ type: "box", side: 2 }, 10), { volume: 8000, open: false });
  assert.deepEqual(shapes().parse({ type: "box", side: 2, open: true }), {
    type: "box",
    options: { side: 2, open: true },
  });
  // A bare name stands for a kind with no required option.
  assert.deepEqual(shapes().parse("ball"), { type: "ball", options: { colour: "red" } });
  assert.deepEqual(shapes().names(), ["box", "ball"]);
});

test("unknown kinds, unknown keys and bad values name the field and what was expected", () => {
  const r = shapes();
  assert.throws(
    () => r.parse({ type: "cone" }, "layers[2]"),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message === 'layers[2].type: unknown shape string "cone"; expected one of box, ball',
  );
  assert.throws(
    () => r.parse({ side: 1 }),
    /^ConfigError: shape\.type: required; expected one of box, ball$/,
  );
  assert.throws(
    () => r.parse({ type: "box", side: 1, lid: 2 }),
    /shape\.lid: unknown key; expected one of type, side, open/,
  );
  assert.throws(() => r.parse({ type: "box", side: 0 }), /shape\.side: must be > 0, got 0/);
  assert.throws(() => r.parse({ type: "box" }), /shape\.side: required; expected a finite number/);
  assert.throws(() => r.parse("box"), /shape\.side: required/);
  assert.throws(
    () => r.parse({ type: "ball", colour: "green" }),
    /shape\.colour: expected one of "red", "blue", got string "green"/,
  );
  // Keys another part handles pass through without being returned.
  assert.deepEqual(r.parse({ type: "ball", name: "x" }, "shape", ["name"]).options, { colour: "red" });
});

test("a user's kind is registered once, replaces a built-in only when asked, and can be removed", () => {
  const r = shapes();
  const cube = defineKind({
    name: "cube",
    doc: "A cube.",
    options: {},
    create: (_o, _scale: number) => ({ volume: 1, open: false }),
  });
  r.register(cube);
  assert.equal(r.build({ type: "cube" }, 1).volume, 1);
  assert.throws(() => r.register(cube), /shape "cube" is already registered; pass \{ replace: true \}/);
  r.register({ ...cube, create: () => ({ volume: 2, open: false }) }, { replace: true });
  assert.equal(r.build("cube", 1).volume, 2);
  assert.equal(r.unregister("cube"), true);
  assert.equal(r.has("cube"), false);
  assert.throws(() => r.register({ ...cube, name: "2d" }), /must start with a letter/);
});

test("describe lists every kind with its options, ranges, defaults and docs", () => {
  const text = shapes().describe();
  assert.match(text, /^ {2}box — A box of a given side\.$/m);
  assert.match(text, /^ {4}side +number > 0, required — Length of a side\.$/m);
  assert.match(text, /^ {4}open +boolean, default false$/m);
  assert.match(text, /^ {4}colour +one of "red", "blue", default "red"$/m);
});
