/**
 * The idempotency-key lookup served by ctxc against the release's own `findTranscriptMessageByIdempotencyKey`
 * on the lines a byte search for the member name could get wrong (test/support/idempotency-lines.ts): the
 * worker's first answer, which collects every line's key by that search (idempotency.ts `lookupInRecords`),
 * with the name also across the worker's 64 KiB read-chunk boundary; and the main thread's answers from
 * the kept keys plus appended bytes (`addKeysOfLines`), with appends cut inside the member name or a
 * multi-byte character and completed later, and lines stock skips or trims. Every answer (value or throw)
 * must be the release's; the counters show the worker and the main thread did answer (no test that passes
 * by always falling back to OpenClaw's scan).
 * Runs per release under the matrix runner (CTXC_OPENCLAW_ROOT); skipped otherwise.
 */
import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Prng } from "../../bench/fixtures/transcript-generator.js";
import { generatedTranscript } from "../support/generated.js";
import { DEFAULTS } from "../../native-free-workers/protocol/defaults.js";
import { asBuffer, DAMAGED, generatedKeyLines, parsedKeys, TRICKY } from "../support/idempotency-lines.js";
import { importIntercepted, releaseTestSetup, type Intercepted } from "../support/openclaw-release.js";

const { root, version, dir } = releaseTestSetup("matrix-idempotency-spots", { afterAll });

/** The answer of `fn(path, key)`, or the code of what it threw. */
async function answer(fn: Intercepted["ctxc"], path: string, key: string): Promise<{ value: unknown } | { threw: unknown }> {
  try {
    return { value: await fn(path, key) };
  } catch (err) {
    return { threw: (err as NodeJS.ErrnoException).code ?? String(err) };
  }
}

/** The keys a lookup could be asked for in `bytes`: each one there, padded or cut variants, and ones in no message. */
function probes(bytes: Buffer): string[] {
  const there = [...parsedKeys(bytes)];
  return [...there, ...there.map((k) => ` ${k}`), ...there.map((k) => k.slice(0, -1)), "in-text", "escaped-backslash", "top-level", "deeper", "in-content", "dup-first", "message-first", "  padded\t ", "absent-key"];
}

const LINE_SPLIT = '{"type":"message","id":"split","parentId":null,"message":{"role":"user","content":"c","idempotencyKey":"across-chunks"}}';

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: idempotency lookup on lines a member-name search could get wrong`, () => {
  it("the worker's first answer (every line's key), the name across a read-chunk boundary: the release's answers", async (ctx) => {
    const x = await importIntercepted(root!, "findTranscriptMessageByIdempotencyKey");
    if (typeof x === "string") return ctx.skip(x);
    const c = x.runtime.counters;
    const gen = generatedTranscript({ seed: 31, entries: 60, unicode: "heavy" }).text;
    const rng = new Prng(31);
    for (let round = 0; round < 4; round++) {
      const lines: Buffer[] = gen.split("\n").filter(Boolean).map((l) => Buffer.from(l));
      for (const extra of TRICKY.filter(() => rng.chance(0.7))) lines.splice(rng.int(1, lines.length), 0, asBuffer(extra));
      // A padding line, so that the next line's member name straddles the end of the worker's first read chunk.
      const prefix = Buffer.concat(lines.slice(0, 2).flatMap((l) => [l, Buffer.from("\n")]));
      const nameAt = LINE_SPLIT.indexOf('"idempotencyKey"');
      const padTo = DEFAULTS.chunkBytes - (round + 3) - nameAt; // where the split line must start
      const padShell = '{"type":"custom","customType":"pad","data":{"text":""},"id":"pad","parentId":null}\n';
      const pad = padShell.replace('"text":""', `"text":"${"p".repeat(padTo - prefix.length - padShell.length)}"`);
      const rest = Buffer.concat(lines.slice(2).flatMap((l) => [l, Buffer.from("\n")]));
      const bytes = Buffer.concat([prefix, Buffer.from(pad), Buffer.from(`${LINE_SPLIT}\n`), round % 2 ? rest : rest.subarray(0, -1)]);
      expect(bytes.indexOf('"idempotencyKey":"across-chunks"')).toBeLessThan(DEFAULTS.chunkBytes);
      expect(bytes.indexOf('"idempotencyKey":"across-chunks"') + 16).toBeGreaterThan(DEFAULTS.chunkBytes);
      const path = join(dir, `worker-${round}.jsonl`);
      writeFileSync(path, bytes);
      const worker = c.idempotencyWorker;
      const main = c.idempotencyMain;
      for (const key of ["absent-first", ...probes(bytes)]) {
        expect(await answer(x.ctxc, path, key), `round ${round}: ${JSON.stringify(key)}`).toStrictEqual(await answer(x.openclaw, path, key));
      }
      expect(await x.ctxc(path, "across-chunks")).toMatchObject({ messageId: "split" });
      // The first lookup was the worker's (its keys), the other absent ones the main thread's from them.
      expect(c.idempotencyWorker, `round ${round}`).toBe(worker + 1);
      expect(c.idempotencyMain - main, `round ${round}`).toBeGreaterThan(5);
    }
  });

  it("generated keyed lines (message/idempotencyKey at any depth, duplicated, escaped, whitespace, values of every kind): the worker's first answer and the main thread's after appends of more, the release's", async (ctx) => {
    const x = await importIntercepted(root!, "findTranscriptMessageByIdempotencyKey");
    if (typeof x === "string") return ctx.skip(x);
    const c = x.runtime.counters;
    const rng = new Prng(41);
    const nextLine = generatedKeyLines(rng);
    const gen = generatedTranscript({ seed: 41, entries: 30, unicode: "mixed" }).text;
    let found = 0;
    for (let round = 0; round < 6; round++) {
      const lines = gen.split("\n").filter(Boolean);
      for (let i = 0; i < 60; i++) lines.splice(rng.int(1, lines.length), 0, nextLine());
      const path = join(dir, `generated-${round}.jsonl`);
      writeFileSync(path, `${lines.join("\n")}\n`);
      const [worker, main] = [c.idempotencyWorker, c.idempotencyMain];
      const check = async (label: string) => {
        const keys = probes(readFileSync(path));
        found += keys.length;
        for (const key of [`absent-${label}`, ...keys]) expect(await answer(x.ctxc, path, key), `${label}: ${JSON.stringify(key)}`).toStrictEqual(await answer(x.openclaw, path, key));
      };
      await check(`round ${round}`);
      appendFileSync(path, `${Array.from({ length: 20 }, nextLine).join("\n")}\n`);
      await check(`round ${round}, appended`);
      expect(c.idempotencyWorker, `round ${round}: the worker's first answer`).toBe(worker + 1);
      expect(c.idempotencyMain - main, `round ${round}: answered from the kept keys`).toBeGreaterThan(5);
    }
    expect(found, "keys there to look up").toBeGreaterThan(100);
  });

  it("the main thread's answers from the kept keys plus appends cut anywhere (in the name, in a character), damaged lines: the release's", async (ctx) => {
    const x = await importIntercepted(root!, "findTranscriptMessageByIdempotencyKey");
    if (typeof x === "string") return ctx.skip(x);
    const c = x.runtime.counters;
    const rng = new Prng(37);
    const path = join(dir, "appended.jsonl");
    writeFileSync(path, generatedTranscript({ seed: 37, entries: 40, unicode: "mixed" }).text);
    expect(await x.ctxc(path, "absent-first")).toBeUndefined(); // the worker's answer starts the kept keys
    const main = c.idempotencyMain;
    const appends = Buffer.concat([...TRICKY, ...DAMAGED, ...TRICKY].map((l) => Buffer.concat([asBuffer(l), Buffer.from("\n")])));
    for (let at = 0; at < appends.length; ) {
      // Cut inside the next member name now and then, else anywhere (inside a multi-byte character too).
      const name = appends.indexOf("idempotency", at);
      const to = name !== -1 && rng.chance(0.5) ? name + rng.int(1, 12) : Math.min(appends.length, at + rng.int(1, 120));
      appendFileSync(path, appends.subarray(at, to));
      at = to;
      const now = appends.subarray(0, at);
      for (const key of [`absent-${at}`, ...probes(now).filter(() => rng.chance(0.3))]) {
        expect(await answer(x.ctxc, path, key), `after ${at} bytes appended: ${JSON.stringify(key)}`).toStrictEqual(await answer(x.openclaw, path, key));
      }
    }
    expect(c.idempotencyMain - main).toBeGreaterThan(20);
  });
});

describe.skipIf(!!root)("OpenClaw release matrix: idempotency lookup on tricky lines", () => {
  it.skip("CTXC_OPENCLAW_ROOT is unset: runs per release under the matrix runner (scripts/install-releases.sh)", () => {});
});
