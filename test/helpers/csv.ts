/** Three well-separated classes in 2-D as CSV text with a text label column (a fixed LCG, so always the same). */
export function blobsCsv(n: number): string {
  const rows = ["x1,x2,label"];
  let s = 1;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5;
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    rows.push(
      `${(c * 3 + rnd()).toFixed(3)},${((c % 2) * 3 + rnd()).toFixed(3)},${["red", "green", "blue"][c]}`,
    );
  }
  return `${rows.join("\n")}\n`;
}

/**
 * A train run config over `blobs.csv` (three blobs, standardised, 20% validation, a 8-unit ReLU MLP, Adam):
 * the CLI tests' common small run; `over` replaces top-level keys.
 */
export function blobsRunConfig(over: Record<string, unknown> = {}): string {
  return JSON.stringify({
    seed: 1,
    data: {
      format: "csv",
      path: "blobs.csv",
      target: "label",
      normalize: "standardize",
      validationSplit: 0.2,
    },
    model: {
      layers: [
        { type: "dense", units: 8, activation: "relu" },
        { type: "dense", units: 3, activation: "softmax" },
      ],
    },
    loss: "crossEntropy",
    optimizer: { type: "adam", lr: 0.05 },
    epochs: 8,
    batchSize: 16,
    out: "out/blobs.hmst",
    ...over,
  });
}
