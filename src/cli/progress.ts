import type { Observer } from "../train/events.js";

/**
 * A one-line progress bar on a terminal (standard error, so standard output stays clean for --json).
 * Redraws at most ten times a second; prints one summary line per epoch.
 */
export function progressBar(stream: NodeJS.WriteStream, totalEpochs: number, stepsPerEpoch: number, label = "train"): Observer {
  let last = 0;
  let lossAvg = NaN;
  const width = 28;
  const draw = (epoch: number, batch: number): void => {
    const frac = (batch + 1) / stepsPerEpoch;
    const filled = Math.round(frac * width);
    const bar = "█".repeat(filled) + "░".repeat(width - filled);
    stream.write(`\r${label} epoch ${epoch + 1}/${totalEpochs} ${bar} ${Math.round(frac * 100)}%  loss ${lossAvg.toFixed(4)}   `);
  };
  return {
    onBatchEnd(e) {
      lossAvg = Number.isNaN(lossAvg) ? e.loss : 0.95 * lossAvg + 0.05 * e.loss;
      const now = performance.now();
      if (now - last > 100 || e.batchIndex === stepsPerEpoch - 1) {
        last = now;
        draw(e.epoch, e.batchIndex);
      }
    },
    onEpochEnd(e) {
      const parts = [`loss ${e.train.loss.toFixed(4)}`];
      if (e.train.accuracy !== undefined) parts.push(`acc ${(100 * e.train.accuracy).toFixed(2)}%`);
      if (e.validation) {
        parts.push(`val loss ${e.validation.loss.toFixed(4)}`);
        if (e.validation.accuracy !== undefined) parts.push(`val acc ${(100 * e.validation.accuracy).toFixed(2)}%`);
      }
      parts.push(`lr ${e.lr.toPrecision(3)}`, `${e.seconds.toFixed(1)}s`);
      stream.write(`\r\x1b[2K${label} epoch ${e.epoch + 1}/${totalEpochs}  ${parts.join("  ")}\n`);
    },
  };
}

/** Plain per-epoch lines for logs (not a terminal): no carriage returns, no colours. */
export function epochLog(write: (line: string) => void, totalEpochs: number): Observer {
  return {
    onEpochEnd(e) {
      const parts = [`loss ${e.train.loss.toFixed(4)}`];
      if (e.train.accuracy !== undefined) parts.push(`acc ${(100 * e.train.accuracy).toFixed(2)}%`);
      if (e.validation?.accuracy !== undefined) parts.push(`val acc ${(100 * e.validation.accuracy).toFixed(2)}%`);
      write(`epoch ${e.epoch + 1}/${totalEpochs}  ${parts.join("  ")}  ${e.seconds.toFixed(1)}s`);
    },
  };
}
