/**
 * The settings of the continual-learning protocols of issue 4, for bench/continual-experiments.ts: each
 * protocol's optimiser (and the strategies that train with their own), the hyper-parameters chosen with
 * `--tune` and the validation scores they were chosen on (TUNING_LOG), the extra rows (other memory
 * budgets, DER's protocol) and the grids `--tune` searches. Data only: the runner is in that file.
 */
export type Protocol = "split-task" | "split-domain" | "split-class" | "permuted";
export const PROTOCOLS: readonly Protocol[] = ["split-task", "split-domain", "split-class", "permuted"];

/**
 * The optimiser of each protocol (a fresh state per task). Issue 4 fixes Adam 1e-3, batch 64 for the split
 * streams; for permuted digits it names none, so it was chosen on the validation split like the strategies'
 * hyper-parameters (TUNING_LOG), and a strategy may have its own (STRATEGY_OPTIMIZERS).
 * `--optimizer JSON` overrides both, for every strategy of a run.
 */
export const OPTIMIZERS: Record<Protocol, Record<string, unknown>> = {
  "split-task": { type: "adam", lr: 0.001 },
  "split-domain": { type: "adam", lr: 0.001 },
  "split-class": { type: "adam", lr: 0.001 },
  permuted: { type: "sgd", lr: 0.01, momentum: 0.9 },
};

/**
 * Strategies of a protocol that train with another optimiser than the protocol's, chosen on the validation
 * split together with their hyper-parameters (TUNING_LOG). Only where the protocol leaves the optimiser open
 * (permuted digits); joint, the reference of intransigence, keeps the protocol's. EWC and SI forget far less
 * with a larger step (EWC λ 10: 76.7% / 16.8 points at lr 0.01, 86.6 / 6.3 at 0.05), while naive forgets more.
 */
export const STRATEGY_OPTIMIZERS: Partial<Record<Protocol, Record<string, Record<string, unknown>>>> = {
  permuted: {
    ewc: { type: "sgd", lr: 0.05, momentum: 0.9 },
    si: { type: "sgd", lr: 0.05, momentum: 0.9 },
  },
};

/**
 * Hyper-parameters per protocol beyond the specs' defaults: the best of `--tune` on a validation split
 * (the last 15% of the training digits, never the test digits), seed 1, the full protocol (5 or 10 tasks).
 * The scores of every grid point are in TUNING_LOG below, so the choice can be checked.
 */
export const TUNED: Record<Protocol, Record<string, Record<string, number>>> = {
  "split-task": {
    ewc: { lambda: 10000 },
    onlineEwc: { lambda: 10000 },
    si: { c: 10 },
    mas: { lambda: 0.1 },
    lwf: { lambda: 0.3 },
    replay: { replayBatch: 32 },
  },
  "split-domain": {
    ewc: { lambda: 10000 },
    onlineEwc: { lambda: 10000 },
    si: { c: 10 },
    mas: { lambda: 1 },
    lwf: { lambda: 1 },
    replay: { replayBatch: 64 },
  },
  "split-class": {
    ewc: { lambda: 1000 },
    onlineEwc: { lambda: 10000 },
    si: { c: 10 },
    mas: { lambda: 0.1 },
    lwf: { lambda: 0.3 },
    replay: { replayBatch: 128 },
    derpp: { replayBatch: 128, alpha: 1, beta: 1 },
    erAce: { replayBatch: 128 },
  },
  permuted: {
    ewc: { lambda: 30 },
    onlineEwc: { lambda: 10 },
    si: { c: 3 },
    mas: { lambda: 0.01 },
    replay: { replayBatch: 128 },
  },
};

/**
 * Validation ACC (%) of each grid point run, seed 1 (`--tune`; permuted points run one by one with the same settings).
 * split-task:   ewc λ 10/100/1000/10000: 97.9/97.9/98.0/99.2; onlineEwc same λ: 97.9/97.7/98.0/99.0; si c 0.1/1/10: 97.9/98.3/98.8;
 *               mas λ 0.1/1/10: 98.7/98.3/98.1; lwf λ 0.3/1/3/10: 99.3/99.3/99.3/99.2; replay replayBatch 32/64/128: 98.9/98.7/98.8.
 * split-domain: ewc 60.2/60.3/65.1/69.1; onlineEwc 59.6/60.3/62.9/68.2; si 59.2/60.4/66.2; mas 70.1/72.9/72.0;
 *               lwf 65.3/74.4/67.6/62.9; replay 92.7/93.3/92.6.
 * split-class:  ewc 19.5/19.5/19.6/19.5; onlineEwc 19.6/19.5/19.6/19.7; si 19.6/19.7/20.6; mas 21.8/18.9/19.1;
 *               lwf 19.7/19.6/19.7/19.6; replay 85.6/87.1/87.6 (the regularisers' grid is flat at chance: see the README).
 *               derpp (replayBatch 128 as replay) α 0.2/0.5/1 at β 0.5: 88.4/88.8/89.1, β 1/2 at α 1: 90.5/90.3, α 2 at β 1: 89.1;
 *               erAce replayBatch 32/64/128: 87.5/88.6/89.2. Rows offered in a task's first epoch only, as replay (test
 *               digits, seed 1): derpp α 1 β 0.5 83.9 against 88.5 offered every step (erAce 88.7/88.8): every step, as the authors.
 * permuted, the optimiser (ACC %, forgetting in points where measured; one point at a time, `--grid`):
 *   Adam 1e-3:  naive 56.3; ewc λ 10/30/100/1000/10000: 73.1/75.9/72.7/58.0/47.9; onlineEwc λ 10/30/100: 83.8/84.9/80.7;
 *               si c 0.1/1/3/10: 69.5/81.1/84.2/79.6; mas λ 0.01/0.1/1: 83.9/76.5/57.3; lwf λ 1: 41.5 (not searched further);
 *               replay bufferSize 500/1000/2000 (budgets, not tuned): 78.1/83.7/87.2; replayBatch 128 at 500 rows: 79.4,
 *               replayBatch 128/256 at 2,000 rows: 87.4/86.6.
 *   Adam 3e-4:  naive 66.2; onlineEwc λ 30/100/300: 76.3/72.5/64.8; si c 3: 74.4 (rest of the grid not run).
 *   SGD 0.05:   naive 73.7; onlineEwc λ 3/10/30/100/1000/10000: 82.0 (9.6)/79.4 (10.2)/diverged at 11.5 from λ 30 on;
 *               si c 0.3/1/3/10: 81.9/79.5/diverged/diverged (a step lr·λ·F > 2 on the stiffest weights).
 *   SGD 0.01, momentum 0.9 (chosen): naive 53.7 (44.1); ewc λ 10/30: 76.7 (16.8)/75.9 (15.0);
 *               onlineEwc λ 10/30: 86.7 (5.9)/82.9 (7.8); si c 0.3/1/3/10: 76.6 (18.5)/84.9 (8.5)/85.0 (7.2)/81.4 (8.6);
 *               ewc λ 3: 79.7 (14.4); onlineEwc λ 3/5: 82.1 (12.0)/85.1 (8.3);
 *               si c 5: 83.9 (7.8); si c 3 with ξ 0.01/1: 78.3 (6.5)/77.8 (17.3); si c 1 with ξ 0.01: 81.6 (8.7);
 *               mas λ 0.01/0.1: 85.2 (6.2)/76.0 (7.3); replay 500 rows, replayBatch 64/128: 85.1 (8.2)/85.3;
 *               replay 2,000 rows, replayBatch 64: 88.8 (4.3) (the only point run at that budget); lwf, agem: defaults, not searched.
 *   SGD 0.005, momentum 0.9 (run after the choice, on the code of the fused optimiser step): onlineEwc λ 10/30:
 *               83.3 (8.3)/80.6 (8.7); si c 3/10: 82.7 (9.5)/82.0 (8.3). Worse than 0.01 on both.
 *   SGD 0.01, momentum 0.9, same later code: onlineEwc λ 7: 85.9 (7.2); λ 10 with fisherSamples 2000: 86.3 (6.3).
 *               With the expected Fisher (expectedFisher 1): onlineEwc λ 3/10/30: 85.5 (7.7)/85.0 (6.6)/81.1 (7.1);
 *               ewc λ 3/10: 78.7 (15.3)/75.0 (17.6). No better than the empirical Fisher, so the default stays empirical.
 *   It was the best or equal optimiser for every regulariser and replay measured up to here, and naive still
 *   forgets; the search per strategy below found larger steps better for EWC and SI (STRATEGY_OPTIMIZERS).
 *   Per strategy (ACC (forgetting), momentum 0.9 unless said, seed 1 unless said; run by a diagnostic script
 *   with the config `--tune --grid` builds, which gives the same numbers on the point checked, EWC λ 30 at 0.05):
 *   EWC: SGD 0.01 λ 30 rerun on this code: 75.5 (15.6); SGD 0.003 λ 10: 71.4 (20.6); SGD 0.02 λ 10: 80.2 (13.6);
 *               SGD 0.03 λ 3/10/30: 83.3 (11.1)/83.0 (10.4)/83.9 (8.4);
 *               SGD 0.05 λ 3/10/30/100: 83.9 (10.7)/86.6 (6.3)/86.8 (5.0)/diverged (NaN in task 9, lr·λ·F_max 3.94 > 2(1+β));
 *               SGD 0.1 λ 10/30: 86.7 (5.6)/87.8 (4.0); plain SGD 0.05 λ 3: 75.5 (16.6); Adam 3e-4 λ 30: 66.4 (24.2).
 *               Seed 2: SGD 0.05 λ 30: 88.9 (3.1); SGD 0.1 λ 10/30: 83.7 (8.2)/85.6 (6.1).
 *   SI:  SGD 0.01 c 10 rerun on this code: 81.7 (8.3); SGD 0.003 c 10: 80.9 (9.7); SGD 0.02 c 3: 85.8 (5.7);
 *               SGD 0.03 c 1/3/5: 86.7 (6.0)/85.8 (4.7)/85.3 (4.1); SGD 0.05 c 1/3/5: 87.0 (5.1)/86.8 (2.7)/84.1 (3.7);
 *               SGD 0.1 c 3: diverged (NaN in task 6, lr·2c·Ω_max 4.74); Adam 1e-3 c 5: 83.1 (7.1).
 *               Seed 2: SGD 0.05 c 1/3: 86.3 (5.2)/86.7 (2.4).
 *   naive, SGD 0.05: 38.7 (61.0): the larger step helps the penalties, not plain training.
 *   Chosen: EWC λ 30 and SI c 3, both with SGD 0.05, momentum 0.9: the best mean validation ACC over seeds 1
 *   and 2 of the seed-1 leaders (EWC λ 30 at 0.05/0.1: 87.9/86.7; SI c 3/1 at 0.05: 86.8/86.7, forgetting
 *   2.6/5.2), and well inside the heavy-ball limit lr·curvature < 2(1+β) = 3.8 (max 0.88 and 2.11 at task 9).
 * Several best points sit at the edge of their grid (EWC and SI on the split streams): a wider grid may do better.
 */

/**
 * A row's own settings where it follows a paper's protocol. DER's (Buzzega et al. 2020, Split MNIST, the
 * authors' best_args at 500 rows): plain SGD, batch 10, 10 replayed rows per term, one pass; lr 0.1 for ER,
 * 0.03 with α 1, β 0.5 for DER++. Their code trains the cross-entropy over all ten units: here, the task-free
 * head (with boundaries, seed 1: replay 85.7%, DER++ 86.1%, ER-ACE 86.7%; task-free: 86.5/88.5/85.4). Their
 * tasks hold ~12,000 rows (1,200 steps), ours 1,600 (160; 5 epochs with boundaries: replay 84.5, DER++ 86.6).
 */
export interface RowSettings {
  batchSize: number;
  epochs: number;
  optimizer: Record<string, unknown>;
  taskFree: boolean;
}
export interface Row {
  label: string;
  type: string;
  options: Record<string, number>;
  settings?: RowSettings;
}
const derProtocol = (lr: number, epochs = 1): RowSettings => ({
  batchSize: 10,
  epochs,
  optimizer: { type: "sgd", lr },
  taskFree: true,
});

/**
 * The rows in DER's protocol: type, options, lr, passes over each task. Seven passes over a task's 1,600
 * rows make about the 1,200 steps per task of the paper's MNIST.
 */
const DER_ROWS: [string, Record<string, number>, number, number][] = [
  ["replay", {}, 0.1, 1],
  ["derpp", { alpha: 1, beta: 0.5 }, 0.03, 1],
  ["erAce", {}, 0.1, 1],
  ["replay", {}, 0.1, 7],
  ["derpp", { alpha: 1, beta: 0.5 }, 0.03, 7],
];

/** Extra rows: the same strategy at another memory budget (budgets are given by the protocol, not tuned), or in a paper's protocol. */
export const EXTRA_ROWS: Record<Protocol, Row[]> = {
  "split-task": [],
  "split-domain": [],
  "split-class": DER_ROWS.map(([type, options, lr, passes]) => ({
    label: `${type} (DER's protocol${passes > 1 ? `, ${passes} passes` : ""})`,
    type,
    options: { replayBatch: 10, ...options },
    settings: derProtocol(lr, passes),
  })),
  permuted: [{ label: "replay (2,000 rows)", type: "replay", options: { bufferSize: 2000 } }],
};

/** The grids `--tune` searches, per strategy (one hyper-parameter each). */
export const GRIDS: Record<string, [string, number[]]> = {
  ewc: ["lambda", [10, 30, 100, 1000, 10000]],
  onlineEwc: ["lambda", [10, 30, 100, 1000, 10000]],
  si: ["c", [0.1, 1, 3, 10]],
  mas: ["lambda", [0.01, 0.1, 1, 10]],
  lwf: ["lambda", [0.3, 1, 3, 10]],
  replay: ["replayBatch", [32, 64, 128]],
  derpp: ["alpha", [0.2, 0.5, 1]],
  erAce: ["replayBatch", [32, 64, 128]],
};
