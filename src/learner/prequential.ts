/**
 * Prequential evaluation (Dawid 1984; as River's `progressive_val_score`): every labelled row is first
 * predicted, then learnt, so the running score of those predictions measures the learner on rows it had
 * not yet seen. Kept over the whole run, over a sliding window of recent rows, and per label.
 */

export interface PrequentialState {
  window: number;
  rows: number;
  correct: number;
  loss: number;
  /** Ring buffers of the window's 0/1 hits and losses, and the next position. */
  recentHit: number[];
  recentLoss: number[];
  at: number;
  perLabelRows: number[];
  perLabelCorrect: number[];
}

export interface PrequentialScore {
  rows: number;
  /** Fraction of rows predicted right (classification; null for regression). */
  accuracy: number | null;
  /** Mean loss: cross-entropy of the true label, or the squared error in the target's units. */
  loss: number | null;
}

/**
 * Running prequential scores.
 *
 * @example
 * const score = new Prequential(1000);
 * score.add(true, 0.1, 2);
 * score.whole(); // { rows: 1, accuracy: 1, loss: 0.1 }
 */
export class Prequential {
  private s: PrequentialState;

  constructor(window: number, state?: PrequentialState) {
    this.s = state
      ? structuredClone(state)
      : {
          window,
          rows: 0,
          correct: 0,
          loss: 0,
          recentHit: [],
          recentLoss: [],
          at: 0,
          perLabelRows: [],
          perLabelCorrect: [],
        };
  }

  /** One prediction's outcome: right or not (classification), its loss, the true label's unit (or -1). */
  add(hit: boolean, loss: number, label: number): void {
    const s = this.s;
    s.rows++;
    s.correct += hit ? 1 : 0;
    s.loss += loss;
    if (s.recentHit.length < s.window) {
      s.recentHit.push(hit ? 1 : 0);
      s.recentLoss.push(loss);
    } else {
      s.recentHit[s.at] = hit ? 1 : 0;
      s.recentLoss[s.at] = loss;
      s.at = (s.at + 1) % s.window;
    }
    if (label >= 0) {
      while (s.perLabelRows.length <= label) {
        s.perLabelRows.push(0);
        s.perLabelCorrect.push(0);
      }
      s.perLabelRows[label]++;
      s.perLabelCorrect[label] += hit ? 1 : 0;
    }
  }

  whole(classification: boolean): PrequentialScore {
    const { rows, correct, loss } = this.s;
    return score(rows, correct, loss, classification);
  }

  /** The scores over the latest `window` rows (summed afresh, so no rounding drifts in over a long run). */
  recent(classification: boolean): PrequentialScore {
    const { recentHit, recentLoss } = this.s;
    let hits = 0;
    let loss = 0;
    for (let i = 0; i < recentHit.length; i++) {
      hits += recentHit[i];
      loss += recentLoss[i];
    }
    return score(recentHit.length, hits, loss, classification);
  }

  /** Accuracy per label unit (null for a label with no labelled row yet). */
  perLabel(): (number | null)[] {
    const { perLabelRows, perLabelCorrect } = this.s;
    return perLabelRows.map((n, i) => (n > 0 ? perLabelCorrect[i] / n : null));
  }

  /** Labelled rows scored so far. */
  get rows(): number {
    return this.s.rows;
  }

  getState(): PrequentialState {
    return structuredClone(this.s);
  }
}

function score(rows: number, correct: number, loss: number, classification: boolean): PrequentialScore {
  return {
    rows,
    accuracy: classification && rows > 0 ? correct / rows : null,
    loss: rows > 0 ? loss / rows : null,
  };
}
