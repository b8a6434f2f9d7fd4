// Usage: node pick-node.mjs PACKAGE_JSON CANDIDATE... → prints the first candidate Node version that the
// package's engines.node accepts (exit 1 if none). Only the range forms npm packages of OpenClaw use are
// understood (`>=a.b.c`, `<a`, `>`, `<=`, `=`, plain versions, space = and, `||` = or); anything else is
// refused rather than guessed, so a new engines syntax fails loudly instead of picking a wrong Node.
import { readFileSync } from "node:fs";

const [pkgPath, ...candidates] = process.argv.slice(2);
const range = JSON.parse(readFileSync(pkgPath, "utf8")).engines?.node ?? "*";

const parse = (v) => {
  const m = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(v);
  if (!m) throw new Error(`pick-node: cannot read version "${v}" in engines "${range}"`);
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
};
const cmp = (a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
const ops = { ">=": (c) => c >= 0, ">": (c) => c > 0, "<=": (c) => c <= 0, "<": (c) => c < 0, "=": (c) => c === 0 };

function satisfies(version, rangeText) {
  const v = parse(version);
  return rangeText.split("||").some((alt) =>
    alt.trim().split(/\s+/).filter(Boolean).every((term) => {
      if (term === "*") return true;
      const m = /^(>=|<=|>|<|=)?(.+)$/.exec(term);
      return ops[m[1] ?? "="](cmp(v, parse(m[2])));
    }),
  );
}

const pick = candidates.find((c) => satisfies(c, range));
if (!pick) {
  console.error(`pick-node: none of ${candidates.join(", ")} satisfies engines.node "${range}" (${pkgPath})`);
  process.exit(1);
}
console.log(pick);
