import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { registries } from "../src/cli/plugins.js";
import { strategies } from "../src/continual/strategies/index.js";
import { LEARNER_OPTIONS, parseLearnerConfig } from "../src/learner/config.js";

const BIN = fileURLToPath(new URL("../src/cli/bin.js", import.meta.url));
const MAIN = new URL("../src/cli/main.js", import.meta.url).href;
const ROOT = new URL("../../", import.meta.url);

/**
 * What each command's parser accepts, written out by hand from commands.ts (and bench.ts): the reference the
 * help pages are held to. A flag added to a parser needs a line in its help page and here.
 */
const COMMON = ["--json", "--quiet", "--seed", "--backend", "--threads", "-h", "--help"];
const FLAGS: Record<string, string[]> = {
  demo: [...COMMON, "--epochs", "--out"],
  train: [...COMMON, "-c", "--config", "--out", "--resume"],
  eval: [...COMMON, "-m", "--model", "--data", "--target", "--images", "--labels", "-c", "--config"],
  predict: [...COMMON, "-m", "--model", "-i", "--input"],
  continual: [...COMMON, "-c", "--config", "--resume"],
  live: [
    ...COMMON,
    "-c",
    "--config",
    "-i",
    "--input",
    "-p",
    "--predictions",
    "--resume",
    "--checkpoint",
    "--serve",
    "--port",
    "--host",
    "--dir",
    "--token",
  ],
  replay: [...COMMON, "-d", "--dir", "--from", "--to", "--trace", "-o", "--out"],
  report: [...COMMON, "-o", "--out"],
  export: [...COMMON, "-m", "--model", "-f", "--format", "-o", "--out"],
  import: [...COMMON, "--in", "-f", "--format", "-o", "--out", "--arch", "--optimizer"],
  bench: ["--quick", "--only", "--out", "-h", "--help"],
};
const COMMANDS = Object.keys(FLAGS);

/** The real command, in its own process (exit code as the shell sees it). */
function run(args: string[]): Outcome {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The flags a help page documents: the flag column of its "Flags:" and "Common flags:" lines. */
function documentedFlags(page: string): Set<string> {
  const lines = page.split("\n");
  const start = lines.indexOf("Flags:");
  assert.ok(start >= 0, "the page has a Flags: section");
  const flags = new Set<string>();
  for (const line of lines.slice(start + 1)) {
    if (line === "") break;
    const m = /^\s+((?:-[a-zA-Z], )?--[a-z][a-zA-Z-]*)/.exec(line);
    if (m) for (const f of m[1].split(", ")) flags.add(f);
  }
  return flags;
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run main() in one child process on each argument list, capturing what each call returns and writes,
 * so that dozens of command lines cost one Node start-up instead of one each.
 */
function mainOn(cases: string[][]): Outcome[] {
  const script = `
    const { main } = await import(process.argv[1]);
    const results = [];
    const [stdout, stderr] = [process.stdout.write, process.stderr.write];
    for (const args of JSON.parse(process.argv[2])) {
      const r = { code: -1, stdout: "", stderr: "" };
      process.stdout.write = (s) => { r.stdout += s; return true; };
      process.stderr.write = (s) => { r.stderr += s; return true; };
      try { r.code = await main(args); } finally { process.stdout.write = stdout; process.stderr.write = stderr; }
      results.push(r);
    }
    process.stdout.write(JSON.stringify(results));`;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", script, MAIN, JSON.stringify(cases)], {
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Outcome[];
}

/**
 * A command line that stops with a usage error right after parsing whatever `flag` is (given without a
 * value, so a flag that takes one fails to parse), so that probing a command never starts real work.
 */
function probe(command: string, flag: string): string[] {
  if (command === "demo") return ["demo", "no-such-demo", flag];
  if (command === "bench") return ["bench", "--only", "nothing", flag];
  return [command, flag];
}

const helpRuns = mainOn(
  COMMANDS.flatMap((c) => [
    [c, "--help"],
    [c, "-h"],
    ["help", c],
  ]),
);
const pages = new Map(COMMANDS.map((c, i) => [c, helpRuns[3 * i]]));

test("every command's --help exits 0 with its own page; so do -h and help COMMAND", () => {
  COMMANDS.forEach((command, i) => {
    const r = pages.get(command)!;
    assert.equal(r.code, 0, `${command} --help: ${r.stderr}`);
    assert.equal(r.stderr, "", `${command} --help writes nothing to standard error`);
    assert.match(
      r.stdout,
      new RegExp(`^usage: homeostat ${command}\\b`),
      `${command}'s page starts with its usage`,
    );
    for (const part of ["Flags:", "Exit codes:", "Examples:"])
      assert.ok(r.stdout.includes(part), `${command}'s page has ${part}`);
    assert.deepEqual(helpRuns[3 * i + 1], r, `${command} -h`);
    assert.deepEqual(helpRuns[3 * i + 2], r, `help ${command}`);
  });
  // The real process too: exit status 0 as the shell sees it.
  const real = run(["train", "--help"]);
  assert.equal(real.code, 0, real.stderr);
  assert.equal(real.stdout, pages.get("train")!.stdout);
  for (const a of COMMANDS) {
    for (const b of COMMANDS)
      if (a < b)
        assert.notEqual(pages.get(a)!.stdout, pages.get(b)!.stdout, `${a} and ${b} have the same page`);
  }
});

test("every page documents --json output (bench: its JSON file) and shows examples of its own command", () => {
  for (const [command, r] of pages) {
    assert.match(r.stdout, command === "bench" ? /^JSON file \(--out\):$/m : /^--json output:$/m, command);
    const examples = r.stdout.split("Examples:\n")[1].split("\n\n")[0].split("\n");
    assert.ok(
      examples.length >= 1 && examples.every((e) => e.includes(`homeostat ${command}`)),
      `${command}: ${examples.join(" | ")}`,
    );
  }
});

test("each page lists exactly the flags its command's parser accepts", () => {
  for (const [command, r] of pages) {
    assert.deepEqual([...documentedFlags(r.stdout)].sort(), [...FLAGS[command]].sort(), `${command} --help`);
  }
});

test("the parsers accept exactly the flags the pages document, checked against every flag of every command", () => {
  const all = [
    ...new Set([
      ...Object.values(FLAGS).flat(),
      ...[...pages.values()].flatMap((r) => [...documentedFlags(r.stdout)]),
    ]),
  ].filter((f) => f !== "-h" && f !== "--help"); // help is answered before any parser runs
  const cases = COMMANDS.flatMap((c) => [...all, "--no-such-flag"].map((f) => ({ c, f })));
  const errors = mainOn(cases.map(({ c, f }) => probe(c, f))).map((r) => r.stderr);
  cases.forEach(({ c, f }, i) => {
    // Every probe ends in an error; only a flag the parser does not know says "Unknown option".
    assert.notEqual(errors[i], "", `${c} ${f}: expected an error, got none`);
    const accepted = !/Unknown option/.test(errors[i]);
    assert.equal(
      accepted,
      documentedFlags(pages.get(c)!.stdout).has(f),
      `${c} ${f}: parser ${accepted ? "accepts" : "refuses"} it; ${errors[i].split("\n")[0]}`,
    );
  });
});

test("--help wins over other flags, and a -- ends the flags", () => {
  const [r, after] = mainOn([
    ["predict", "--no-such-flag", "--help"],
    ["predict", "--", "--help"],
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, pages.get("predict")!.stdout);
  assert.equal(after.code, 2);
  assert.equal(after.stdout, "");
});

test("homeostat --version, -V and version print package.json's version", () => {
  const pkg = JSON.parse(readFileSync(new URL("package.json", ROOT), "utf8")) as { version: string };
  assert.match(pkg.version, /^\d+\.\d+\.\d+/);
  for (const args of [["--version"], ["-V"], ["version"]]) {
    const r = run(args);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `homeostat ${pkg.version}\n`, args.join(" "));
  }
});

test("the overview and its pointers: --help, help, help COMMAND, unknown commands", () => {
  const [overview, help, none, unknown, bad] = mainOn([
    ["--help"],
    ["help"],
    [],
    ["help", "fit"],
    ["train", "--no-such-flag"],
  ]);
  assert.equal(overview.code, 0);
  for (const command of COMMANDS)
    assert.match(overview.stdout, new RegExp(`^  homeostat ${command}\\b`, "m"), command);
  assert.match(overview.stdout, /homeostat --version/);
  assert.deepEqual(help, overview);
  assert.equal(none.code, 2);
  assert.equal(none.stdout, overview.stdout);
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.stderr,
    /no help for "fit": there is no such command; the commands are demo, train, eval/,
  );
  // A usage error points at the page of the command it was made in.
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /Run "homeostat train --help" for usage/);
});

test("the continual page lists every strategy with its hyper-parameters' defaults, from the registry", () => {
  const page = pages.get("continual")!.stdout;
  for (const spec of strategies.kinds()) {
    const line = new RegExp(`^  ${spec.name}\\s+(.*(?:\\n {10,}.*)*)`, "m").exec(page);
    assert.ok(line, `${spec.name} is listed`);
    const text = line[1].replace(/\s+/g, " ");
    for (const [name, h] of Object.entries(spec.options))
      assert.ok(text.includes(`${name} ${h.default} (`), `${spec.name}.${name} = ${h.default}: ${text}`);
  }
});

test("docs/cli.md covers every command, its flags and every strategy hyper-parameter", () => {
  const doc = readFileSync(new URL("docs/cli.md", ROOT), "utf8");
  for (const [command, flags] of Object.entries(FLAGS)) {
    const section = doc.split(new RegExp(`^## \`homeostat ${command}\``, "m"))[1]?.split(/^## /m)[0];
    assert.ok(section, `docs/cli.md has a section for ${command}`);
    for (const f of flags)
      assert.ok(section.includes(`\`${f}`) || section.includes(` ${f}`), `docs/cli.md, ${command}: ${f}`);
    assert.match(section, /--json|JSON/, `${command}: its JSON output`);
  }
  for (const spec of strategies.kinds()) {
    for (const name of Object.keys(spec.options))
      assert.ok(doc.includes(`\`${name}\``), `docs/cli.md: ${spec.name}.${name}`);
  }
});

test("the train page and docs/cli.md list every built-in kind of every registry, with its options", () => {
  const page = pages.get("train")!.stdout;
  const doc = readFileSync(new URL("docs/cli.md", ROOT), "utf8");
  const runConfig = doc.split(/^## The run config of `train`/m)[1].split(/^## /m)[0];
  // The kinds of a train config's model, loss and optimiser (regulators, strategies and detectors are
  // listed in docs/kinds.md, checked below).
  const TRAIN = ["layers", "activations", "initializers", "losses", "optimizers", "schedules"];
  for (const [name, registry] of Object.entries(registries()).filter(([n]) => TRAIN.includes(n))) {
    for (const kind of registry.kinds()) {
      const entry = new RegExp(`^  ${kind.name} +(.*)$`, "m").exec(page);
      assert.ok(entry, `${name}: ${kind.name} is on the train page`);
      assert.ok(
        new RegExp(`[\`"]${kind.name}[\`"]`).test(runConfig),
        `docs/cli.md's run config: ${name} ${kind.name}`,
      );
      for (const option of Object.keys(kind.options)) {
        assert.ok(runConfig.includes(`\`${option}\``), `docs/cli.md: ${kind.name}.${option}`);
        const after = page.slice(entry.index).split(/^ {2}\S/m)[1] ?? "";
        assert.match(after, new RegExp(`^    ${option} `, "m"), `train --help: ${kind.name}.${option}`);
      }
    }
  }
});

test("the live page and docs/cli.md list every key the learner's config takes, with its default", () => {
  // The parser's own list of the keys it takes (its answer to an unknown key), so a key added to the
  // learner's schema, or checked by hand beside it, fails here until the help and the docs name it.
  const refusal = (() => {
    try {
      parseLearnerConfig({ task: "classification", "no such key": 1 });
    } catch (err) {
      return (err as Error).message;
    }
    return "";
  })();
  const keys = /expected one of (.*)$/.exec(refusal)?.[1].split(", ") ?? [];
  assert.ok(keys.includes("normalizeClip") && keys.includes("hidden"), `the learner's keys: ${refusal}`);
  const page = pages.get("live")!.stdout;
  const section = page.split("Live config:\n")[1].split("The command's keys")[0].replace(/\s+/g, " ");
  const doc = readFileSync(new URL("docs/cli.md", ROOT), "utf8");
  const liveConfig = doc.split('<a id="the-live-config">')[1].split("\n\n")[0];
  for (const key of keys) {
    assert.match(section, new RegExp(`[ (]${key}\\b`), `live --help: the learner's ${key}`);
    assert.ok(liveConfig.includes(`\`${key}\``), `docs/cli.md, the live config: ${key}`);
  }
  for (const [key, spec] of Object.entries(LEARNER_OPTIONS)) {
    if (!("default" in spec)) continue;
    const shown = new RegExp(`\\b${key} [^,[]*\\[${String(spec.default)}\\]`);
    assert.match(section, shown, `live --help: ${key}'s default ${spec.default}`);
  }
});
