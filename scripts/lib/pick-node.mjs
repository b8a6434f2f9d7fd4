// Usage: node pick-node.mjs PACKAGE_JSON CANDIDATE... → prints the first candidate Node version that the
// package's engines.node accepts (exit 1 if none). Only the range forms npm packages of OpenClaw use are
// understood (`>=a.b.c`, `<a`, `>`, `<=`, `=`, plain versions, space = and, `||` = or); anything else is
// refused rather than guessed, so a new engines syntax fails loudly instead of picking a wrong Node.
// Also imported (no build step) by bench/lib/run-setup.ts, which checks the Node a bench runs under
// against the release's engines with the same rule: `satisfies` and `enginesNode`.
import { readFileSync, realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The package's engines.node ("*" when it names none). */
export const enginesNode = (pkgPath) => JSON.parse(readFileSync(pkgPath, "utf8")).engines?.node ?? "*";

const parse = (v, range) => {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(v);
  if (!m) throw new Error(`pick-node: cannot read version "${v}" in engines "${range}"`);
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
};
const cmp = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
const ops = { ">=": (c) => c >= 0, ">": (c) => c > 0, "<=": (c) => c <= 0, "<": (c) => c < 0, "=": (c) => c === 0 };

/** Whether Node `version` ("24.22.3" or "v24.22.3") is one `rangeText` accepts; throws on a form it does not know. */
export function satisfies(version, rangeText) {
  const v = parse(version, rangeText);
  return rangeText.split("||").some((alt) =>
    alt.trim().split(/\s+/).filter(Boolean).every((term) => {
      if (term === "*") return true;
      const m = /^(>=|<=|>|<|=)?(.+)$/.exec(term);
      return ops[m[1] ?? "="](cmp(v, parse(m[2], rangeText)));
    }),
  );
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [pkgPath, ...candidates] = process.argv.slice(2);
  const range = enginesNode(pkgPath);
  const pick = candidates.find((c) => satisfies(c, range));
  if (!pick) {
    console.error(`pick-node: none of ${candidates.join(", ")} satisfies engines.node "${range}" (${pkgPath})`);
    process.exit(1);
  }
  console.log(pick);
}
