/**
 * The learner's replay memory against the class-balancing rule of Chrysakis & Moens (2020) written out
 * plainly here: the same random draws, the victim found by scanning the slots in order. The memory keeps
 * each label's slots in lists instead of scanning; every slot, label and row must still be the same.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ReplayMemory } from "../src/learner/memory.js";
import { Rng } from "../src/tensor/rng.js";

/** The rule as the paper states it, one scan per replacement. */
class PlainBalancedReservoir {
  readonly labels: number[] = [];
  readonly rows: number[][] = [];
  private readonly seen: number[] = [];
  private readonly held: number[] = [];
  private readonly rng = new Rng(0);

  constructor(
    private readonly capacity: number,
    rng: Rng,
  ) {
    this.rng.setState(rng.getState());
  }

  offer(row: number[], label: number): void {
    while (this.seen.length <= label) {
      this.seen.push(0);
      this.held.push(0);
    }
    this.seen[label]++;
    let slot: number;
    if (this.labels.length < this.capacity) slot = this.labels.length;
    else {
      const largest = Math.max(...this.held);
      if (this.held[label] < largest) slot = this.kthSlotOf(this.held.indexOf(largest));
      else if (this.rng.next() * this.seen[label] < this.held[label]) slot = this.kthSlotOf(label);
      else return;
      this.held[this.labels[slot]]--;
    }
    this.held[label]++;
    this.labels[slot] = label;
    this.rows[slot] = row;
  }

  private kthSlotOf(label: number): number {
    let k = this.rng.int(this.held[label]);
    for (let i = 0; i < this.labels.length; i++) if (this.labels[i] === label && k-- === 0) return i;
    throw new Error("unreachable");
  }
}

/** Labels that arrive over time and at very different rates: 0 often, 1–4 from row 300 on, 5 rarely. */
function labelAt(i: number): number {
  if (i % 97 === 0) return 5;
  if (i < 300) return 0;
  return i % 3 === 0 ? 0 : 1 + (i % 4);
}

const rowAt = (i: number): number[] => [i, i * 0.5, -i];

function assertSame(memory: ReplayMemory, plain: PlainBalancedReservoir, at: number): void {
  assert.equal(memory.size, plain.labels.length, `size after row ${at}`);
  for (let slot = 0; slot < memory.size; slot++) {
    assert.equal(memory.label(slot), plain.labels[slot], `label of slot ${slot} after row ${at}`);
    assert.deepEqual(Array.from(memory.row(slot)), plain.rows[slot], `row of slot ${slot} after row ${at}`);
  }
}

test("the replay memory replaces the slots the plainly written balancing rule picks", () => {
  const memory = new ReplayMemory(120, 3, new Rng(7));
  const plain = new PlainBalancedReservoir(120, new Rng(7));
  for (let i = 0; i < 4000; i++) {
    memory.offer(rowAt(i), labelAt(i), 0);
    plain.offer(rowAt(i), labelAt(i));
    if (i % 50 === 0 || i > 3950) assertSame(memory, plain, i);
  }
  // Every label holds as many slots as it is counted for, and the rare label 5 kept rows.
  const counts = new Map<number, number>();
  for (let slot = 0; slot < memory.size; slot++)
    counts.set(memory.label(slot), (counts.get(memory.label(slot)) ?? 0) + 1);
  assert.deepEqual(
    memory.held,
    [0, 1, 2, 3, 4, 5].map((l) => counts.get(l) ?? 0),
  );
  assert.ok((counts.get(5) ?? 0) >= 20, `label 5 keeps its rows: ${counts.get(5)}`);
});

test("a replay memory restored mid-stream continues as the one saved", () => {
  const memory = new ReplayMemory(60, 3, new Rng(3));
  const plain = new PlainBalancedReservoir(60, new Rng(3));
  for (let i = 0; i < 1500; i++) {
    memory.offer(rowAt(i), labelAt(i), 0);
    plain.offer(rowAt(i), labelAt(i));
  }
  const again = ReplayMemory.fromState(memory.getState());
  for (let i = 1500; i < 3000; i++) {
    again.offer(rowAt(i), labelAt(i), 0);
    memory.offer(rowAt(i), labelAt(i), 0);
    plain.offer(rowAt(i), labelAt(i));
  }
  assertSame(again, plain, 2999);
  assertSame(memory, plain, 2999);
  assert.deepEqual(again.sample(5), memory.sample(5));
});
