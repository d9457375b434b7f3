/**
 * The module graph a compiled entry reaches: every relative import, re-export and dynamic `import("…")`
 * with a literal, followed file to file (TypeScript's own scanner reads them, so comments and strings
 * are not mistaken for imports). What leaves the package (a `node:` module, an npm package) is listed
 * with the chain of files that led to it.
 */
import { readFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import ts from "typescript";

export interface ExternalImport {
  specifier: string;
  /** The importing file first, then whoever imported it, back to the entry (paths relative to `base`). */
  chain: string[];
}

export function externalImports(entry: string, base: string): { files: number; external: ExternalImport[] } {
  const parent = new Map<string, string | null>([[resolve(entry), null]]);
  const queue = [resolve(entry)];
  const external: ExternalImport[] = [];
  const chainOf = (file: string): string[] => {
    const chain: string[] = [];
    for (let f: string | null | undefined = file; f; f = parent.get(f)) chain.push(relative(base, f));
    return chain;
  };
  while (queue.length > 0) {
    const file = queue.shift()!;
    const { importedFiles } = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
    for (const { fileName } of importedFiles) {
      if (!fileName.startsWith(".")) {
        external.push({ specifier: fileName, chain: chainOf(file) });
        continue;
      }
      const next = resolve(dirname(file), fileName);
      if (parent.has(next)) continue;
      parent.set(next, file);
      queue.push(next);
    }
  }
  return { files: parent.size, external };
}
