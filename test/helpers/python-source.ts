/** Parts of a PyTorch module that safetensors export writes (src/io/safetensors-python.ts), cut out by their markers. */

/** The docstring of a generated module, from its first line to the closing quotes. */
export function docstring(source: string): string {
  return source.slice(0, source.indexOf('"""\n', 3) + 3);
}

/** `def build(): ...` of a generated module, up to the blank lines before `load`. */
export function buildFunction(source: string): string {
  const from = source.indexOf("def build():");
  return source.slice(from, source.indexOf("\n\n\ndef load", from));
}

/** The lines of `build()`'s module list, without their indentation. */
export function buildLines(source: string): string[] {
  return buildFunction(source)
    .split("\n")
    .slice(3, -1)
    .map((l) => l.trim());
}

/** Everything from `def load(` to the end. */
export function fromLoad(source: string): string {
  return source.slice(source.indexOf("def load("));
}
