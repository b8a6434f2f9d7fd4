/**
 * What the preload lets a worker import to run the repair pass's image judge (src/openclaw/release/
 * worker-judge.ts), on fake chunks: only a chunk's single definitions of the judge's functions, and a module
 * closure of relative static imports whose shape was checked — never a bare, `node:`, side-effect, dynamic or
 * re-exporting import, a chunk ctxc rewrites, or an unchecked module. The real releases' judges are built
 * and compared with the releases' own in test/matrix/worker-judge.test.ts.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { workerJudgePlan } from "../../src/openclaw/release/worker-judge.js";
import type { LocatedRelease } from "../../src/openclaw/release/locate.js";
import { tempDir } from "../support/tmp.js";

const JUDGE = [
  "function isImageMimeType(value) {\n\treturn typeof value === \"string\" && /^image\\//iu.test(value.trim());\n}",
  "function containsNonAscii(value) {\n\tfor (let index = 0; index < value.length; index += 1) if (value.charCodeAt(index) > 127) return true;\n\treturn false;\n}",
  "function isCorruptedImageContentBlock(block) {\n\tif (!block || block.type !== \"image\") return false;\n\treturn containsNonAscii(block.data) || sanitizeInlineImageBase64({ base64: block.data, mimeType: block.mimeType }) === void 0;\n}",
];

/** A fake dist: the pass's chunk importing the judge's module, which imports `base64`; files as given. */
function fakeRelease(files: Record<string, string>, chunkHead = 'import { n as sanitizeInlineImageBase64 } from "./inline-image-data-url-AAAAAAAA.js";'): { found: LocatedRelease; chunk: string; dist: string } {
  const dist = join(tempDir("worker-judge-plan"), "dist");
  mkdirSync(dist, { recursive: true });
  const base = {
    "inline-image-data-url-AAAAAAAA.js": 'import { t as canonicalizeBase64 } from "./base64-BBBBBBBB.js";\nfunction sanitizeInlineImageBase64(p) {\n\treturn canonicalizeBase64(p.base64);\n}\nexport { sanitizeInlineImageBase64 as n };\n',
    "base64-BBBBBBBB.js": "function canonicalizeBase64(s) {\n\treturn s || void 0;\n}\nexport { canonicalizeBase64 as t };\n",
  };
  for (const [name, text] of Object.entries({ ...base, ...files })) writeFileSync(join(dist, name), text);
  const chunk = join(dist, "session-manager-CCCCCCCC.js");
  const source = `${chunkHead}\n${JUDGE.join("\n")}\nfunction repairSessionFileIfNeeded() {\n\treturn 1;\n}\n`;
  writeFileSync(chunk, source);
  const found = { root: dirname(dist), version: "0", functions: new Map(), sources: new Map([[chunk, source]]), filesRead: 1, fullScan: false, ms: 0 } as LocatedRelease;
  return { found, chunk, dist };
}
const dirname = (p: string) => p.slice(0, p.lastIndexOf("/"));

describe("the image judge a worker may run (release/worker-judge.ts)", () => {
  it("a pure two-module closure of an unchecked shape: refused by its shape, named", () => {
    const { found, chunk } = fakeRelease({});
    expect(workerJudgePlan(found, [chunk], new Set())).toMatch(/^\.\/inline-image-data-url-AAAAAAAA\.js module shape [0-9a-f]{12} unchecked$/);
  });

  it("the same modules in another build (other chunk hashes) have the same shape", () => {
    const a = fakeRelease({});
    const b = fakeRelease(
      {
        "inline-image-data-url-XXXXXXXX.js": 'import { t as canonicalizeBase64 } from "./base64-YYYYYYYY.js";\nfunction sanitizeInlineImageBase64(p) {\n\treturn canonicalizeBase64(p.base64);\n}\nexport { sanitizeInlineImageBase64 as n };\n',
        "base64-YYYYYYYY.js": "function canonicalizeBase64(s) {\n\treturn s || void 0;\n}\nexport { canonicalizeBase64 as t };\n",
      },
      'import { n as sanitizeInlineImageBase64 } from "./inline-image-data-url-XXXXXXXX.js";',
    );
    const shape = (plan: unknown) => String(plan).replace(/^\S+ /, "");
    expect(shape(workerJudgePlan(b.found, [b.chunk], new Set()))).toBe(shape(workerJudgePlan(a.found, [a.chunk], new Set())));
    // …and another module text, another shape.
    const c = fakeRelease({ "base64-BBBBBBBB.js": "function canonicalizeBase64(s) {\n\treturn s;\n}\nexport { canonicalizeBase64 as t };\n" });
    expect(shape(workerJudgePlan(c.found, [c.chunk], new Set()))).not.toBe(shape(workerJudgePlan(a.found, [a.chunk], new Set())));
  });

  const refusals: [string, Record<string, string>, RegExp][] = [
    ["a node: import", { "base64-BBBBBBBB.js": 'import { readFileSync } from "node:fs";\nexport const t = readFileSync;\n' }, /imports node:fs/],
    ["a bare import", { "base64-BBBBBBBB.js": 'import { x } from "some-package";\nexport const t = x;\n' }, /imports some-package/],
    ["a side-effect import", { "base64-BBBBBBBB.js": 'import "./setup-DDDDDDDD.js";\nexport const t = 1;\n' }, /side-effect, re-exporting or dynamic import/],
    ["a dynamic import", { "base64-BBBBBBBB.js": 'export const t = () => import("./x.js");\n' }, /side-effect, re-exporting or dynamic import/],
    ["a re-export", { "base64-BBBBBBBB.js": 'export { t } from "./other-EEEEEEEE.js";\n' }, /side-effect, re-exporting or dynamic import/],
    ["a require", { "base64-BBBBBBBB.js": 'const fs = require("fs");\nexport const t = fs;\n' }, /side-effect, re-exporting or dynamic import/],
    ["a namespace import", { "base64-BBBBBBBB.js": 'import * as fs from "./fs-FFFFFFFF.js";\nexport const t = fs;\n' }, /an import ctxc does not read/],
  ];
  for (const [what, files, why] of refusals) {
    it(`refuses a closure with ${what}`, () => {
      const { found, chunk } = fakeRelease(files);
      expect(workerJudgePlan(found, [chunk], new Set())).toMatch(why);
    });
  }

  it("refuses more modules than a judge's rules take (an import chain of five)", () => {
    const chain: Record<string, string> = { "base64-BBBBBBBB.js": 'import { t as a } from "./c1-00000001.js";\nexport const t = a;\n' };
    for (let i = 1; i <= 4; i++) chain[`c${i}-0000000${i}.js`] = i < 4 ? `import { t as a } from "./c${i + 1}-0000000${i + 1}.js";\nexport const t = a;\n` : "export const t = 1;\n";
    const { found, chunk } = fakeRelease(chain);
    expect(workerJudgePlan(found, [chunk], new Set())).toMatch(/imports more than 4 modules/);
  });

  it("refuses a module ctxc rewrites, a judge defined twice, and an import not from a chunk", () => {
    const { found, chunk, dist } = fakeRelease({});
    expect(workerJudgePlan(found, [chunk], new Set([pathToFileURL(join(dist, "inline-image-data-url-AAAAAAAA.js")).href]))).toMatch(/is rewritten by ctxc/);
    const twice = found.sources.get(chunk)! + JUDGE[2] + "\n";
    expect(workerJudgePlan({ ...found, sources: new Map([[chunk, twice]]) }, [chunk], new Set())).toBe("2 definitions of isCorruptedImageContentBlock");
    const bare = found.sources.get(chunk)!.replace('"./inline-image-data-url-AAAAAAAA.js"', '"media-core"');
    expect(workerJudgePlan({ ...found, sources: new Map([[chunk, bare]]) }, [chunk], new Set())).toBe("sanitizeInlineImageBase64 is not imported once from a chunk");
    expect(workerJudgePlan(found, [], new Set())).toBe("no repair pass judges images");
  });
});
