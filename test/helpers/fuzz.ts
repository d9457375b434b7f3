import { HomeostatError } from "../../src/tensor/errors.js";
import { Rng } from "../../src/tensor/rng.js";

/**
 * A small mutation fuzzer: from valid seed inputs, make byte flips, truncations, insertions,
 * duplicated and deleted spans, boundary integers and pure garbage, and check that a parser either
 * succeeds or throws Homeostat's own typed error — never anything else, never slowly.
 */
export interface FuzzTarget {
  name: string;
  seeds: Uint8Array[];
  parse(bytes: Uint8Array): unknown;
  /** Applied to half of the mutants: fix what would reject nearly everything early (a checksum), so the deeper checks are reached. */
  repair?(bytes: Uint8Array): Uint8Array;
  /** A format-aware mutation used for a third of the inputs (for example, structural edits of a JSON document). */
  mutate?(seed: Uint8Array, rng: Rng): Uint8Array;
}

export interface FuzzReport {
  name: string;
  inputs: number;
  accepted: number;
  refused: number;
  /** Any other exception: each is a bug (message and the input's length). */
  crashes: { message: string; length: number }[];
  slowestMs: number;
}

const INTERESTING = [0, 1, 0x7f, 0x80, 0xff, 0x7fffffff, 0x80000000, 0xffffffff];

export function mutate(seed: Uint8Array, rng: Rng): Uint8Array {
  let b: Uint8Array = seed.slice();
  const rounds = 1 + rng.int(4);
  for (let r = 0; r < rounds; r++) {
    const kind = rng.int(8);
    const at = b.length > 0 ? rng.int(b.length) : 0;
    switch (kind) {
      case 0:
        if (b.length) b[at] ^= 1 << rng.int(8);
        break; // bit flip
      case 1:
        if (b.length) b[at] = rng.int(256);
        break; // random byte
      case 2:
        b = b.slice(0, rng.int(b.length + 1));
        break; // truncate
      case 3: {
        // insert random bytes
        const ins = Uint8Array.from({ length: 1 + rng.int(16) }, () => rng.int(256));
        b = concat(b.subarray(0, at), ins, b.subarray(at));
        break;
      }
      case 4: {
        // delete a span
        const len = rng.int(Math.max(1, b.length - at));
        b = concat(b.subarray(0, at), b.subarray(at + len));
        break;
      }
      case 5: {
        // duplicate a span
        const len = rng.int(Math.max(1, Math.min(64, b.length - at)));
        b = concat(b.subarray(0, at + len), b.subarray(at, at + len), b.subarray(at + len));
        break;
      }
      case 6: {
        // a boundary integer, little- or big-endian
        if (b.length >= 4) {
          const v = INTERESTING[rng.int(INTERESTING.length)];
          new DataView(b.buffer, b.byteOffset).setUint32(
            Math.min(at, b.length - 4),
            v >>> 0,
            rng.next() < 0.5,
          );
        }
        break;
      }
      default: {
        // an ASCII digit or delimiter (text formats)
        if (b.length) b[at] = '0123456789,.-e\n"{}[]:'.charCodeAt(rng.int(21));
      }
    }
  }
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Run `count` inputs (mutants of the seeds, and one in twenty pure garbage) through `target.parse`. */
export function fuzz(target: FuzzTarget, count: number, seed = 1): FuzzReport {
  const rng = new Rng(seed);
  const report: FuzzReport = {
    name: target.name,
    inputs: 0,
    accepted: 0,
    refused: 0,
    crashes: [],
    slowestMs: 0,
  };
  for (let i = 0; i < count; i++) {
    const seedInput = target.seeds[rng.int(target.seeds.length)];
    let input =
      rng.int(20) === 0
        ? Uint8Array.from({ length: rng.int(512) }, () => rng.int(256))
        : target.mutate && rng.int(3) === 0
          ? target.mutate(seedInput, rng)
          : mutate(seedInput, rng);
    if (target.repair && rng.next() < 0.5) input = target.repair(input);
    const t0 = performance.now();
    try {
      target.parse(input);
      report.accepted++;
    } catch (e) {
      if (e instanceof HomeostatError) report.refused++;
      else if (report.crashes.length < 20)
        report.crashes.push({
          message: String((e as Error)?.stack ?? e)
            .split("\n")
            .slice(0, 3)
            .join(" | "),
          length: input.length,
        });
      else report.crashes.push({ message: "(more)", length: input.length });
    }
    report.slowestMs = Math.max(report.slowestMs, performance.now() - t0);
    report.inputs++;
  }
  return report;
}
