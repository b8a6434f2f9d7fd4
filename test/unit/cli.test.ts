/**
 * The `ctxc` command: outputs, what the build did, help, exit codes, and one-line coded errors that
 * name the flag and what it accepts — never a stack. Most cases run the command's code in process
 * (support/cli.ts `ctxc`); those about the process itself run the bin as a user does (`ctxcBin`,
 * `node dist/src/cli/main.js`): stdout as a pipe (JSON, binary, a reader that goes away), a terminal,
 * the exit status of each kind of failure, the version read from package.json.
 */
import { execFileSync, spawn } from "node:child_process";
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decodeContext } from "../../src/index.js";
import { piContext } from "../reference/pi-reference.js";
import { tempDir } from "../support/tmp.js";
import { ctxc, ctxcBin, expectNoStack, MAIN, type Run } from "../support/cli.js";
import { assistant, chain, header, jsonl, msg, toolCall, toolResult, user } from "../support/transcript-builder.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const dir = tempDir("cli");

/** A usage error: exit 2, nothing on stdout, the message line, then the pointer to the right --help. */
function expectUsageError(r: Run, message: RegExp, help = "ctxc build --help"): void {
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  const lines = r.stderr.split("\n");
  expect(lines).toHaveLength(3); // message, pointer, final newline
  expect(lines[0]).toMatch(/^ctxc: /);
  expect(lines[0]).toMatch(message);
  expect(lines[1]).toBe(`Try '${help}'.`);
}

const text = jsonl(
  chain([
    { type: "thinking_level_change", thinkingLevel: "high" },
    msg(user("find the bug ✓ 日本語")),
    msg(assistant([{ type: "text", text: "reading" }, toolCall("c1", "read", { path: "a.ts" })], { stopReason: "toolUse" })),
    msg(toolResult("c1", "export const a = 1;\n".repeat(50))),
    msg(assistant([{ type: "text", text: "found it 🎉" }])),
    { type: "custom_message", customType: "note", content: "remember", display: false },
  ]),
);
const transcript = join(dir, "session.jsonl");
writeFileSync(transcript, text);
const damaged = join(dir, "damaged.jsonl");
writeFileSync(damaged, `${text}{not json\n`);
const workspace = join(ROOT, "examples/workspace");

describe("ctxc build: outputs", () => {
  it("--format json (default) prints pi's messages, thinking level and model, and meta", async () => {
    const r = await ctxcBin("build", transcript);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    const pi = piContext(text);
    expect(out.messages).toStrictEqual(JSON.parse(JSON.stringify(pi.messages)));
    expect(out.thinkingLevel).toBe("high");
    expect(out.model).toStrictEqual(pi.model);
    expect(out.dropped).toBe(0);
    expect(out.diagnostics).toEqual([]);
    expect(Object.keys(out).sort()).toEqual(["diagnostics", "dropped", "messages", "meta", "model", "systemPrompt", "thinkingLevel", "tokens"]);
  });

  it("json carries meta.build: a first build is cold and parses the whole file", async () => {
    const out = JSON.parse((await ctxc("build", transcript)).stdout) as { meta: { build: Record<string, unknown>; transcript: { bytes: number }; elapsedMs: number } };
    expect(out.meta.build).toMatchObject({ rebuilt: "cold", bytesParsed: Buffer.byteLength(text), messagesTokenized: 5, index: "none" });
    expect(out.meta.transcript.bytes).toBe(Buffer.byteLength(text));
    expect(out.meta.elapsedMs).toBeGreaterThan(0);
  });

  it("--format text: a summary, the build line, a line per message", async () => {
    const r = await ctxc("build", transcript, "--format", "text", "--tokenizer", "estimate");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`transcript   ${transcript} (${Buffer.byteLength(text)} bytes, 7 entries)`);
    expect(r.stdout).toContain("thinking: high");
    expect(r.stdout).toContain("messages     5 in context, 0 dropped");
    expect(r.stdout).toMatch(new RegExp(`^build        cold \\(no earlier state for this session\\): ${Buffer.byteLength(text)} bytes parsed, 5 messages tokenized \\(\\d+ tokens counted\\), \\d+ ms$`, "m"));
    expect(r.stdout).toMatch(/^\s+0\s+user\s+\d+ tok\s+find the bug ✓ 日本語$/m);
    expect(r.stdout).toMatch(/^\s+2\s+toolResult\s/m);
    expect(r.stdout).toMatch(/^\s+4\s+custom\s/m);
  });

  it("--format buffer writes the context buffer, decodable with decodeContext", async () => {
    const r = await ctxcBin("build", transcript, "--format", "buffer", "--budget", "none");
    expect(r.code).toBe(0);
    const ab = r.raw.buffer.slice(r.raw.byteOffset, r.raw.byteOffset + r.raw.byteLength) as ArrayBuffer;
    const ctx = decodeContext(ab);
    expect([...ctx.messages]).toStrictEqual(piContext(text).messages);
    expect(ctx.meta.budget).toBeNull();
  });

  it("--out FILE writes there and prints nothing (success is silent); --budget N drops old messages", async () => {
    const out = join(dir, "out.json");
    const r = await ctxc("build", transcript, "--out", out, "--budget", "60", "--tokenizer", "estimate");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    const json = JSON.parse(readFileSync(out, "utf8")) as { messages: unknown[]; dropped: number; tokens: { total: number } };
    expect(json.dropped).toBeGreaterThan(0);
    expect(json.messages.length + json.dropped).toBe(5);
    expect(json.tokens.total).toBeLessThanOrEqual(60);
    expect(r.stderr).toBe("");
  });

  it("--cache: the next run after an append is warm and parses only the appended bytes", async () => {
    const file = join(dir, "growing.jsonl");
    const cache = join(dir, "cache-warm");
    writeFileSync(file, text);
    expect((await ctxc("build", file, "--cache", cache)).code).toBe(0);
    const appended = jsonl(chain([msg(user("and one more"), { id: "m-extra", parentId: "e6" })], null));
    appendFileSync(file, appended);
    const r = await ctxc("build", file, "--cache", cache, "--format", "text");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^build        warm \\(session state from the --cache index; only appended bytes parsed\\): ${Buffer.byteLength(appended)} bytes parsed, 1 message tokenized`, "m"));
  });

  it("--cache: a file rewritten since the index was saved is built cold, and the output says why", async () => {
    const file = join(dir, "rewritten.jsonl");
    const cache = join(dir, "cache-stale");
    writeFileSync(file, text);
    expect((await ctxc("build", file, "--cache", cache)).code).toBe(0);
    writeFileSync(file, text.replace("find the bug", "find the BUG"));
    const r = await ctxc("build", file, "--cache", cache, "--format", "text");
    expect(r.stdout).toMatch(new RegExp(`^build        cold \\(the --cache index no longer matched the file\\): ${Buffer.byteLength(text)} bytes parsed`, "m"));
    expect(r.stdout).toMatch(/^ {2}INDEX_IGNORED: persistent index for this transcript was stale/m);
  });

  it("--cache: a directory others can write is not used, and the build line says why", async () => {
    const cache = join(dir, "cache-open");
    mkdirSync(cache);
    chmodSync(cache, 0o777);
    const r = await ctxc("build", transcript, "--cache", cache, "--format", "text");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^build        cold \(the --cache directory was refused as not private; see INDEX_IGNORED\): /m);
    expect(r.stdout).toMatch(/^ {2}INDEX_IGNORED: persistent index not used: cacheDir /m);
  });

  it("damaged lines: the build succeeds, and stderr gets a one-line note (counts by code)", async () => {
    const r = await ctxc("build", damaged);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).diagnostics).toHaveLength(1);
    expect(r.stderr).toBe("ctxc: note: 1 diagnostic; MALFORMED_LINE ×1 (listed in the output)\n");
  });

  it("--quiet: nothing on stderr but errors", async () => {
    const out = join(dir, "quiet.json");
    const r = await ctxc("build", damaged, "--out", out, "-q");
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(existsSync(out)).toBe(true);
    expectUsageError(await ctxc("build", damaged, "--quiet", "--budget", "x"), /--budget/);
  });

  it("a diagnostic without a place in the file is printed without a location", async () => {
    const r = await ctxc("build", transcript, "--workspace", workspace, "--budget", "1", "--format", "text");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ {2}BUDGET_TOO_SMALL: \S/m);
    expect(r.stdout).not.toMatch(/line 0 @0/);
    const located = await ctxc("build", damaged, "--format", "text");
    expect(located.stdout).toContain("\ndiagnostics  1: MALFORMED_LINE ×1\n");
    expect(located.stdout).toContain(`  MALFORMED_LINE line 8 @${Buffer.byteLength(text)}: `);
  });

  it("a reader that closes the pipe early (`| head`) ends the run quietly", async () => {
    const child = spawn(process.execPath, [MAIN, "build", transcript], { stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.destroy(); // closed before the child writes anything: its write gets EPIPE
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});

describe("ctxc: help and version", () => {
  it("`ctxc`, `ctxc --help` and `ctxc help` print the overview with the exit codes", async () => {
    const runs = await Promise.all([ctxc(), ctxc("--help"), ctxc("help"), ctxc("-h")]);
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(runs[0]!.stdout);
    }
    expect(runs[0]!.stdout).toMatch(/^Usage: ctxc <command> \[options\]/);
    for (const code of ["0  done", "1  the build failed", "2  bad usage", "3  the output could not be written", "4  not part of this installation"]) {
      expect(runs[0]!.stdout).toContain(code);
    }
  });

  it("`ctxc help build` and `ctxc build --help` print the build page with every option and the accepted values", async () => {
    const [a, b] = await Promise.all([ctxc("help", "build"), ctxc("build", "--help")]);
    expect(a.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    expect(a.stdout).toMatch(/^Usage: ctxc build FILE \[options\]/);
    for (const s of ["--workspace", "--budget N|none", "0–4294967295", "o200k_base | cl100k_base | estimate", "default | heartbeat | cron | subagent", "json | text | buffer", "--out", "--cache", "--threads N", "1–64", "--allow-empty", "--force", "--quiet"]) {
      expect(a.stdout).toContain(s);
    }
  });

  it("`ctxc help bench` says where the suite runs", async () => {
    const r = await ctxc("help", "bench");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: ctxc bench \[--full\]/);
    expect(r.stdout).toContain("source checkout");
  });

  it("--version prints the package version", async () => {
    const version = await ctxcBin("--version");
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version);
  });
});

describe("ctxc build: input that is not a transcript", () => {
  it.each([
    ["random bytes", Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)), /no session header and no entries in \d+ lines; MALFORMED_LINE ×\d+/],
    ["package.json", readFileSync(join(ROOT, "package.json")), /no session header and no entries in \d+ lines; MALFORMED_LINE ×\d+/],
    ["one JSON object that is not an entry", Buffer.from('{"name":"ctxc","version":"1.0.0"}\n'), /no session header and no entries in 1 line; MISSING_HEADER ×1, UNKNOWN_ENTRY_TYPE ×1/],
    ["an empty file", Buffer.alloc(0), /\(empty file\)/],
  ])("%s: exit 1, NOT_A_TRANSCRIPT, one line", async (name, bytes, why) => {
    const file = join(dir, `foreign-${name.replace(/\W+/g, "-")}`);
    writeFileSync(file, bytes);
    const r = await ctxc("build", file);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(why);
    expect(r.stderr).toMatch(new RegExp(`^ctxc: not a session transcript \\(.*\\): ${file}; --allow-empty builds it anyway \\[NOT_A_TRANSCRIPT\\]\\n$`));
  });

  it("--allow-empty builds it: an empty context, exit 0", async () => {
    const file = join(dir, "empty-allowed.jsonl");
    writeFileSync(file, "");
    const r = await ctxc("build", file, "--allow-empty");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { messages: unknown[]; diagnostics: unknown[] };
    expect(out.messages).toEqual([]);
  });

  it("a header with no entries yet is a fresh session, not an error; entries without a header build with MISSING_HEADER", async () => {
    const fresh = join(dir, "fresh.jsonl");
    writeFileSync(fresh, jsonl([header()]));
    const r = await ctxc("build", fresh);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).messages).toEqual([]);
    const headless = join(dir, "headless.jsonl");
    writeFileSync(headless, jsonl(chain([msg(user("hi"))], null)));
    const h = await ctxc("build", headless);
    expect(h.code).toBe(0);
    expect((JSON.parse(h.stdout) as { diagnostics: { code: string }[] }).diagnostics.map((d) => d.code)).toEqual(["MISSING_HEADER"]);
  });
});

describe("ctxc build: failures", () => {
  it("a missing transcript exits 1 with one line naming it", async () => {
    const missing = join(dir, "nope.jsonl");
    const r = await ctxc("build", missing);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(`ctxc: transcript not found: ${missing} [TRANSCRIPT_NOT_FOUND]\n`);
  });

  it("a directory exits 1", async () => {
    const d = join(dir, "a-dir");
    mkdirSync(d, { recursive: true });
    const r = await ctxc("build", d);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`ctxc: transcript is not a regular file (it is a directory): ${d} [TRANSCRIPT_NOT_A_FILE]\n`);
  });

  it("--out in a missing directory or naming a directory exits 3 (OUTPUT_UNWRITABLE) before building", async () => {
    const missingDir = join(dir, "no-such-dir", "x.json");
    const a = await ctxc("build", transcript, "--out", missingDir);
    expect(a.code).toBe(3);
    expect(a.stderr).toBe(`ctxc: cannot write ${missingDir}: directory ${join(dir, "no-such-dir")} does not exist [OUTPUT_UNWRITABLE]\n`);
    const b = await ctxc("build", transcript, "--out", dir);
    expect(b.code).toBe(3);
    expect(b.stderr).toBe(`ctxc: cannot write ${dir}: it is a directory [OUTPUT_UNWRITABLE]\n`);
    expect(existsSync(join(dir, "no-such-dir"))).toBe(false);
  });

  it.each([
    [["build", transcript, "--budget", "-5"], /^ctxc: --budget: expected a whole number from 0 to 4294967295, or "none", got "-5" \[INVALID_OPTION\]$/],
    [["build", transcript, "--budget=-5"], /^ctxc: --budget: expected a whole number from 0 to 4294967295, or "none", got "-5"/],
    [["build", transcript, "--budget", "99999999999999999999"], /^ctxc: --budget: expected a whole number from 0 to 4294967295, or "none", got "99999999999999999999"/],
    [["build", transcript, "--budget", "4294967296"], /--budget: expected a whole number from 0 to 4294967295/],
    [["build", transcript, "--budget", "1.5"], /--budget: expected a whole number/],
    [["build", transcript, "--budget", "lots"], /--budget: expected a whole number/],
    [["build", transcript, "--format", "xml"], /^ctxc: --format: expected one of json, text, buffer, got "xml" \[INVALID_OPTION\]$/],
    [["build", transcript, "--tokenizer", "gpt2"], /^ctxc: --tokenizer: expected one of o200k_base, cl100k_base, estimate, got "gpt2" \[INVALID_OPTION\]$/],
    [["build", transcript, "--run-kind", "nightly"], /^ctxc: --run-kind: expected one of default, heartbeat, cron, subagent, got "nightly" \[INVALID_OPTION\]$/],
    [["build", transcript, "--threads", "0"], /^ctxc: --threads: expected a whole number from 1 to 64, got "0"/],
    [["build", transcript, "--threads", "65"], /^ctxc: --threads: expected a whole number from 1 to 64, got "65"/],
    [["build", transcript, "--workspace", join(dir, "no-such-ws")], /^ctxc: --workspace: expected an existing directory, got ".*no-such-ws"/],
    [["build", transcript, "--no-such-flag"], /^ctxc: unknown option --no-such-flag for 'ctxc build' \[INVALID_OPTION\]$/],
    [["build", transcript, "--out"], /^ctxc: --out needs a value \(a file path\) \[INVALID_OPTION\]$/],
    [["build", transcript, "--out", "--quiet"], /^ctxc: --out needs a value/],
    [["build", transcript, "--cache", ""], /^ctxc: --cache needs a value \(a directory\)/],
    [["build", transcript, "--quiet=yes"], /^ctxc: --quiet takes no value/],
    [["build", transcript, "--budget", "5", "--budget", "6"], /^ctxc: --budget given more than once/],
    [["build"], /^ctxc: 'ctxc build' expects one transcript FILE, got 0 arguments \[USAGE\]$/],
    [["build", transcript, transcript], /^ctxc: 'ctxc build' expects one transcript FILE, got 2 arguments/],
  ])("bad usage %j: exit 2, one line naming the flag, then the --help pointer", async (args, message) => {
    const r = await ctxc(...args);
    expectUsageError(r, message);
  });

  it.each([
    [["compile", transcript], /^ctxc: unknown command "compile" \(commands: build, bench, help\) \[USAGE\]$/, "ctxc --help"],
    [["help", "compile"], /^ctxc: unknown command "compile"/, "ctxc --help"],
    [["bench", "--workspace", "x"], /^ctxc: unknown option --workspace for 'ctxc bench'/, "ctxc bench --help"],
  ])("bad usage %j points to the right help", async (args, message, help) => {
    expectUsageError(await ctxc(...args), message, help);
  });

  it("--format buffer to a terminal is refused (exit 2) unless --force", async (ctx) => {
    // `script` gives the child a pseudo-terminal; without it there is no terminal to test with.
    let hasScript = true;
    try {
      execFileSync("script", ["--version"], { stdio: "ignore" });
    } catch {
      hasScript = false;
    }
    if (!hasScript) ctx.skip("util-linux `script` is not installed: no pseudo-terminal for the child");
    const run = (extra: string) =>
      execFileSync("script", ["-qec", `"${process.execPath}" "${MAIN}" build "${transcript}" --format buffer ${extra} >/dev/tty; echo "exit=$?"`, "/dev/null"], { encoding: "latin1" });
    const refused = run("");
    expect(refused).toContain("--format buffer writes binary and stdout is a terminal; redirect it, use --out FILE, or pass --force [BINARY_TO_TERMINAL]");
    expect(refused).toContain("exit=2");
    const forced = run("--force");
    expect(forced).toContain("CTXC");
    expect(forced).toContain("exit=0");
  });

  it("the bin: no failure prints a stack trace, and each exits with its status", async () => {
    const failures: [string[], number][] = [
      [["build", join(dir, "missing.jsonl")], 1],
      [["build", dir], 1],
      [["build", transcript, "--budget", "x"], 2],
      [["build", transcript, "--out", dir], 3],
      [["nope"], 2],
    ];
    for (const [args, code] of failures) {
      const r = await ctxcBin(...args);
      expect(r.code).toBe(code);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^ctxc: .* \[[A-Z_]+\]\n/);
      expectNoStack(r.stderr);
    }
  });
});
