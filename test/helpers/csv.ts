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
