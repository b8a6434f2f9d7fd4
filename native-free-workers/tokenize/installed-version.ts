/**
 * The version of an installed package, as the tokenizer proofs need it (token-counter.ts HYBRID_PROOF,
 * long-piece.ts LONG_PIECE_PROOF): a proof holds for the exact builds it was made with.
 */
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";

const localRequire = createRequire(import.meta.url);

/** Version of an installed package, found by walking up from its entry point; undefined when not resolvable. */
export function installedVersion(pkg: string): string | undefined {
  try {
    let dir = dirname(localRequire.resolve(pkg));
    for (let i = 0; i < 6; i++) {
      try {
        const json = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: string; version?: string };
        if (json.name === pkg) return json.version;
      } catch {
        /* no package.json here */
      }
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  } catch {
    /* not resolvable */
  }
  return undefined;
}
