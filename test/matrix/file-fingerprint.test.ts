/**
 * Differential test of the session lock's fingerprint stat (OpenClaw 2026.5.27+ `readSessionFileFingerprint`,
 * answered by its synchronous twin: src/openclaw/file-fingerprint.ts) for ONE OpenClaw release
 * (`CTXC_OPENCLAW_ROOT`, with the Node it needs; scripts/matrix.sh), against the release's own function in the
 * same rewritten chunk: the same fingerprint (bigint dev, ino, size, mtimeNs, ctimeNs) for a file, an empty
 * file, a directory, a symlink, a file changed between calls; `{exists: false}` for a missing path and a
 * dangling symlink; the same rejection (code) for a path through a file, a NUL byte and a non-path argument.
 * Releases without the function skip.
 *
 * And the embedded run's `hadSessionFile` stat (every JSONL release; a call site in `runEmbeddedAttempt`,
 * file-fingerprint.ts `sessionFileStat`): the release's run rewritten so that only that stat goes to the handler,
 * and the handler's answer — through the statement's own `.then(() => true).catch(() => false)` — the same
 * boolean as the release's `fs.promises.stat`, and the same Stats, on the cases above.
 */
import { appendFileSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { stat } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { planRelease } from "../../src/openclaw/release/plan.js";
import { locateRelease } from "../../src/openclaw/release/locate.js";
import { importIntercepted, outcome, releaseTestSetup, RUNTIME_URL } from "../support/openclaw-release.js";

const { root, version, dir } = releaseTestSetup("matrix-fingerprint", { afterAll });

/**
 * A 40-byte transcript, a folder, a link to the transcript and a dangling link under `dir` (names starting
 * `prefix`), and the paths both tests stat: those, a missing file, a path through the file, a NUL byte.
 */
function pathCases(prefix: string): { file: string; cases: [string, unknown][] } {
  const file = join(dir, `${prefix}s.jsonl`);
  writeFileSync(file, '{"type":"session","version":3,"id":"s"}\n');
  const sub = join(dir, `${prefix}a-dir`);
  mkdirSync(sub);
  const link = join(dir, `${prefix}link.jsonl`);
  symlinkSync(file, link);
  const dangling = join(dir, `${prefix}dangling.jsonl`);
  symlinkSync(join(dir, `${prefix}nowhere`), dangling);
  return {
    file,
    cases: [
      ["file", file],
      ["directory", sub],
      ["symlink", link],
      ["missing", join(dir, `${prefix}missing.jsonl`)],
      ["dangling symlink", dangling],
      ["through a file", join(file, "below")],
      ["NUL byte", `${file}\0x`],
    ],
  };
}

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: the session lock's fingerprint stat vs the release's own`, () => {
  it("readSessionFileFingerprint: the same fingerprint, {exists: false} or rejection as the release's", async (ctx) => {
    const x = await importIntercepted(root!, "readSessionFileFingerprint");
    if (typeof x === "string") return ctx.skip(x);
    const counters = x.runtime.counters;
    const { file, cases: paths } = pathCases("");
    const empty = join(dir, "empty.jsonl");
    writeFileSync(empty, "");
    const cases: [string, unknown][] = [...paths, ["empty file", empty], ["not a path", 42]];
    const before = counters.fingerprintsServed;
    for (const [name, p] of cases) {
      const theirs = await outcome(() => x.openclaw(p));
      expect(await outcome(() => x.ctxc(p)), name).toEqual(theirs);
    }
    // Real answers on both sides (two equal rejections alone would prove nothing).
    expect(await x.openclaw(file)).toMatchObject({ exists: true, size: BigInt(40) });
    expect(await x.openclaw(join(dir, "missing.jsonl"))).toEqual({ exists: false });
    expect(await outcome(() => x.openclaw(join(file, "below")))).toEqual({ rejects: "ENOTDIR" });
    // The file changed between calls: each answer is the file at its call.
    for (let i = 0; i < 3; i++) {
      appendFileSync(file, `{"type":"custom","id":"c${i}"}\n`);
      const ours = (await x.ctxc(file)) as { size: bigint };
      expect(ours, `after append ${i}`).toEqual(await x.openclaw(file));
      expect(ours.size).toBeGreaterThan(40n);
    }
    expect(counters.fingerprintsServed - before).toBe(cases.length + 3);
  });

  it("hadSessionFile: the run's stat handed to ctxc alone, answered as fs.promises.stat at the call", async (ctx) => {
    const found = locateRelease(root!, version);
    const plan = planRelease(found, RUNTIME_URL);
    // A release the preload does not serve (2026.8+: SQLite transcripts) says why, in one line.
    if (typeof plan === "string") return ctx.skip(plan);
    const { served, chunks } = plan as Exclude<typeof plan, string>;
    expect(served).toContain("session file check (hadSessionFile, in runEmbeddedAttempt)");
    // The release's statement, with only its stat turned into the handler's thunk.
    const run = found.functions.get("runEmbeddedAttempt")!;
    expect(run.length).toBe(1);
    const stockBody = found.sources.get(run[0]!.file)!.slice(run[0]!.start, run[0]!.end);
    const stockStatement = /const hadSessionFile = await (fs(?:\$\d+)?)\.stat\(params\.sessionFile\)\.then\(\(\) => true\)\.catch\(\(\) => false\);/.exec(stockBody);
    expect(stockStatement).not.toBeNull();
    const fs = stockStatement![1]!;
    const servedChunk = Object.entries(chunks).find(([url]) => url.endsWith(run[0]!.file.split("/").pop()!))![1];
    const wrapped = `const hadSessionFile = await __ctxcHandlers.sessionFileStat(() => ${fs}.stat(params.sessionFile), [params.sessionFile], {}).then(() => true).catch(() => false);`;
    expect(servedChunk.split(wrapped).length - 1).toBe(1);
    expect(servedChunk).not.toContain(stockStatement![0]);
    // The handler against the release's call: the same boolean through the statement's own turn, the same Stats.
    const runtime = (await import(RUNTIME_URL)) as { handlers: Record<string, (o: () => unknown, a: unknown[], h: object) => Promise<unknown>>; counters: { sessionStatsServed: number } };
    const handler = runtime.handlers.sessionFileStat!;
    const { file, cases: paths } = pathCases("had-");
    const cases: [string, unknown][] = [...paths, ["relative", "had-relative-missing.jsonl"]];
    const before = runtime.counters.sessionStatsServed;
    for (const [name, p] of cases) {
      const theirs = await outcome(() => stat(p as string));
      const ours = await outcome(() => handler(() => stat(p as string), [p], {}));
      expect(ours, name).toEqual(theirs);
      const asStatement = (call: () => Promise<unknown>) => call().then(() => true).catch(() => false);
      expect(await asStatement(() => handler(() => stat(p as string), [p], {})), name).toBe(await asStatement(() => stat(p as string)));
    }
    expect(await outcome(() => handler(() => stat(file), [file], {}))).toMatchObject({ value: { size: 40 } });
    expect(await outcome(() => stat(join(file, "below")))).toEqual({ rejects: "ENOTDIR" });
    // A file growing between calls: each answer is the file at its call.
    appendFileSync(file, '{"type":"custom","id":"c"}\n');
    expect(await handler(() => stat(file), [file], {})).toEqual(await stat(file));
    expect(runtime.counters.sessionStatsServed - before).toBe(cases.length * 2 + 2);
    // Not a path string: the release's own call.
    let ran = 0;
    await handler(() => (ran++, Promise.resolve("own")), [Buffer.from(file)], {});
    expect(ran).toBe(1);
  });
});
