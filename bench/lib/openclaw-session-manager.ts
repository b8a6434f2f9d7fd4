/**
 * OpenClaw's vendored SessionManager (2026.6.9+ `dist/session-manager-*.js`) twice in one process, for
 * the rewrite-as-append differential test (test/matrix/rewrite-append.test.ts) and benchmark
 * (bench/openclaw-rewrite.ts): the chunk untouched (stock) and the chunk as the preload serves it, each
 * a copy written next to the real chunk (so its relative imports are the real ones) with the bindings
 * both inspect exported. Also the release's owned-write context (appends advance OpenClaw's cache,
 * snapshots are published, as in a gateway run) and ctxc's entry cache filled as its contract says.
 * 2026.5.28–6.8 (`loadEntriesFromFile` behind the open): both SessionManagers, {@link loadCopyingSessionManagers}.
 */
import { readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { locateRelease } from "../../src/openclaw/release/locate.js";
import { planRelease } from "../../src/openclaw/release/plan.js";
import { importInterceptedWith } from "./openclaw-intercepted.js";
import { rewrittenCopyPath } from "./rewritten-copy.js";

/** OpenClaw's file snapshot (bigint stat fields). */
export type Snapshot = { dev: bigint; ino: bigint; size: bigint; mtimeNs: bigint; ctimeNs: bigint };
/** One entry of OpenClaw's `sessionEntriesCache`. */
export type CacheEntry = { snapshot: Snapshot; entries: Record<string, unknown>[]; endsWithNewline: boolean };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Manager = any;

/** One module instance of the session-manager chunk, with the bindings compared. */
export interface Side {
  SM: { open(path: string): Manager };
  cache: Map<string, CacheEntry>;
  repair: Map<string, unknown>;
  /** The chunk's `repairSessionFileIfNeeded` (the turn's repair pass; served: ctxc's), where the chunk has it. */
  repairFile?: (params: Record<string, unknown>) => Promise<Record<string, unknown>>;
}

/** Both instances, or why the release has no served rewrite. */
export interface SessionManagerPair {
  stock: Side;
  served: Side;
  /** The preload runtime the served chunk calls (counters, the entry cache). */
  runtime: typeof import("../../src/openclaw/preload-runtime.js");
  /** The release's `withOwnedSessionTranscriptWrites(context, run)`. */
  withOwnedWrites: (context: unknown, run: () => unknown) => Promise<unknown>;
  /** Removes the copies written next to the real chunk. */
  dispose(): void;
}

const side = (mod: Record<string, unknown>): Side => ({ SM: mod.__t_SM as Side["SM"], cache: mod.__t_cache as Side["cache"], repair: mod.__t_repair as Side["repair"], repairFile: mod.__t_repairFile as Side["repairFile"] });

/**
 * Loads stock and served copies of the release at `root` (runtime: the built preload-runtime.js URL; `tag`
 * names the copies, so one process can load pairs for two runtimes: bench/first-load-ab.ts).
 */
export async function loadSessionManagerPair(root: string, version: string, runtimeUrl: string, tag = ""): Promise<SessionManagerPair | string> {
  const found = locateRelease(root, version);
  const plan = planRelease(found, runtimeUrl, true);
  if (typeof plan === "string") return plan;
  const real = found.functions.get("rememberWrittenSessionEntries")?.[0]?.file;
  const servedSource = real ? plan.chunks[pathToFileURL(real).href] : undefined;
  if (!real || !servedSource?.includes("rewriteFile$openclaw")) return `rewrite not served: ${plan.stock.find((s) => s.includes("rewriteFile")) ?? "no rewriteFile"}`;
  const written: string[] = [];
  const importCopy = async (source: string, side: string) => {
    const file = rewrittenCopyPath(real, process.pid, `${side}${tag}`);
    const repairFile = source.includes("async function repairSessionFileIfNeeded(") ? ", repairSessionFileIfNeeded as __t_repairFile" : "";
    writeFileSync(file, `${source}\nexport { SessionManager as __t_SM, sessionEntriesCache as __t_cache, sessionRepairCache as __t_repair${repairFile} };\n`);
    written.push(file);
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  };
  const dispose = () => {
    for (const f of written.splice(0)) rmSync(f, { force: true });
  };
  try {
    const servedMod = await importCopy(servedSource, "served");
    const stockMod = await importCopy(readFileSync(real, "utf8"), "stock");
    // The write-context chunk both copies import (one instance: the real file).
    const writeChunk = found.functions.get("writeJsonlEntriesSync")![0]!.file;
    const alias = /\bwithOwnedSessionTranscriptWrites as (\w+)\b/.exec(readFileSync(writeChunk, "utf8"))?.[1];
    if (!alias) throw new Error(`no withOwnedSessionTranscriptWrites export in ${writeChunk}`);
    const withOwnedWrites = (await import(pathToFileURL(writeChunk).href))[alias] as SessionManagerPair["withOwnedWrites"];
    return { stock: side(stockMod), served: side(servedMod), runtime: servedMod.__ctxcRuntime as SessionManagerPair["runtime"], withOwnedWrites, dispose };
  } catch (err) {
    dispose();
    throw err;
  }
}

/**
 * Fills ctxc's entry cache of `path` as its contract says, the way the session open will: OpenClaw's
 * own cached entries after an open of the served side (the manager shares them), deep-frozen, and
 * whether the file is exactly their serialisation. Returns that flag (false also when nothing is cached).
 */
export function fillEntryCache(pair: SessionManagerPair, path: string): boolean {
  const abs = resolve(path);
  const cached = pair.served.cache.get(abs);
  if (!cached) return false;
  const text = readFileSync(abs, "utf8");
  const st = statSync(abs);
  const entries = cached.entries.map((e) => pair.runtime.entryCache.deepFreeze(e));
  const serializedExactly = text === entries.map((e) => `${JSON.stringify(e)}\n`).join("");
  pair.runtime.entryCache.setCachedEntries(abs, { identity: { dev: st.dev, ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs }, entries, serializedExactly });
  return serializedExactly;
}

/** An owned write context for `path` (as a gateway run sets one): appends advance OpenClaw's cache; published snapshots go to `published`. */
export function ownedContext(path: string, published: Snapshot[]): Record<string, unknown> {
  return { sessionFile: path, publishSessionFileSnapshot: (snap: Snapshot) => void published.push(snap), canAdvanceSessionEntryCache: () => true, withSessionWriteLock: (f: () => unknown) => f() };
}

/** 2026.5.28–6.8's SessionManager (its open calls the chunk's own `loadEntriesFromFile`), stock and served. */
export interface CopyingSessionManagers {
  stock: { open(path: string): Manager };
  served: { open(path: string): Manager };
  /** The preload runtime the served chunk calls. */
  runtime: SessionManagerPair["runtime"];
}

/**
 * The SessionManager of a release whose open is `loadEntriesFromFile` (2026.5.28–6.8; no snapshot open):
 * the served one from the chunk as the preload serves it (bench/lib/openclaw-intercepted.ts, calling the
 * runtime at `runtimeUrl`; removed by its `removeIntercepted`), the stock one from the real chunk (no
 * loader hooks here: it runs untouched). Or why the release has none (a snapshot open, or pi's).
 */
export async function loadCopyingSessionManagers(root: string, version: string, runtimeUrl: string): Promise<CopyingSessionManagers | string> {
  const found = locateRelease(root, version);
  if (found.functions.has("loadEntriesFromFileWithSnapshot")) return "the open is the snapshot one (2026.6.9+: loadSessionManagerPair)";
  const real = found.functions.get("loadEntriesFromFile")?.[0]?.file;
  if (!real) return "no loadEntriesFromFile (2026.5.12–5.27: pi's open)";
  const x = await importInterceptedWith(root, "loadEntriesFromFile", runtimeUrl);
  if (typeof x === "string") return x;
  const classOf = (mod: Record<string, unknown>) => Object.values(mod).find((v) => typeof v === "function" && v.name === "SessionManager") as CopyingSessionManagers["stock"] | undefined;
  const served = classOf(x.module);
  const stock = classOf((await import(pathToFileURL(real).href)) as Record<string, unknown>);
  if (!served || !stock) return `no SessionManager export in ${real}`;
  return { stock, served, runtime: x.runtime };
}
