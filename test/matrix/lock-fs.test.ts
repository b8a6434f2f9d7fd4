/**
 * Differential test of the session write lock's fs reads (src/openclaw/lock-fs.ts) for ONE OpenClaw release
 * (`CTXC_OPENCLAW_ROOT`, with the Node it needs; scripts/matrix.sh), against the release's own functions in the
 * same rewritten chunks:
 * - `resolveNormalizedSessionFile` (OpenClaw's realpath of the transcript's folder): the same path for a file
 *   in a folder, through a symlinked folder, relative, with `..`, in a missing folder, through a file, through
 *   a dangling link, with a NUL byte; the same rejection for a non-path;
 * - `resolveNormalizedTargetPath` (fs-safe's `mkdir -p` + realpath): the same path where the folder exists
 *   (served: nothing created), and where it does not — created by OpenClaw's own function, ctxc not counting
 *   it — or cannot be (a file in the way, a dangling link, a NUL byte): the same rejection;
 * - the release's `acquireSessionWriteLock` as served (its inline `mkdir -p` of the folder answered too): the lock
 *   file made and removed, a missing folder made by the release's own mkdir;
 * - `readLockSnapshot` (fs-safe's lstat + read of a lock file): the same snapshot (text, payload, the stat's
 *   identity and size) for an object payload, an array, a non-JSON text, an empty file, a link to a lock file;
 *   `null` or the same rejection for a missing file, a dangling link, a folder, a path through a file, a NUL
 *   byte, a non-path (each release's own rule: before 2026.5.20 every failure is `null`); a FIFO read by the
 *   release's own async function (a synchronous read would block the main thread until a writer came);
 * - fs-safe's lock manager (`createSidecarLockManager`) as served beside the release's own: the new lock file's
 *   `handle.stat()` answered (the same Stats as the FileHandle's own), the lock file recognised as its own by that
 *   stat at release and removed, as the release's own manager does; a closed handle left to its own `stat()`;
 * - the same manager's lock file itself (`fs.open(lockPath, "wx")` and the payload's `writeFile`, made
 *   synchronously): the same bytes and mode as the release's own, a lock file already there waited on and timed
 *   out alike (left as it was), a stale one reclaimed alike, a payload that throws leaving no file and no open
 *   descriptor on either side; the handle's own calls as a FileHandle's (EBADF once closed, a second close resolves).
 */
import { execFileSync } from "node:child_process";
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync, writeSync, type Stats } from "node:fs";
import { dirname, join, relative } from "node:path";
import { open } from "node:fs/promises";
import { afterAll, describe, expect, it } from "vitest";
import { importChunkPair, importIntercepted, outcome, releaseTestSetup } from "../support/openclaw-release.js";

const { root, version, dir } = releaseTestSetup("matrix-lock-fs", { afterAll });

/** A folder tree both functions see: a real folder, a link to it, a file, a dangling link. */
function tree(base: string): { real: string; link: string; file: string; dangling: string } {
  const real = join(base, "real");
  mkdirSync(join(real, "sub"), { recursive: true });
  const link = join(base, "link");
  symlinkSync(real, link);
  const file = join(base, "file");
  writeFileSync(file, "x");
  const dangling = join(base, "dangling");
  symlinkSync(join(base, "nowhere"), dangling);
  return { real, link, file, dangling };
}

describe.skipIf(!root)(`OpenClaw ${version || "(CTXC_OPENCLAW_ROOT unset)"}: the session lock's path resolution vs the release's own`, () => {
  it("resolveNormalizedSessionFile: the same path or rejection as the release's, no fs hop", async (ctx) => {
    const x = await importIntercepted(root!, "resolveNormalizedSessionFile");
    if (typeof x === "string") return ctx.skip(x);
    const counters = x.runtime.counters;
    const t = tree(join(dir, "session"));
    const cases: [string, unknown][] = [
      ["in a folder", join(t.real, "s.jsonl")],
      ["through a symlinked folder", join(t.link, "sub", "s.jsonl")],
      ["relative", relative(process.cwd(), join(t.link, "s.jsonl"))],
      ["with ..", join(t.link, "sub", "..", "s.jsonl")],
      ["in a missing folder", join(t.real, "missing", "s.jsonl")],
      ["through a file", join(t.file, "s.jsonl")],
      ["through a dangling link", join(t.dangling, "s.jsonl")],
      ["NUL byte", join(t.real, "a\0b", "s.jsonl")],
      ["not a path", 42],
    ];
    const before = counters.lockPathsServed;
    for (const [name, p] of cases) {
      const theirs = await outcome(() => x.openclaw(p));
      expect(await outcome(() => x.ctxc(p)), name).toEqual(theirs);
    }
    // Real answers (two equal fallbacks alone would prove nothing): the link resolved, the failures as given.
    expect(await x.ctxc(join(t.link, "sub", "s.jsonl"))).toBe(join(t.real, "sub", "s.jsonl"));
    expect(await x.ctxc(join(t.file, "s.jsonl"))).toBe(join(t.file, "s.jsonl"));
    expect(await outcome(() => x.ctxc(42))).toEqual({ rejects: "ERR_INVALID_ARG_TYPE" });
    expect(counters.lockPathsServed - before).toBe(cases.length - 1 + 2);
  });

  it("resolveNormalizedTargetPath: the same path or rejection; a folder to create is OpenClaw's own mkdir", async (ctx) => {
    const x = await importIntercepted(root!, "resolveNormalizedTargetPath");
    if (typeof x === "string") return ctx.skip(x);
    const counters = x.runtime.counters;
    // Each side gets its own tree: the release's function creates folders.
    const ours = tree(join(dir, "ours"));
    const theirs = tree(join(dir, "theirs"));
    const cases: [string, (t: ReturnType<typeof tree>) => unknown, boolean][] = [
      ["in a folder", (t) => join(t.real, "s.jsonl"), true],
      ["through a symlinked folder", (t) => join(t.link, "sub", "s.jsonl"), true],
      ["with ..", (t) => join(t.link, "sub", "..", "s.jsonl"), true],
      ["the folder a link", (t) => join(t.link, "s.jsonl"), true],
      ["in a missing folder", (t) => join(t.real, "new", "deeper", "s.jsonl"), false],
      ["through a file", (t) => join(t.file, "s.jsonl"), false],
      ["the folder a file's child", (t) => join(t.file, "below", "s.jsonl"), false],
      ["through a dangling link", (t) => join(t.dangling, "s.jsonl"), false],
      ["NUL byte", (t) => join(t.real, "a\0b", "s.jsonl"), false],
      ["not a path", () => 42, false],
    ];
    const mine = (v: unknown) => (typeof v === "string" ? v.replaceAll(join(dir, "theirs"), join(dir, "ours")) : v);
    for (const [name, p, served] of cases) {
      const before = counters.lockPathsServed;
      const theirOutcome = await outcome(() => x.openclaw(p(theirs)));
      const ourOutcome = await outcome(() => x.ctxc(p(ours)));
      expect(ourOutcome, name).toEqual("value" in theirOutcome ? { value: mine(theirOutcome.value) } : theirOutcome);
      expect(counters.lockPathsServed - before, name).toBe(served ? 1 : 0);
    }
    // The missing folder was created on both sides (by OpenClaw's own mkdir), nothing else appeared.
    for (const t of [ours, theirs]) {
      expect(statSync(join(t.real, "new", "deeper")).isDirectory()).toBe(true);
      expect(readdirSync(t.real).sort()).toEqual(["new", "sub"]);
      expect(existsSync(join(t.real, "s.jsonl"))).toBe(false);
    }
    expect(await x.ctxc(join(ours.link, "sub", "s.jsonl"))).toBe(join(ours.real, "sub", "s.jsonl"));
  });

  it("readLockSnapshot: the same snapshot, null or rejection as the release's", async (ctx) => {
    const x = await importIntercepted(root!, "readLockSnapshot");
    if (typeof x === "string") return ctx.skip(x);
    const counters = x.runtime.counters;
    const base = join(dir, "snap");
    mkdirSync(join(base, "a-dir"), { recursive: true });
    const at = (name: string, text?: string) => {
      const p = join(base, name);
      if (text !== undefined) writeFileSync(p, text);
      return p;
    };
    const payload = { pid: 4242, createdAt: "2026-12-06T14:00:00.000Z", maxHoldMs: 300000, starttime: 77 };
    const object = at("object.lock", `${JSON.stringify(payload, null, 2)}\n`);
    symlinkSync(object, join(base, "link.lock"));
    symlinkSync(join(base, "nowhere"), join(base, "dangling.lock"));
    const cases: [string, unknown][] = [
      ["object payload", object],
      ["array payload", at("array.lock", "[1,2]\n")],
      ["null payload", at("null.lock", "null")],
      ["not JSON", at("torn.lock", '{"pid": 42')],
      ["empty", at("empty.lock", "")],
      ["a link to a lock file", join(base, "link.lock")],
      ["missing", join(base, "missing.lock")],
      ["dangling link", join(base, "dangling.lock")],
      ["a folder", join(base, "a-dir")],
      ["through a file", join(object, "below.lock")],
      ["NUL byte", `${object}\0x`],
      ["not a path", 42],
    ];
    // The stat compared by what the lock code reads of it (identity, size, kind), not atime (a read may move it).
    const view = (o: Awaited<ReturnType<typeof outcome>>) => {
      if (!("value" in o) || !o.value) return o;
      const { raw, payload: p, stat } = o.value as { raw: string; payload: unknown; stat: Stats };
      return { raw, payload: p, stat: { dev: stat.dev, ino: stat.ino, size: stat.size, mode: stat.mode, mtimeMs: stat.mtimeMs, link: stat.isSymbolicLink() } };
    };
    const before = counters.lockSnapshotsServed;
    for (const [name, p] of cases) {
      const theirs = view(await outcome(() => x.openclaw(p)));
      expect(view(await outcome(() => x.ctxc(p))), name).toEqual(theirs);
    }
    // Served: the six regular files; the rest are stock's own answers (no snapshot, a rejection, or its read).
    expect(counters.lockSnapshotsServed - before).toBe(6);
    // Real answers: the payload parsed, the link's own lstat, a missing file as no snapshot.
    expect(view(await outcome(() => x.ctxc(object)))).toMatchObject({ payload, stat: { link: false } });
    expect(view(await outcome(() => x.ctxc(join(base, "link.lock"))))).toMatchObject({ payload, stat: { link: true } });
    expect(await x.ctxc(join(base, "missing.lock"))).toBeNull();
  });

  it("readLockSnapshot of a FIFO: the release's own async read, the main thread never blocked on it", async (ctx) => {
    const x = await importIntercepted(root!, "readLockSnapshot");
    if (typeof x === "string") return ctx.skip(x);
    const counters = x.runtime.counters;
    const fifo = join(dir, "fifo.lock");
    execFileSync("mkfifo", [fifo]);
    const before = counters.lockSnapshotsServed;
    // Read by each side in turn: the read waits for a writer; this thread, still free, then writes one payload.
    for (const side of [x.ctxc, x.openclaw]) {
      const reading = side(fifo) as Promise<{ raw: string; payload: unknown } | null>;
      let fd: number | undefined;
      for (let i = 0; fd === undefined; i++) {
        try {
          fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK); // ENXIO until a reader has it open
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== "ENXIO" || i > 500) throw err;
          await new Promise((r) => setTimeout(r, 10));
        }
      }
      writeSync(fd, '{"pid":7}\n');
      closeSync(fd);
      expect(await reading).toMatchObject({ raw: '{"pid":7}\n', payload: { pid: 7 } });
    }
    expect(counters.lockSnapshotsServed - before).toBe(0);
  });

  it("acquireSessionWriteLock through the served chunk: the lock file made and removed; a missing folder made by OpenClaw's own mkdir", async (ctx) => {
    const x = await importIntercepted(root!, "resolveNormalizedSessionFile");
    if (typeof x === "string") return ctx.skip(x);
    type Lock = { release: () => Promise<void> };
    const acquire = Object.values(x.module).find((v) => typeof v === "function" && v.name === "acquireSessionWriteLock") as ((p: { sessionFile: string }) => Promise<Lock>) | undefined;
    if (!acquire) return ctx.skip("the served chunk exports no acquireSessionWriteLock");
    const counters = x.runtime.counters;
    const file = join(dir, "lock-served", "s.jsonl");
    mkdirSync(dirname(file), { recursive: true });
    let before = counters.lockPathsServed;
    const lock = await acquire({ sessionFile: file });
    // The realpath and the inline mkdir of a folder that exists: both answered (the manager's own check is in
    // fs-safe's chunk, which the served chunk imports unserved here: no resolve hooks in the test process).
    expect(counters.lockPathsServed - before).toBe(2);
    expect(JSON.parse(readFileSync(`${file}.lock`, "utf8"))).toMatchObject({ pid: process.pid });
    await lock.release();
    expect(existsSync(`${file}.lock`)).toBe(false);
    // A folder that is not there yet: the realpath answered (it fails: the path as given), the release's own mkdir makes it.
    const fresh = join(dir, "lock-fresh", "deeper", "s.jsonl");
    before = counters.lockPathsServed;
    const second = await acquire({ sessionFile: fresh });
    expect(statSync(dirname(fresh)).isDirectory()).toBe(true);
    expect(existsSync(`${fresh}.lock`)).toBe(true);
    expect(counters.lockPathsServed - before).toBe(1);
    await second.release();
    expect(existsSync(`${fresh}.lock`)).toBe(false);
  });

  it("fs-safe's lock acquire: the new lock file's stat answered as the FileHandle's own; the file recognised at release and removed, as stock", async (ctx) => {
    // The chunk that serves readLockSnapshot holds the manager (fs-safe's sidecar-lock chunk).
    const pair = await importChunkPair(root!, "readLockSnapshot", ["createSidecarLockManager"]);
    if (typeof pair === "string") return ctx.skip(pair);
    type Manager = { acquire: (o: object) => Promise<{ release: () => Promise<void> }> };
    const counters = pair.runtime.counters;
    for (const [side, chunk] of [["stock", pair.stock], ["served", pair.served]] as const) {
      // Managers are global by key in fs-safe: one key per side.
      const manager = (chunk.__t_createSidecarLockManager as (key: string) => Manager)(`ctxc-lock-fs-test-${side}-${process.pid}`);
      const target = join(dir, `sidecar-${side}`, "t.jsonl");
      mkdirSync(dirname(target), { recursive: true });
      const before = counters.lockStatsServed;
      const lock = await manager.acquire({ targetPath: target, staleMs: 60_000, timeoutMs: 5_000, payload: () => ({ pid: process.pid, createdAt: new Date().toISOString() }) });
      expect(counters.lockStatsServed - before, side).toBe(side === "served" ? 1 : 0);
      expect(JSON.parse(readFileSync(`${target}.lock`, "utf8")), side).toMatchObject({ pid: process.pid });
      // Release removes the lock file only when its identity is the stat kept at acquire.
      await lock.release();
      expect(existsSync(`${target}.lock`), side).toBe(false);
    }
    // The handler itself: a FileHandle's own stat() against the answer, open and closed.
    const handler = pair.runtime.handlers.statOfLockHandle!;
    const file = join(dir, "stat-handle.lock");
    const handle = await open(file, "wx");
    await handle.writeFile("{}\n", "utf8");
    const before = counters.lockStatsServed;
    const answered = await handler(() => handle.stat(), [handle], {});
    expect(answered).toEqual(await handle.stat());
    expect(Object.getPrototypeOf(answered)).toBe(Object.getPrototypeOf(await handle.stat()));
    expect(counters.lockStatsServed - before).toBe(1);
    await handle.close();
    const theirs = await outcome(() => handle.stat());
    expect(theirs).toEqual({ rejects: "EBADF" });
    expect(await outcome(() => handler(() => handle.stat(), [handle], {}) as Promise<unknown>)).toEqual(theirs);
    expect(counters.lockStatsServed - before).toBe(1);
  });

  it("fs-safe's lock acquire: the lock file opened and its payload written synchronously — the same file, bytes and mode, EEXIST waits, stale reclaims and failures as the release's own", async (ctx) => {
    const pair = await importChunkPair(root!, "readLockSnapshot", ["createSidecarLockManager"]);
    if (typeof pair === "string") return ctx.skip(pair);
    type Lock = { release: () => Promise<void> };
    type Manager = { acquire: (o: object) => Promise<Lock> };
    const counters = pair.runtime.counters;
    const fixed = { pid: 4242, createdAt: "2026-01-01T00:00:00.000Z", maxHoldMs: 600000 };
    const openFds = () => readdirSync("/proc/self/fd").length;
    const results: Record<string, unknown[]> = { stock: [], served: [] };
    for (const [side, chunk] of [["stock", pair.stock], ["served", pair.served]] as const) {
      const manager = (chunk.__t_createSidecarLockManager as (key: string) => Manager)(`ctxc-lock-file-test-${side}-${process.pid}`);
      const base = join(dir, `lockfile-${side}`);
      mkdirSync(base, { recursive: true });
      const out = results[side]!;
      const before = counters.lockFilesServed;
      // A free lock: made, with the payload's bytes, then removed at release.
      const target = join(base, "a.jsonl");
      const lock = await manager.acquire({ targetPath: target, staleMs: 60_000, timeoutMs: 5_000, payload: () => fixed });
      const st = statSync(`${target}.lock`);
      out.push(readFileSync(`${target}.lock`, "utf8"), st.mode, st.size);
      await lock.release();
      out.push(existsSync(`${target}.lock`));
      // A lock file already there (fresh: not stale): waited on in 50 ms steps, then the same timeout; the file left as it was.
      const held = join(base, "held.jsonl");
      writeFileSync(`${held}.lock`, JSON.stringify({ pid: 1, createdAt: new Date().toISOString() }));
      const heldBytes = readFileSync(`${held}.lock`, "utf8");
      const timedOut = await outcome(() => manager.acquire({ targetPath: held, staleMs: 60_000, timeoutMs: 120, retry: { minTimeout: 50, maxTimeout: 50, factor: 1 }, payload: () => fixed }));
      out.push(timedOut, readFileSync(`${held}.lock`, "utf8") === heldBytes);
      // A stale one (created long ago): reclaimed, then made anew with this payload.
      const stale = join(base, "stale.jsonl");
      writeFileSync(`${stale}.lock`, JSON.stringify({ pid: 1, createdAt: "2000-01-01T00:00:00.000Z" }));
      const reclaimed = await manager.acquire({ targetPath: stale, staleMs: 1_000, timeoutMs: 5_000, staleRecovery: "remove-if-unchanged", shouldRemoveStaleLock: () => true, payload: () => fixed });
      out.push(readFileSync(`${stale}.lock`, "utf8"));
      await reclaimed.release();
      out.push(existsSync(`${stale}.lock`));
      // A payload that throws after the file was opened: the same rejection, no file, no descriptor left open.
      const broken = join(base, "broken.jsonl");
      const fds = openFds();
      const failed = await outcome(() =>
        manager.acquire({
          targetPath: broken,
          staleMs: 60_000,
          timeoutMs: 5_000,
          payload: () => {
            throw Object.assign(new Error("no payload"), { code: "EPAYLOAD" });
          },
        }),
      );
      out.push(failed, existsSync(`${broken}.lock`), openFds() - fds);
      // A lock path in a folder that is not there (the manager makes only the target's): open fails with ENOENT, as stock's.
      out.push(await outcome(() => manager.acquire({ targetPath: join(base, "x.jsonl"), lockPath: join(base, "none", "x.jsonl.lock"), staleMs: 60_000, timeoutMs: 5_000, payload: () => fixed })));
      // Served: one synchronous open per attempt that found no file (free, stale after its removal, broken); stock: none.
      expect(counters.lockFilesServed - before, side).toBe(side === "served" ? 3 : 0);
    }
    expect(results.served).toEqual(results.stock);
    // Real outcomes on both sides (equal nothings would prove nothing).
    expect(results.stock[0]).toBe(`${JSON.stringify(fixed, null, 2)}\n`);
    expect(results.stock[3]).toBe(false);
    expect(results.stock[4]).toMatchObject({ rejects: "file_lock_timeout" });
    expect(results.stock[8]).toEqual({ rejects: "EPAYLOAD" });
    expect(results.stock[9]).toBe(false);
    expect(results.stock[10]).toBe(0);
    expect(results.stock[11]).toEqual({ rejects: "ENOENT" });

    // The handle's own calls beside a FileHandle's, open and closed.
    const handler = pair.runtime.handlers.openLockFile!;
    const theirsPath = join(dir, "handle-theirs.lock");
    const oursPath = join(dir, "handle-ours.lock");
    const theirs = await open(theirsPath, "wx");
    const ours = (await handler(() => open(oursPath, "wx"), [oursPath], {})) as typeof theirs;
    for (const h of [theirs, ours]) await h.writeFile("é payload\n", "utf8");
    expect(readFileSync(oursPath)).toEqual(readFileSync(theirsPath));
    expect((await ours.stat()).size).toBe((await theirs.stat()).size);
    expect(await outcome(() => handler(() => open(oursPath, "wx"), [oursPath], {}) as Promise<unknown>)).toEqual(await outcome(() => open(theirsPath, "wx")));
    for (const h of [theirs, ours]) await h.close();
    expect(await outcome(() => ours.stat())).toEqual(await outcome(() => theirs.stat()));
    expect(await outcome(() => ours.writeFile("x", "utf8"))).toEqual(await outcome(() => theirs.writeFile("x", "utf8")));
    expect(await outcome(() => ours.close())).toEqual(await outcome(() => theirs.close()));
  });
});
