/**
 * The persistent index (cacheDir) as a security boundary (issue 16, SECURITY.md):
 * - a cacheDir that is not private — a symlink, another user's, writable by group or others, under a
 *   parent others can write (not sticky), or swapped after the compiler checked it — is refused: no index
 *   is read or written there, every build reports INDEX_IGNORED with the reason (no line: it is not
 *   about a place in the transcript), and `cacheDirRequired` / `--cache-required` make it a coded error;
 * - an index holds none of the transcript's text: no message, thinking, tool or summary text, no header
 *   cwd, no transcript path, no quoted line — only structure and hashes — yet a restarted compiler still
 *   resumes from it, with the same context, cwd and session id as a fresh build; the same holds for the
 *   OpenClaw session read's index (the preload's, issue 11);
 * - the append check read back from the hashes still catches a change in the head window, the tail
 *   window, a truncation and a replacement; an index of the old format (v1: bytes) is ignored, reported.
 * The ownership cases use uid 65534 (chown as root); what another user can actually read is in
 * test/reliability/private-files.test.ts.
 */
import { appendFileSync, chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { indexFile } from "../../native-free-workers/session/persistent-index.js";
import { SessionReadCache, encodeSessionBuffer } from "../../native-free-workers/openclaw/session-buffer.js";
import { sessionIndexFile } from "../../native-free-workers/openclaw/session-index.js";
import { checkPrivateDir } from "../../native-free-workers/session/private-dir.js";
import { decodeSession } from "../../src/openclaw/index.js";
import { createCompiler, CtxcError, type CompiledContext, type CompilerOptions } from "../../src/index.js";
import { DIST_CLI, DIST_INDEX, nobodyUnavailable, runNode } from "../support/child.js";
import { assistant, chain, header, jsonl, msg, toolCall, toolResult, user } from "../support/transcript-builder.js";
import { tempDir } from "../support/tmp.js";

const dir = tempDir("index-security");
/** Cases that hand a file or directory to another user (chown) need root; elsewhere they are skipped. */
const AS_ROOT = process.getuid?.() === 0;

/** Builds without any index, for the expected context (one compiler for the whole file). */
const plain = createCompiler({ threads: 1 });
afterAll(() => plain.close());

async function once(transcript: string, options: CompilerOptions): Promise<CompiledContext> {
  if (options.cacheDir === undefined) {
    await plain.forget(transcript);
    return plain.build({ transcript });
  }
  const compiler = createCompiler({ threads: 1, ...options });
  try {
    return await compiler.build({ transcript });
  } finally {
    await compiler.close();
  }
}

let n = 0;
function transcriptFile(text: string): string {
  const path = join(dir, `t${++n}.jsonl`);
  writeFileSync(path, text);
  return path;
}

const SIMPLE = jsonl(chain([msg(user("hello there")), msg(assistant([{ type: "text", text: "hi" }]))]));

const ignored = (ctx: CompiledContext) => ctx.diagnostics.filter((d) => d.code === "INDEX_IGNORED");

/** Builds through a refused cacheDir: reported, nothing written, and the context is the same as without. */
async function expectRefused(cacheDir: string, reason: RegExp): Promise<void> {
  const path = transcriptFile(SIMPLE);
  const before = (() => {
    try {
      return readdirSync(cacheDir);
    } catch {
      return null;
    }
  })();
  const ctx = await once(path, { cacheDir });
  expect(ctx.meta.build.index).toBe("refused");
  const reports = ignored(ctx);
  expect(reports).toHaveLength(1);
  expect(reports[0]!.message).toMatch(reason);
  expect(reports[0]!.line).toBe(0);
  expect(reports[0]!.offset).toBe(0);
  expect([...ctx.messages]).toStrictEqual([...(await once(path, {})).messages]);
  // Nothing was written there (the listing is what it was).
  let after: string[] | null;
  try {
    after = readdirSync(cacheDir);
  } catch {
    after = null;
  }
  expect(after).toEqual(before);
  // Required: the compiler refuses to start.
  let thrown: unknown;
  try {
    createCompiler({ threads: 1, cacheDir, cacheDirRequired: true });
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(CtxcError);
  expect((thrown as CtxcError).code).toBe("CACHE_DIR_REFUSED");
  expect((thrown as CtxcError).message).toMatch(reason);
}

function privateDir(name: string): string {
  const d = join(dir, name);
  mkdirSync(d, { mode: 0o700 });
  return d;
}

describe("a cacheDir that is not private is refused and reported", () => {
  it("a symlink (even to a private directory of ours)", async () => {
    const real = privateDir("real-target");
    const link = join(dir, "link-cache");
    symlinkSync(real, link);
    await expectRefused(link, /is a symbolic link/);
    expect(readdirSync(real)).toEqual([]);
  });

  it("writable by group, or by others", async () => {
    for (const mode of [0o770, 0o702, 0o777]) {
      const d = privateDir(`open-${mode.toString(8)}`);
      chmodSync(d, mode);
      await expectRefused(d, new RegExp(`writable by group or others \\(mode 0${mode.toString(8)}\\)`));
    }
  });

  it.skipIf(!AS_ROOT)("owned by another user", async () => {
    const d = privateDir("foreign");
    chownSync(d, 65534, 65534);
    await expectRefused(d, /owned by uid 65534, not by the current user/);
  });

  it.skipIf(!AS_ROOT)("under a parent others can write (not sticky), or owned by another user; a sticky one like /tmp is fine", async () => {
    const open = privateDir("open-parent");
    chmodSync(open, 0o777);
    await expectRefused(join(open, "cache"), /parent .*open-parent is writable by group or others and not sticky/);
    const foreign = privateDir("foreign-parent");
    chownSync(foreign, 65534, 65534);
    await expectRefused(join(foreign, "cache"), /parent .*foreign-parent is owned by uid 65534/);

    const sticky = privateDir("sticky-parent");
    chmodSync(sticky, 0o1777);
    const ctx = await once(transcriptFile(SIMPLE), { cacheDir: join(sticky, "cache") });
    expect(ctx.meta.build.index).toBe("none");
    expect(ignored(ctx)).toEqual([]);
    expect(readdirSync(join(sticky, "cache"))).toHaveLength(1);
  });

  it("not a directory", async () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "");
    await expectRefused(file, /is not a directory/);
  });

  it("checked once per compiler, re-checked per build: a cacheDir swapped for a symlink after the check is refused; one deleted is re-created 0700", async () => {
    const cacheDir = join(privateDir("swap"), "cache");
    const path = transcriptFile(SIMPLE);
    const compiler = createCompiler({ threads: 1, cacheDir });
    try {
      expect((await compiler.build({ transcript: path })).meta.build.index).toBe("none");
      await compiler.forget(path);
      // Deleted (a tmp cleaner): created again, private, and used.
      rmSync(cacheDir, { recursive: true });
      const recreated = await compiler.build({ transcript: path });
      expect(ignored(recreated)).toEqual([]);
      expect(readdirSync(cacheDir)).toHaveLength(1);
      await compiler.forget(path);
      // Swapped for a symlink to a directory someone else prepared (index planted there): not used.
      const planted = privateDir("planted");
      renameSync(cacheDir, join(dir, "swap", "moved-away"));
      symlinkSync(planted, cacheDir);
      const swapped = await compiler.build({ transcript: path });
      expect(swapped.meta.build.index).toBe("refused");
      expect(ignored(swapped)[0]!.message).toMatch(/is a symbolic link/);
      expect(readdirSync(planted)).toEqual([]);
    } finally {
      await compiler.close();
    }
    // The same with the index required: the build fails with the coded error.
    const strict = createCompiler({ threads: 1, cacheDir: join(dir, "swap", "moved-away"), cacheDirRequired: true });
    try {
      await strict.build({ transcript: path });
      chmodSync(join(dir, "swap", "moved-away"), 0o777);
      await expect(strict.build({ transcript: transcriptFile(SIMPLE) })).rejects.toMatchObject({ code: "CACHE_DIR_REFUSED" });
    } finally {
      await strict.close();
    }
  });

  const nobody = nobodyUnavailable();
  if (nobody) console.warn(`persistent-index-security: the as-nobody case is skipped: ${nobody}`);

  it.skipIf(nobody !== null)("as a non-root user (nobody): a root-owned cacheDir is refused; one of its own is used, its index 0600 and its own", async () => {
    const home = join(dir, "nobody-home");
    mkdirSync(home, { mode: 0o700 });
    chownSync(home, 65534, 65534);
    chmodSync(dir, 0o755); // reachable by nobody
    const path = transcriptFile(SIMPLE);
    chmodSync(path, 0o644);
    const rootOwned = privateDir("root-owned");
    chmodSync(rootOwned, 0o755);
    const script = `
      const { createCompiler } = await import(${JSON.stringify(DIST_INDEX)});
      const out = {};
      for (const [name, cacheDir] of [["root", ${JSON.stringify(rootOwned)}], ["own", ${JSON.stringify(join(home, "cache"))}]]) {
        const c = createCompiler({ threads: 1, cacheDir });
        const ctx = await c.build({ transcript: ${JSON.stringify(path)} });
        out[name] = { index: ctx.meta.build.index, ignored: ctx.diagnostics.filter((d) => d.code === "INDEX_IGNORED").map((d) => d.message), messages: ctx.messageCount };
        await c.close();
      }
      console.log(JSON.stringify(out));`;
    const r = await runNode(["--input-type=module", "-e", script], { asNobody: true });
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout);
    expect(out.root.index).toBe("refused");
    expect(out.root.ignored[0]).toMatch(/is owned by uid 0, not by the current user \(uid 65534\)/);
    expect(out.root.messages).toBe(2);
    expect(readdirSync(rootOwned)).toEqual([]);
    expect(out.own).toEqual({ index: "none", ignored: [], messages: 2 });
    const cache = join(home, "cache");
    const { statSync } = await import("node:fs");
    expect(statSync(cache).mode & 0o7777).toBe(0o700);
    expect(statSync(cache).uid).toBe(65534);
    const file = indexFile(cache, path);
    expect(statSync(file).mode & 0o7777).toBe(0o600);
    expect(statSync(file).uid).toBe(65534);
  });

  it("CLI: reported in the diagnostics and still built; --cache-required exits 1 with CACHE_DIR_REFUSED", async () => {
    const d = privateDir("cli-open");
    chmodSync(d, 0o777);
    const path = transcriptFile(SIMPLE);
    const ok = await runNode([DIST_CLI, "build", path, "--cache", d]);
    expect(ok.code).toBe(0);
    const json = JSON.parse(ok.stdout) as { messages: unknown[]; diagnostics: { code: string; message: string }[] };
    expect(json.messages).toHaveLength(2);
    expect(json.diagnostics.find((x) => x.code === "INDEX_IGNORED")?.message).toMatch(/writable by group or others/);
    const strict = await runNode([DIST_CLI, "build", path, "--cache", d, "--cache-required"]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toMatch(/^ctxc: cacheDir .* is writable by group or others \(mode 0777\); refused .*\[CACHE_DIR_REFUSED\]\n$/);
    expect(readdirSync(d)).toEqual([]);
  });
});

describe("an index holds structure, not the conversation", () => {
  // Distinctive strings in every place a transcript carries text.
  const SECRETS = {
    cwd: "/home/Zebra7Q3cwd/projects",
    user: "Marmalade91X user text",
    assistant: "Quokka27B assistant text",
    thinking: "Narwhal55K thinking text",
    toolArg: "Axolotl13M tool argument",
    toolResult: "Pangolin68Z tool result",
    compaction: "Okapi40T compaction summary",
    branch: "Tapir82R branch summary",
    custom: "Ibex66D custom message",
    malformed: "Kakapo19W malformed line",
    label: "Dugong31V label text",
  };
  const entries = chain(
    [
      msg(user(`please look at ${SECRETS.user}`)),
      msg(assistant([{ type: "thinking", thinking: SECRETS.thinking }, toolCall("call_1", "read", { path: SECRETS.toolArg })])),
      msg(toolResult("call_1", SECRETS.toolResult)),
      { type: "custom_message", customType: "note", content: SECRETS.custom, display: true },
      { type: "label", targetId: "e1", label: SECRETS.label },
      { type: "compaction", summary: SECRETS.compaction, firstKeptEntryId: "e3", tokensBefore: 1000 },
      { type: "branch_summary", fromId: "e2", summary: SECRETS.branch },
      msg(assistant([{ type: "text", text: SECRETS.assistant }])),
    ],
    header({ cwd: SECRETS.cwd, id: "sess-secret-header" }),
  );
  const text = jsonl([...entries.slice(0, 3), `${SECRETS.malformed}, not JSON`, ...entries.slice(3)]);

  it("no message, thinking, tool, summary, label or malformed-line text, no cwd, no path — and a restart still resumes with the same context", async () => {
    const cacheDir = join(privateDir("content"), "cache");
    const path = transcriptFile(text);
    const first = await once(path, { cacheDir });
    expect(first.diagnostics.map((d) => d.code)).toContain("MALFORMED_LINE");
    expect(first.diagnostics.find((d) => d.code === "MALFORMED_LINE")!.message).not.toContain(SECRETS.malformed);
    const bytes = readFileSync(indexFile(cacheDir, path));
    // Base64 anywhere in it decoded too (v1 kept the head and tail windows as base64).
    const decoded = [...bytes.toString("utf8").matchAll(/"([A-Za-z0-9+/]{16,}={0,2})"/g)].map((m) => Buffer.from(m[1]!, "base64").toString("latin1"));
    const haystack = [bytes.toString("utf8"), bytes.toString("latin1"), ...decoded].join("\n");
    for (const [where, secret] of Object.entries(SECRETS)) {
      expect(haystack.includes(secret), `${where} text in the index`).toBe(false);
      // V8's JSON.parse message quotes a line's first ten characters.
      const word = /[A-Z][a-z]+\d+[A-Z]/.exec(secret)![0];
      expect(haystack.includes(word), `${where} text (its first word) in the index`).toBe(false);
    }
    expect(haystack.includes(path)).toBe(false);

    appendFileSync(path, jsonl([msg(user("one more"), { id: "e9", parentId: "e8" })]));
    const restarted = await once(path, { cacheDir });
    expect(restarted.meta.build.index).toBe("disk");
    expect(restarted.meta.build.rebuilt).toBeNull();
    const fresh = await once(path, {});
    expect([...restarted.messages]).toStrictEqual([...fresh.messages]);
    expect(restarted.diagnostics).toEqual(fresh.diagnostics);
    expect(restarted.meta.transcript).toEqual(fresh.meta.transcript);
    expect(restarted.meta.transcript.cwd).toBe(SECRETS.cwd);
    expect(restarted.meta.transcript.sessionId).toBe("sess-secret-header");
  });

  it("the OpenClaw session read's index (the preload's, under the state dir) holds none of it either — and a restart still resumes with the same session", () => {
    const index = checkPrivateDir(join(privateDir("session-read"), "index"));
    if (!index.ok) throw new Error(index.reason);
    const setting = { dir: index.path, check: { identity: { dev: index.dev, ino: index.ino } } };
    const path = transcriptFile(text);
    const first = decodeSession(encodeSessionBuffer(path, {}, new SessionReadCache(undefined, setting)));
    expect(first.meta.diagnostics.map((d) => d.code)).toContain("MALFORMED_LINE");
    const bytes = readFileSync(sessionIndexFile(index.path, path));
    const haystack = [bytes.toString("utf8"), bytes.toString("latin1")].join("\n");
    for (const [where, secret] of Object.entries(SECRETS)) {
      expect(haystack.includes(secret), `${where} text in the session index`).toBe(false);
      const word = /[A-Z][a-z]+\d+[A-Z]/.exec(secret)![0];
      expect(haystack.includes(word), `${where} text (its first word) in the session index`).toBe(false);
    }
    expect(haystack.includes(path)).toBe(false);

    appendFileSync(path, jsonl([msg(user("one more"), { id: "e9", parentId: "e8" })]));
    const restarted = decodeSession(encodeSessionBuffer(path, {}, new SessionReadCache(undefined, setting)));
    expect(restarted.meta.index).toBe("disk");
    expect(restarted.meta.readFrom).toBe(Buffer.byteLength(text));
    const fresh = decodeSession(encodeSessionBuffer(path));
    expect(restarted.getCwd()).toBe(SECRETS.cwd);
    expect(restarted.getSessionId()).toBe("sess-secret-header");
    expect(restarted.getEntries()).toEqual(fresh.getEntries());
    expect(restarted.buildSessionContext()).toEqual(fresh.buildSessionContext());
    expect(restarted.meta.diagnostics).toEqual(fresh.meta.diagnostics);
  });

  it("the append check from hashes catches a change in the head window, the tail window, a truncation, a replacement", async () => {
    // Larger than both windows together, so a head change and a tail change are each seen by one window only.
    const padding = Array.from({ length: 30 }, (_, i) => msg(user(`filler ${i} ${"x".repeat(500)}`)));
    const big = jsonl(chain([msg(user("hello there")), ...padding, msg(assistant([{ type: "text", text: "the final words" }]))]));
    expect(Buffer.byteLength(big)).toBeGreaterThan(3 * 4096);
    const cases: [string, (path: string, original: string) => void, string][] = [
      ["head byte", (p, t) => writeFileSync(p, t.replace("hello there", "hello thare")), "disk-stale"],
      ["tail byte", (p, t) => writeFileSync(p, t.replace("the final words", "the final wordz")), "disk-stale"],
      ["truncated", (p, t) => writeFileSync(p, t.slice(0, t.length - 10)), "disk-stale"],
      ["replaced (same bytes, new inode)", (p, t) => (writeFileSync(`${p}.new`, t), renameSync(`${p}.new`, p)), "disk-stale"],
      ["appended only", (p) => appendFileSync(p, jsonl([msg(user("more"), { id: "e99", parentId: "e32" })])), "disk"],
    ];
    // One compiler: forget() drops its in-memory state, so each second build starts from the index on disk.
    mkdirSync(join(dir, "append-check"), { mode: 0o700 });
    const compiler = createCompiler({ threads: 1, cacheDir: join(dir, "append-check", "cache") });
    try {
      for (const [name, change, source] of cases) {
        const path = transcriptFile(big);
        await compiler.build({ transcript: path });
        await compiler.forget(path);
        change(path, big);
        const after = await compiler.build({ transcript: path });
        expect(after.meta.build.index, name).toBe(source);
        expect([...after.messages], name).toStrictEqual([...(await once(path, {})).messages]);
        if (source === "disk-stale") expect(ignored(after)[0]!.message, name).toMatch(/stale/);
      }
    } finally {
      await compiler.close();
    }
  });

  it("an index of the old format (v1, with the bytes) is ignored and reported, then replaced by a 0600 file of the current version", async () => {
    const cacheDir = join(privateDir("old-format"), "cache");
    const path = transcriptFile(SIMPLE);
    await once(path, { cacheDir });
    const file = indexFile(cacheDir, path);
    const v2 = JSON.parse(readFileSync(file, "utf8"));
    writeFileSync(file, JSON.stringify({ ...v2, version: 1, transcript: path, identity: { dev: 0, ino: 0, head: "aGVsbG8=", tail: "aGVsbG8=" } }), { mode: 0o644 });
    chmodSync(file, 0o644);
    const after = await once(path, { cacheDir });
    expect(after.meta.build.index).toBe("disk-corrupt");
    expect(ignored(after)[0]!.message).toMatch(/format version 1, not 4/);
    expect(JSON.parse(readFileSync(file, "utf8")).version).toBe(4);
    expect((await import("node:fs")).statSync(file).mode & 0o777).toBe(0o600);
  });

  it.skipIf(!AS_ROOT)("an index file that is a symlink or another user's is not read", async () => {
    for (const plant of ["symlink", "foreign"] as const) {
      const cacheDir = join(privateDir(`planted-${plant}`), "cache");
      const path = transcriptFile(SIMPLE);
      await once(path, { cacheDir });
      const file = indexFile(cacheDir, path);
      if (plant === "symlink") {
        renameSync(file, `${file}.real`);
        symlinkSync(`${file}.real`, file);
      } else {
        chownSync(file, 65534, 65534);
      }
      const after = await once(path, { cacheDir });
      expect(after.meta.build.index, plant).toBe("disk-corrupt");
      expect(ignored(after)[0]!.message, plant).toMatch(/unreadable/);
    }
  });
});
