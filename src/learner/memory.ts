/**
 * The learner's replay memory: a bounded, class-balanced reservoir of raw rows (normalised when they are
 * replayed, with the statistics of that moment). Labels are unit indices, so a head that grows later
 * still reads them; a regression memory keeps the raw target and one class, the plain reservoir.
 */
import { Rng } from "../tensor/rng.js";

/** Plain state: typed arrays and numbers, restored exactly. */
export interface MemoryState {
  capacity: number;
  inputs: number;
  size: number;
  x: Float32Array;
  /** Unit index of each stored row's label (0 for regression). */
  label: Int32Array;
  /** Raw regression target of each stored row (0 for classification). */
  target: Float64Array;
  /** Rows offered and rows held, per label. */
  seen: number[];
  held: number[];
  rng: ReturnType<Rng["getState"]>;
}

/**
 * Class-balancing reservoir sampling (Chrysakis & Moens 2020, "Online Continual Learning from
 * Imbalanced Data"): while the memory has room every row is kept; once it is full, a row of a label
 * that is not among the largest in memory replaces a random row of the largest label, and a row of a
 * largest label replaces a random row of its own label with probability held/seen (a reservoir within
 * the label). Rare labels keep their rows; each label's rows are a uniform sample of that label.
 *
 * @example
 * const memory = new ReplayMemory(1000, 784, new Rng(1));
 * memory.offer(row, 3, 0);
 * const slots = memory.sample(4); // 4 slot indices, uniform with replacement
 */
export class ReplayMemory {
  private s: MemoryState;
  private readonly rng = new Rng(0);
  /** Each label's slots in increasing order, built at the first replacement (not state: the labels say it). */
  private slots: number[][] | null = null;

  constructor(capacity: number, inputs: number, rng: Rng) {
    this.s = {
      capacity,
      inputs,
      size: 0,
      x: new Float32Array(capacity * inputs),
      label: new Int32Array(capacity),
      target: new Float64Array(capacity),
      seen: [],
      held: [],
      rng: rng.getState(),
    };
    this.rng.setState(rng.getState());
  }

  get size(): number {
    return this.s.size;
  }
  get capacity(): number {
    return this.s.capacity;
  }
  /** Rows held per label (unit order). */
  get held(): readonly number[] {
    return this.s.held;
  }
  /** Bytes of its rows, labels and targets (fixed by the capacity). */
  get bytes(): number {
    return this.s.x.byteLength + this.s.label.byteLength + this.s.target.byteLength;
  }

  /** The raw row in `slot`. */
  row(slot: number): Float32Array {
    const d = this.s.inputs;
    return this.s.x.subarray(slot * d, (slot + 1) * d);
  }
  label(slot: number): number {
    return this.s.label[slot];
  }
  target(slot: number): number {
    return this.s.target[slot];
  }

  /** Offer one row; it is kept or not as the class-balancing rule draws. */
  offer(row: ArrayLike<number>, label: number, target: number): void {
    const s = this.s;
    if (s.capacity === 0) return;
    while (s.seen.length <= label) {
      s.seen.push(0);
      s.held.push(0);
    }
    s.seen[label]++;
    let slot: number;
    if (s.size < s.capacity) {
      slot = s.size++;
      if (this.slots) this.moveSlot(slot, -1, label);
    } else {
      const largest = Math.max(...s.held);
      if (s.held[label] < largest) slot = this.randomSlotOf(s.held.indexOf(largest));
      else if (this.rng.next() * s.seen[label] < s.held[label]) slot = this.randomSlotOf(label);
      else return;
      s.held[s.label[slot]]--;
      this.moveSlot(slot, s.label[slot], label);
    }
    s.held[label]++;
    s.label[slot] = label;
    s.target[slot] = target;
    s.x.set(row, slot * s.inputs); // rounded to float32 as an element-by-element store would be
  }

  /** `n` slots drawn uniformly with replacement (none while the memory is empty). */
  sample(n: number): number[] {
    if (this.s.size === 0) return [];
    return Array.from({ length: n }, () => this.rng.int(this.s.size));
  }

  /** The k-th slot (k uniform) of `label`'s, in slot order. */
  private randomSlotOf(label: number): number {
    const k = this.rng.int(this.s.held[label]);
    const slot = this.labelSlots()[label]?.[k];
    if (slot === undefined) throw new Error(`ReplayMemory: label ${label} holds fewer rows than counted`);
    return slot;
  }

  private labelSlots(): number[][] {
    if (this.slots) return this.slots;
    const s = this.s;
    const slots: number[][] = s.held.map(() => []);
    for (let i = 0; i < s.size; i++) slots[s.label[i]].push(i);
    this.slots = slots;
    return slots;
  }

  /** `slot` leaves `from`'s list (none: -1) for `to`'s, each kept in slot order (the scan they replace went by it). */
  private moveSlot(slot: number, from: number, to: number): void {
    const slots = this.labelSlots();
    const out = slots[from];
    if (out) out.splice(sortedIndex(out, slot), 1);
    while (slots.length <= to) slots.push([]);
    const into = slots[to];
    into.splice(sortedIndex(into, slot), 0, slot);
  }

  getState(): MemoryState {
    return { ...structuredClone(this.s), rng: this.rng.getState() };
  }

  static fromState(state: MemoryState): ReplayMemory {
    const m = new ReplayMemory(0, state.inputs, new Rng(0));
    m.s = structuredClone(state);
    m.rng.setState(state.rng);
    return m;
  }
}

/** The first index of the increasing list `a` whose value is not below `v`. */
function sortedIndex(a: readonly number[], v: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
