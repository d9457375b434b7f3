import type { EpochEvent, Observer } from "../train/events.js";

/**
 * The one summary line of an epoch, on a terminal and in a log alike, so a piped run records what a
 * terminal shows (validation loss and learning rate included).
 *
 * @example
 * formatEpochLine({ epoch: 0, train: { loss: 0.5 }, lr: 0.001, steps: 10, seconds: 1.25 }, 5); // "epoch 1/5  loss 0.5000  lr 0.00100  1.3s"
 */
export function formatEpochLine(e: EpochEvent, totalEpochs: number): string {
  const parts = [`loss ${e.train.loss.toFixed(4)}`];
  if (e.train.accuracy !== undefined) parts.push(`acc ${(100 * e.train.accuracy).toFixed(2)}%`);
  if (e.validation) {
    parts.push(`val loss ${e.validation.loss.toFixed(4)}`);
    if (e.validation.accuracy !== undefined)
      parts.push(`val acc ${(100 * e.validation.accuracy).toFixed(2)}%`);
  }
  parts.push(`lr ${e.lr.toPrecision(3)}`, `${e.seconds.toFixed(1)}s`);
  return `epoch ${e.epoch + 1}/${totalEpochs}  ${parts.join("  ")}`;
}

/**
 * A one-line progress bar on a terminal (standard error, so standard output stays clean for --json).
 * Redraws at most ten times a second; at each epoch's end the bar gives way to the epoch line.
 */
export function progressBar(
  stream: NodeJS.WriteStream,
  totalEpochs: number,
  stepsPerEpoch: number,
  label = "train",
): Observer {
  let last = 0;
  let lossAvg = NaN;
  const width = 28;
  const draw = (epoch: number, batch: number): void => {
    const frac = (batch + 1) / stepsPerEpoch;
    const filled = Math.round(frac * width);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    stream.write(
      `\r${label} epoch ${epoch + 1}/${totalEpochs} ${bar} ${Math.round(frac * 100)}%  loss ${lossAvg.toFixed(4)}   `,
    );
  };
  return {
    // The bar reads the loss only; declining the gradients spares fit copying them every step.
    wantsGradients: () => false,
    onBatchEnd(e) {
      lossAvg = Number.isNaN(lossAvg) ? e.loss : 0.95 * lossAvg + 0.05 * e.loss;
      const now = performance.now();
      if (now - last > 100 || e.batchIndex === stepsPerEpoch - 1) {
        last = now;
        draw(e.epoch, e.batchIndex);
      }
    },
    onEpochEnd(e) {
      stream.write(`\r\x1b[2K${formatEpochLine(e, totalEpochs)}\n`);
    },
  };
}

/** The epoch lines alone, for logs (not a terminal): no carriage returns, no bar. */
export function epochLog(write: (line: string) => void, totalEpochs: number): Observer {
  return { wantsGradients: () => false, onEpochEnd: (e) => write(formatEpochLine(e, totalEpochs)) };
}
