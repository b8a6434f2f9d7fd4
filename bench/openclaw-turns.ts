/**
 * Main-thread cost of a gateway turn's transcript work on OpenClaw 2026.6.9+ (issue #11 item 3), stock
 * vs served, with the release's real SessionManager: per turn, OpenClaw's entry cache of the file is
 * dropped (in a gateway the other agents' transcripts evict it: 32 MiB for all files), the session is
 * opened (served: after ctxc's worker read, as `prewarmSessionFile` starts it), the first turn rewrites
 * the header as 2026.7.35's `prepareSessionManagerForRun` does when the cwd changed (a whole-file write
 * OpenClaw makes itself, which ctxc's write follower follows), two messages are appended, and the turn
 * ends with `rewriteFile()`. A benchmark, not a test: correctness is test/matrix/rewrite-append.test.ts.
 *
 *     node dist/bench/openclaw-turns.js [--openclaw 2026.7.35|ROOT] [--mb 28] [--turns 6] [--runtime URL] [--restart] [--evict] [--served-only] [--repair [--first-start-warm-up]] [--warm-up [--recent N] [--quiet-ms MS]] [--leaf-controls]
 *
 * `--runtime` points the served side at another build of preload-runtime.js (e.g. main's, to compare
 * before and after). Reported: ms per phase (synchronous main-thread time of each call), turn 0 (with
 * the header rewrite) and the median of the later turns, and the served side's counters. The served turn
 * 0's open is what the first open after a gateway restart costs the main thread: ctxc holds nothing of
 * the file yet (the worker's restored index only spares the worker's read).
 *
 * `--restart`: the later turns after a gateway restart — no header rewrite on turn 0 (the first start made
 * it), so the served side's later turns continue from the entries its first open handed out (deep-frozen,
 * decoding on use: buffer-entries.ts `frozenEntriesFromBuffer`), as after a restart; without it they continue
 * from the entries the header rewrite's follower kept. `--evict`: OpenClaw's entry cache loses the file
 * between the open and the appends, as other agents' opens make it do in a gateway (32 MiB for all files:
 * 28/10/10/28/10 MB do not fit); its first append then cannot verify itself against the cache and the
 * manager re-loads the file — `setLoadedSessionFile` (partition + `buildIndex` of every entry) a second
 * time in the turn, on both sides. The `setLoadedSessionFile` row counts its calls per turn.
 *
 * `--served-only`: the stock side is skipped (its columns read 0): the served turn 0 — the first open after a
 * restart — then does not run after stock's whole-file parses and their garbage, whose collection otherwise
 * lands in it at random (A/B runs of two builds with `--runtime`, issue #11's first turn).
 *
 * `--repair`: the transcript is one the harness seeds (bench/lib/data.ts `transcriptOfSize`), which
 * 2026.7.35's repair pass rewrites (it repairs seeded assistant messages: docs/real-gateway.md), and turn 0
 * starts with the release's `repairSessionFileIfNeeded` (stock's, or ctxc's handler, which then runs stock's)
 * — the first turn on the day ctxc is installed or OpenClaw upgraded (issue #11); its row is "repair".
 * The "serialise" row (turn 0) is the header rewrite's `getSerializedFileLinesForRewrite()`, timed apart.
 * The pass runs on every turn, as a gateway's attempts run it: the header rewrite drops the release's repair
 * cache, so turn 1's pass is ctxc's check of the file as rewritten (with 2026.6.5+'s image rule: every image
 * line of a read state no judge has seen, judged on the main thread). As register.ts does at gateway start,
 * the release is named for the judge's verdicts (judged-images.ts).
 *
 * `--first-start-warm-up` (with `--repair`, served side): before turn 0, the first-start warm-up runs on the file as a
 * gateway's start-up runs it (restart-warmup.ts `runRestartWarmUp`, the file unindexed): its whole-file read,
 * the skip of a file the repair rewrites, and what it does then in idle time (image-prejudge.ts); its
 * main-thread ms are printed apart (start-up time, not a turn's).
 *
 * `--digests N` (default 7, as a 2026.7.35 gateway turn makes): after the rewrite, N session-fence digests
 * of the file (`readSessionFileDigest`: stock's stream on the main thread, or ctxc's worker request),
 * awaited one after the other; their row is the main thread's busy ms (event-loop utilisation: the calls
 * await I/O), and the served side's main-thread CPU ms for them per turn is printed apart (Node 23.9+: on a
 * loaded host the busy ms also count descheduling; what is left is the worker round trips' own cost on the
 * main thread — the pool's and piscina's code on the request and the reply). Then a second table: ctxc's OWN synchronous main-thread ms per handler per later turn (served
 * side) — each handler's time minus what it spent in OpenClaw's functions it calls (the original, the
 * manager's `getPersistedFileEntries` and `setLoadedSessionFile`) and in other handlers — which names where
 * ctxc's part of the turn goes (issue #11: toward ≤ 10 ms per later turn) — up to each call's return: an async
 * handler's continuation (the repair pass's image judge after the worker's answer) is in the busy rows only.
 *
 * `--leaf-controls`: the transcript holds records OpenClaw's partition makes opaque (leaf controls mid-file and at
 * its end, a record of an unknown type: bench/fixtures/transcript-generator.ts `withOpaqueRecords`), as one
 * does once an OpenClaw rewrite found the leaf off its tail (the prompt-released entries' merge, a `branch` flushed before an append).
 *
 * `--warm-up` (implies `--restart --served-only`): the first turn after a restart as 2026.7.35's gateway runs
 * it once ctxc's restart warm-up (src/openclaw/restart-warmup.ts) has built the transcript — the warm-up runs
 * before turn 0 (this process is fresh: V8's code for everything but the build paths is cold, as in a
 * restarted gateway), then every turn goes: the repair pass's check of the (clean) file (served
 * `repairSessionFileIfNeeded`, nothing to repair; on later turns with the lock's `trustedSnapshot`, as the run
 * path passes it — without it a file OpenClaw's repair cache keeps, as at 10 MB, got stock's whole-file pass,
 * 113–565 ms, where a gateway's turn gets its incremental one), the prewarm, the open, the digests, `--recent N` (default
 * 1) recent-conversation reads (served `readRecentUserAssistantTextFromSessionTranscript`, limit 10), the
 * appends and `rewriteFile()`, `--quiet-ms` (1000) after the warm-up returned (what it left to the worker done, as
 * the real gateway's first message came seconds after its warm-up). The async phases' rows are the main thread's busy ms (event-loop
 * utilisation). A/B: run it in fresh processes alternating `--runtime` (another build's preload-runtime.js).
 *
 * Also printed per served turn: its main-thread CPU (Node 23.9+; every phase, OpenClaw's functions included: the
 * figure issue #11's ≤ 10 ms is about) and OpenClaw's `getPersistedFileEntries` alone (the rewrite's first call,
 * thread CPU and wall) — a short call's thread CPU is coarse (the kernel's user/system times advance in jumps: a
 * 1.4 ms call read 0, others 4.00), so compare medians of many runs.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { generateTranscript, withOpaqueRecords } from "./fixtures/transcript-generator.js";
import { loadSessionManagerPair, ownedContext, type Manager, type Side, type Snapshot } from "./lib/openclaw-session-manager.js";
import { importInterceptedWith, interceptedOrThrow, judgeAsThePreload, removeIntercepted } from "./lib/openclaw-intercepted.js";
import { SelfTimes } from "./lib/self-times.js";
import { benchArgs, openclawRelease, preloadRuntimeUrl } from "./lib/run-setup.js";
import { transcriptOfSize } from "./lib/data.js";
import { hasThreadCpu, threadCpuMs } from "./lib/thread-cpu.js";

const { values } = benchArgs({
  options: {
    openclaw: { type: "string" },
    mb: { type: "string", default: "28" },
    turns: { type: "string", default: "6" },
    runtime: { type: "string" },
    restart: { type: "boolean", default: false },
    evict: { type: "boolean", default: false },
    "served-only": { type: "boolean", default: false },
    digests: { type: "string", default: "7" },
    repair: { type: "boolean", default: false },
    "warm-up": { type: "boolean", default: false },
    "seed-index": { type: "string" },
    file: { type: "string" },
    recent: { type: "string", default: "1" },
    "quiet-ms": { type: "string", default: "1000" },
    "first-start-warm-up": { type: "boolean", default: false },
    "leaf-controls": { type: "boolean", default: false },
  },
});
const { root, version } = await openclawRelease(values.openclaw);
// A path (`--runtime .tmp/main/dist/…`) as a file URL: the served chunk imports it, and compile-eagerly.js is looked up beside it.
const runtimeUrl = preloadRuntimeUrl(values.runtime && !/^[a-z]+:/.test(values.runtime) ? pathToFileURL(resolve(values.runtime)).href : values.runtime);
const turns = Number(values.turns);
const warmUp = values["warm-up"];
if (warmUp) [values.restart, values["served-only"]] = [true, true];

type Phase = "repair" | "prewarm" | "open" | "serialise" | "header rewrite" | "digests" | "recent" | "appends" | "rewriteFile";
const PHASES: Phase[] = ["repair", "prewarm", "open", "serialise", "header rewrite", "digests", "recent", "appends", "rewriteFile"];
const digests = Number(values.digests);
/** Calls of `setLoadedSessionFile` per turn (a count, not ms: a row apart from the phases). */
type Counted = Phase | "setLoadedSessionFile";
const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : 0);
/**
 * `DEBUG_MARKS=1`: stderr `mark <label> <µs>` on the monotonic clock V8's --cpu-prof samples use, to cut a profile by phase;
 * and a function `MARK_<label>` compiled there, to cut V8's `--log-function-events` log (what each phase compiled) by phase.
 */
const mark = (label: string) => {
  if (!process.env.DEBUG_MARKS) return;
  console.error(`mark ${label} ${process.hrtime.bigint() / 1000n}`);
  (0, eval)(`(function MARK_${label.replace(/\W/g, "_")}() {})`)();
};
const timed = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const v = f();
  return [v, performance.now() - t0];
};

type Runtime = typeof import("../src/openclaw/preload-runtime.js");

/**
 * `--warm-up`'s previous gateway process (`--seed-index DIR --file F`): the repair pass twice (the worker
 * learns what the first judged — from the first's follow-up check when OpenClaw's repair cache keeps the file,
 * as at 10 MB, else from the second's check — and saves it with its read state) and a read, on a persistent index in
 * DIR — so the measured process restarts on it as a gateway does (its first read continues from the index,
 * its first repair pass judges only the image lines after the saved ones).
 */
async function seedIndex(indexDir: string, file: string): Promise<void> {
  const repair = await interceptedOrThrow(root, "repairSessionFileIfNeeded", runtimeUrl);
  const rt = repair.runtime as unknown as Runtime;
  await rt.configureOpenClawPool({ indexDir });
  await judgeAsThePreload(root, version, runtimeUrl, rt);
  for (let i = 0; i < 2; i++) await repair.ctxc({ sessionFile: file, debug: () => {}, warn: () => {} });
  await rt.prepareSession(file);
  await rt.closeOpenClawPool();
  removeIntercepted();
}

async function main(): Promise<void> {
  // As register.ts loads the preload in a gateway: the runtime's module graph with V8's eager compilation,
  // where that build has it (compile-eagerly.js beside it; an older build's `--runtime` loads lazily).
  const eagerUrl = new URL("./compile-eagerly.js", runtimeUrl);
  if (existsSync(fileURLToPath(eagerUrl))) {
    const eager = (await import(eagerUrl.href)) as typeof import("../src/openclaw/compile-eagerly.js");
    await eager.importEagerly(() => import(runtimeUrl), eager.eagerCompileWanted(true, process.env, process.execArgv));
  }
  const pair = await loadSessionManagerPair(root, version, runtimeUrl);
  if (typeof pair === "string") throw new Error(`openclaw ${version}: ${pair}`);
  // What register.ts does at gateway start for a release whose snapshot open is served (absent in builds before it).
  (pair.runtime as { serveSnapshotOpens?: () => void }).serveSnapshotOpens?.();
  const dir = mkdtempSync(join(tmpdir(), "ctxc-bench-openclaw-turns-"));
  try {
    const made = values.repair
      ? readFileSync((await transcriptOfSize(Number(values.mb))).path, "utf8")
      : generateTranscript({ seed: 7, targetBytes: Number(values.mb) * 1024 * 1024, branchProbability: 0.05, compactions: 2, ...(warmUp ? { erroredEmptyContent: false } : {}) }).text;
    // What OpenClaw's rewrites write when the leaf is off the tail: records its partition makes opaque.
    const text = values["leaf-controls"] ? withOpaqueRecords(made) : made;
    const repair = values.repair || warmUp ? await interceptedOrThrow(root, "repairSessionFileIfNeeded", runtimeUrl) : undefined;
    const recent = warmUp ? await interceptedOrThrow(root, "readRecentUserAssistantTextFromSessionTranscript", runtimeUrl) : undefined;
    // The run path's prewarm (after the restart warm-up): OpenClaw's own prewarmSessionFile (open, 4 KiB read, close;
    // once per file after a restart: its cache then says opened), served as a gateway serves it — ctxc's worker read beside it.
    const prewarmServed = warmUp ? await importInterceptedWith(root, "prewarmSessionFile", runtimeUrl) : undefined;
    const prewarm = typeof prewarmServed === "object" ? prewarmServed : undefined;
    // As the preload at gateway start: the release named for the judge, and (2026.6.5+) the workers judging image lines.
    const workersJudge = await judgeAsThePreload(root, version, runtimeUrl, pair.runtime);
    const files = { stock: join(dir, "stock.jsonl"), served: join(dir, "served.jsonl") };
    const fresh = (): Record<Counted, number[]> => ({ repair: [], prewarm: [], open: [], serialise: [], "header rewrite": [], digests: [], recent: [], appends: [], rewriteFile: [], setLoadedSessionFile: [] });
    /** Main-thread busy ms of an awaited phase (event-loop utilisation: it awaits the worker or I/O). */
    const busy = async (f: () => Promise<unknown>): Promise<number> => {
      const elu = performance.eventLoopUtilization();
      await f();
      return performance.eventLoopUtilization(elu).active;
    };
    // The release's digest, stock and served, on the same runtime instance (release/locate.ts finds it in another chunk).
    const digest = digests > 0 ? await interceptedOrThrow(root, "readSessionFileDigest", runtimeUrl) : undefined;
    // ctxc's own ms per handler (served side; bench/lib/self-times.ts), OpenClaw's functions it calls excluded.
    const own = new SelfTimes();
    const handlerTable = pair.runtime.handlers as unknown as Record<string, (...a: unknown[]) => unknown>;
    const unwrapHandlers = own.wrapHandlers(handlerTable);
    const servedProto = (pair.served.SM as unknown as { prototype: Record<string, (...a: unknown[]) => unknown> }).prototype;
    // The served turn's main-thread CPU (Node 23.9+), whole and in OpenClaw's getPersistedFileEntries (the rewrite's first
    // call: in V8's interpreter on a fresh process's first turn unless the restart warm-up ran it, issue #11).
    const turnCpu: number[] = [];
    // …and in the prewarm (OpenClaw's own after the restart warm-up: its first fs.promises open/read/close, warm-file-read.ts).
    const prewarmCpu: number[] = [];
    const persistedCpu: number[] = [];
    let persistedCpuNow = 0;
    const persistedWall: number[] = [];
    let persistedWallNow = 0;
    const unwrapMethods = own.wrapOpenClaw(servedProto, ["getPersistedFileEntries", "setLoadedSessionFile"], (name, wallMs, cpuMs) => {
      if (name !== "getPersistedFileEntries") return;
      persistedWallNow += wallMs;
      if (hasThreadCpu) persistedCpuNow += cpuMs;
    });
    const results: Record<"stock" | "served", Record<Counted, number[]>> = { stock: fresh(), served: fresh() };
    // The open's main-thread CPU time too (Node 23.9+): on a loaded shared host its wall time also counts descheduling.
    const openCpu: Record<"stock" | "served", number[]> = { stock: [], served: [] };
    const before = { ...pair.runtime.counters };
    let warmUpLine = "";
    /** --warm-up: the digests' wall ms per turn (what the turn waits on: the worker's hashing included). */
    const digestWall: number[] = [];
    /** The served digests' main-thread CPU ms per turn (Node 23.9+): the busy rows' wall also counts descheduling. */
    const digestCpu: number[] = [];
    /** The digests of one turn, their thread CPU kept for the served side. */
    const digestsOf = async (name: "stock" | "served", fn: ((path: string) => Promise<unknown>) | undefined, path: string): Promise<void> => {
      const cpu0 = threadCpuMs();
      for (let i = 0; fn && i < digests; i++) await fn(path);
      if (hasThreadCpu && name === "served" && fn) digestCpu.push(threadCpuMs() - cpu0);
    };
    for (const name of values["served-only"] ? (["served"] as const) : (["stock", "served"] as const)) {
      const side: Side = pair[name];
      const path = files[name];
      writeFileSync(path, text);
      const published: Snapshot[] = [];
      // Counts the manager's (re-)loads: the open's, and the re-load after an append the cache could not verify.
      const proto = (side.SM as unknown as { prototype: Record<string, (...a: unknown[]) => unknown> }).prototype;
      const setLoaded = proto.setLoadedSessionFile!;
      let loads = 0;
      proto.setLoadedSessionFile = function (this: unknown, ...a: unknown[]) {
        loads++;
        return setLoaded.apply(this, a);
      };
      if (values["first-start-warm-up"] && name === "served") {
        const rt = pair.runtime as unknown as {
          runRestartWarmUp?: (list: { path: string; savedMs: number; size: number; unindexed: boolean }[], helpers: object) => Promise<void>;
          warmUpHelpers?: () => object | undefined;
          warmUpStats?: { ms: number };
        };
        if (!rt.runRestartWarmUp) throw new Error("--first-start-warm-up: the runtime has no runRestartWarmUp");
        const ms0 = rt.warmUpStats?.ms ?? 0;
        const elu = performance.eventLoopUtilization();
        // Its pauses are unref'd timers (they never keep a gateway alive): this keeps the bench's loop alive meanwhile.
        const alive = setInterval(() => {}, 1000);
        await rt.runRestartWarmUp([{ path, savedMs: Date.now(), size: Buffer.byteLength(text), unindexed: true }], rt.warmUpHelpers?.() ?? {}).finally(() => clearInterval(alive));
        warmUpLine = `first-start warm-up before turn 0: main-thread busy ${performance.eventLoopUtilization(elu).active.toFixed(1)} ms, its counted blocks ${((rt.warmUpStats?.ms ?? 0) - ms0).toFixed(1)} ms`;
      } else if (warmUp) {
        const rt = pair.runtime as unknown as Runtime;
        // The gateway before the restart, in a process of its own; this one restarts on its index.
        const indexDir = join(dir, "index");
        mkdirSync(indexDir, { mode: 0o700 });
        execFileSync(process.execPath, [...process.execArgv, process.argv[1]!, ...process.argv.slice(2), "--seed-index", indexDir, "--file", path], { stdio: ["ignore", "ignore", "inherit"] });
        await rt.configureOpenClawPool({ indexDir });
        rt.setJudgeRelease(version);
        // Its timers are unref'd (a gateway keeps its process alive; this interval keeps this one alive).
        const alive = setInterval(() => {}, 1000);
        await rt.runRestartWarmUp([{ path: resolve(path), savedMs: 0, size: 1 }], rt.warmUpHelpers()!);
        // The first message after the warm-up is done (real gateway: 5 of 5 warmed before it), its worker work included.
        await new Promise((done) => setTimeout(done, Number(values["quiet-ms"])));
        clearInterval(alive);
        if (rt.warmUpStats.warmedUp !== 1) throw new Error(`the warm-up did not build the transcript: ${JSON.stringify(rt.warmUpStats)}`);
        own.discardTurn(); // the warm-up's own calls are not turn 0's
      }
      for (let turn = 0; turn < turns; turn++) {
        const loadsBefore = loads;
        const turnCpu0 = threadCpuMs();
        persistedCpuNow = persistedWallNow = 0;
        side.cache.delete(resolve(path));
        mark(`turn${turn} repair`);
        if (repair && warmUp) {
          // As the run path calls it: with the lock's trusted snapshot of a file this process wrote last (the
          // previous turn's rewrite), which OpenClaw's incremental repair needs (a cached file without it gets
          // stock's whole-file pass). After the restart the lock trusts nothing yet: none on turn 0.
          const trustedSnapshot = turn > 0 ? await (repair.helpers.readSessionRepairSnapshot as ((f: string) => Promise<unknown>) | undefined)?.(resolve(path)) : undefined;
          results[name].repair.push(await busy(() => repair.ctxc({ sessionFile: path, ...(trustedSnapshot ? { trustedSnapshot } : {}), debug: () => {}, warn: () => {} })));
        } else if (repair) {
          // Every turn, as a gateway's attempt runs it (turn 0 rewrites the seeded file; the header rewrite
          // then drops the release's repair cache, so turn 1's pass is a check of the file as rewritten).
          // Main-thread busy ms of the pass (it awaits its reads and its write): event-loop utilisation.
          const elu = performance.eventLoopUtilization();
          const got = (await (name === "stock" ? repair.openclaw : repair.ctxc)({ sessionFile: path, debug: () => {}, warn: () => {} })) as { repaired?: boolean };
          results[name].repair.push(performance.eventLoopUtilization(elu).active);
          if (turn === 0 && got?.repaired !== true) throw new Error(`${name}: the repair pass did not rewrite the seeded transcript`);
          if (turn > 0 && got?.repaired === true) throw new Error(`${name}: the repair pass rewrote the transcript again on turn ${turn}`);
        } else results[name].repair.push(0);
        mark(`turn${turn} prewarm`);
        const prewarmCpu0 = threadCpuMs();
        if (prewarm) results[name].prewarm.push(await busy(() => (name === "served" ? prewarm.ctxc : prewarm.openclaw)(path)));
        else if (name === "served") results[name].prewarm.push(await busy(() => pair.runtime.prepareSession(path)));
        else results[name].prewarm.push(0);
        if (hasThreadCpu && name === "served") prewarmCpu.push(threadCpuMs() - prewarmCpu0);
        const cpu0 = threadCpuMs();
        mark(`turn${turn} open`);
        const [sm, openMs] = timed(() => side.SM.open(path) as Manager);
        results[name].open.push(openMs);
        if (hasThreadCpu) openCpu[name].push(threadCpuMs() - cpu0);
        if (values.evict) side.cache.delete(resolve(path));
        const fn = digest && (name === "stock" ? digest.openclaw : digest.ctxc);
        // 2026.7.35's order: the session fence's digests and the recent conversation before the run appends.
        if (warmUp) {
          mark(`turn${turn} digests`);
          const t0 = performance.now();
          results[name].digests.push(await busy(() => digestsOf(name, fn, path)));
          digestWall.push(performance.now() - t0);
          mark(`turn${turn} recent`);
          results[name].recent.push(await busy(async () => {
            for (let i = 0; i < Number(values.recent); i++) await recent!.ctxc(path, { limit: 10 });
          }));
        } else results[name].recent.push(0);
        if (turn === 0 && !values.restart) {
          // prepareSessionManagerForRun with a changed cwd: writeJsonlLines (async write, not timed) + syncSnapshotAfterHeaderRewrite.
          (sm.fileEntries as Record<string, unknown>[]).find((e) => e.type === "session")!.cwd = `/workspace/${name}`;
          const [lines, serialiseMs] = timed(() => sm.getSerializedFileLinesForRewrite() as string[]);
          results[name].serialise.push(serialiseMs);
          const content = `${lines.join("\n")}\n`;
          writeFileSync(path, content);
          results[name]["header rewrite"].push(timed(() => sm.syncSnapshotAfterHeaderRewrite(content))[1]);
        }
        await pair.withOwnedWrites(ownedContext(path, published), () => {
          mark(`turn${turn} appends`);
          results[name].appends.push(
            timed(() => {
              sm.appendMessage({ role: "user", content: `turn ${turn}: one more question`, timestamp: Date.now() });
              sm.appendMessage({ role: "assistant", content: [{ type: "text", text: `reply ${turn}` }], api: "a", provider: "p", model: "m", stopReason: "stop", timestamp: Date.now() });
            })[1],
          );
          mark(`turn${turn} rewriteFile`);
          results[name].rewriteFile.push(timed(() => sm.rewriteFile())[1]);
          mark(`turn${turn} end`);
        });
        if (!warmUp) {
          mark(`turn${turn} digests`);
          results[name].digests.push(await busy(() => digestsOf(name, fn, path)));
        }
        if (name === "served") {
          own.endTurn();
          if (hasThreadCpu) turnCpu.push(threadCpuMs() - turnCpu0);
          persistedCpu.push(persistedCpuNow);
          persistedWall.push(persistedWallNow);
        }
        results[name].setLoadedSessionFile.push(loads - loadsBefore);
        await new Promise((r) => setImmediate(r)); // the prepared read is released after the open
      }
      proto.setLoadedSessionFile = setLoaded;
    }
    const c = pair.runtime.counters as unknown as Record<string, number>;
    const did = Object.keys(before)
      .filter((k) => c[k] !== (before as unknown as Record<string, number>)[k])
      .map((k) => `${k}=${c[k]! - (before as unknown as Record<string, number>)[k]!}`)
      .join(" ");
    const mode = [values.restart ? "after a restart (no header rewrite)" : "", warmUp ? "after the restart warm-up (repair check, prewarm, open, digests, recent reads, appends, rewrite)" : "", values.evict ? "OpenClaw's cache evicted after each open" : "", values.repair ? "a seeded transcript the repair rewrites" : "", values["first-start-warm-up"] ? "the first-start warm-up first" : ""].filter(Boolean).join(", ");
    console.log(`OpenClaw ${version}, node ${process.version}, ${values.mb} MB generated transcript, ${turns} turns${mode ? `, ${mode}` : ""}; runtime ${runtimeUrl}${workersJudge ? " (image lines judged in the workers)" : ""}; load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
    console.log(`main-thread ms: turn 0${values.restart ? "" : " (header rewrite)"} / median of turns 1…`);
    console.log("| phase | stock turn 0 | stock later | served turn 0 | served later |");
    console.log("|---|---:|---:|---:|---:|");
    const row = (label: string, pick: (r: Record<Counted, number[]>, t: number) => number, digits = 1) => {
      const later = (r: Record<Counted, number[]>) => median(Array.from({ length: turns - 1 }, (_, i) => pick(r, i + 1)));
      const first = (r: Record<Counted, number[]>) => (r.open.length ? pick(r, 0) : 0);
      console.log(`| ${label} | ${first(results.stock).toFixed(digits)} | ${(results.stock.open.length ? later(results.stock) : 0).toFixed(digits)} | ${pick(results.served, 0).toFixed(digits)} | ${later(results.served).toFixed(digits)} |`);
    };
    const ms = (r: Record<Counted, number[]>, ph: Phase, t: number) => (ph === "header rewrite" || ph === "serialise" ? (t === 0 ? (r[ph][0] ?? 0) : 0) : (r[ph][t] ?? 0));
    for (const ph of PHASES) row(ph, (r, t) => ms(r, ph, t));
    row("**turn**", (r, t) => PHASES.reduce((sum, ph) => sum + ms(r, ph, t), 0));
    row("setLoadedSessionFile calls", (r, t) => r.setLoadedSessionFile[t]!, 0);
    for (const name of ["stock", "served"] as const) console.log(`${name} open per turn (ms): ${results[name].open.map((x) => x.toFixed(1)).join(", ")}`);
    if (values.repair) for (const name of ["stock", "served"] as const) console.log(`${name} repair pass per turn, main-thread busy (ms): ${results[name].repair.map((x) => x.toFixed(1)).join(", ")}`);
    for (const name of ["stock", "served"] as const) if (openCpu[name].length) console.log(`${name} open per turn, thread CPU (ms): ${openCpu[name].map((x) => x.toFixed(1)).join(", ")}`);
    if (prewarmCpu.length) console.log(`served prewarm per turn, thread CPU (ms): ${prewarmCpu.map((x) => x.toFixed(2)).join(", ")}`);
    if (turnCpu.length) console.log(`served turn, thread CPU (ms; every phase, OpenClaw's functions included): ${turnCpu.map((x) => x.toFixed(1)).join(", ")}`);
    if (turnCpu.length) console.log(`served getPersistedFileEntries (OpenClaw's, in the rewrite), thread CPU (ms): ${persistedCpu.map((x) => x.toFixed(2)).join(", ")}; wall (ms): ${persistedWall.map((x) => x.toFixed(2)).join(", ")}`);
    if (digestCpu.length) console.log(`served digests per turn, thread CPU (ms): ${digestCpu.map((x) => x.toFixed(1)).join(", ")}`);
    if (digestWall.length) console.log(`served digests per turn, wall (ms): ${digestWall.map((x) => x.toFixed(1)).join(", ")}`);
    console.log(`served side did: ${did}`);
    if (warmUpLine) console.log(warmUpLine);
    unwrapHandlers();
    unwrapMethods();
    // Synchronous parts only (self-times.ts): what an async handler does after its first await — the repair
    // pass's image judge once the worker answered — is in the first table's busy rows, not here.
    console.log(`\nctxc's own main-thread ms per handler (served side; OpenClaw's functions it calls excluded; up to each call's return, an async handler's continuation not included): turn 0 / median of turns 1…; calls per later turn`);
    console.log("| handler | turn 0 | later | calls/turn |\n|---|---:|---:|---:|");
    for (const r of own.rows()) console.log(`| ${r.name} | ${r.first.toFixed(2)} | ${r.later.toFixed(2)} | ${r.calls} |`);
  } finally {
    removeIntercepted();
    pair.dispose();
    rmSync(dir, { recursive: true, force: true });
    const { closeOpenClawPool } = (await import(runtimeUrl.replace(/preload-runtime\.js$/, "index.js"))) as { closeOpenClawPool?: () => Promise<void> };
    await closeOpenClawPool?.();
  }
}

if (values["seed-index"]) await seedIndex(values["seed-index"], values.file!);
else await main();
