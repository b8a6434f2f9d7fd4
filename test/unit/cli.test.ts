/**
 * The `ctxc` command as a user runs it (`node dist/src/cli/main.js`): exit codes, one-line error
 * messages without stack traces, every output format, --out, --budget none.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { decodeContext } from "../../src/index.js";
import { piContext } from "../reference/pi-reference.js";
import { tempDir } from "../support/tmp.js";
import { assistant, chain, jsonl, msg, toolCall, toolResult, user } from "../support/transcript-builder.js";

const MAIN = fileURLToPath(new URL("../../dist/src/cli/main.js", import.meta.url));
const dir = tempDir("cli");

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  raw: Buffer;
}

function ctxc(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [MAIN, ...args], { encoding: "buffer", maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? -1) : 0;
      resolve({ code: typeof code === "number" ? code : -1, stdout: stdout.toString("utf8"), stderr: stderr.toString("utf8"), raw: stdout });
    });
  });
}

function expectNoStack(stderr: string): void {
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(stderr).not.toMatch(/node:internal|\.js:\d+:\d+/);
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

describe("ctxc build: outputs", () => {
  it("--format json (default) prints pi's messages, thinking level and model", async () => {
    const r = await ctxc("build", transcript);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    const pi = piContext(text);
    expect(out.messages).toStrictEqual(JSON.parse(JSON.stringify(pi.messages)));
    expect(out.thinkingLevel).toBe("high");
    expect(out.model).toStrictEqual(pi.model);
    expect(out.dropped).toBe(0);
    expect(out.diagnostics).toEqual([]);
    expect(Object.keys(out).sort()).toEqual(["diagnostics", "dropped", "messages", "model", "systemPrompt", "thinkingLevel", "tokens"]);
  });

  it("--format text: a summary line per message", async () => {
    const r = await ctxc("build", transcript, "--format", "text", "--tokenizer", "estimate");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`transcript   ${transcript}`);
    expect(r.stdout).toContain("thinking: high");
    expect(r.stdout).toContain("messages     5 in context, 0 dropped");
    expect(r.stdout).toMatch(/^\s+0\s+user\s+\d+ tok\s+find the bug ✓ 日本語$/m);
    expect(r.stdout).toMatch(/^\s+2\s+toolResult\s/m);
    expect(r.stdout).toMatch(/^\s+4\s+custom\s/m);
  });

  it("--format buffer writes the context buffer, decodable with decodeContext", async () => {
    const r = await ctxc("build", transcript, "--format", "buffer", "--budget", "none");
    expect(r.code).toBe(0);
    const ab = r.raw.buffer.slice(r.raw.byteOffset, r.raw.byteOffset + r.raw.byteLength) as ArrayBuffer;
    const ctx = decodeContext(ab);
    expect([...ctx.messages]).toStrictEqual(piContext(text).messages);
    expect(ctx.meta.budget).toBeNull();
  });

  it("--out FILE writes there and prints nothing; --budget N drops old messages", async () => {
    const out = join(dir, "out.json");
    const r = await ctxc("build", transcript, "--out", out, "--budget", "60", "--tokenizer", "estimate");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    const json = JSON.parse(readFileSync(out, "utf8")) as { messages: unknown[]; dropped: number; tokens: { total: number } };
    expect(json.dropped).toBeGreaterThan(0);
    expect(json.messages.length + json.dropped).toBe(5);
    expect(json.tokens.total).toBeLessThanOrEqual(60);
  });

  it("--help and --version exit 0", async () => {
    const help = await ctxc("--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: ctxc build FILE/);
    const version = await ctxc("--version");
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe((JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version);
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

  it.each([
    [["build", transcript, "--budget", "-5"], /--budget/],
    [["build", transcript, "--budget=-5"], /invalid option --budget: expected a whole number, got "-5"/],
    [["build", transcript, "--budget", "lots"], /invalid option --budget/],
    [["build", transcript, "--format", "xml"], /invalid option --format: expected json, text or buffer, got "xml"/],
    [["build", transcript, "--tokenizer", "gpt2"], /invalid option tokenizer/],
    [["build", transcript, "--run-kind", "nightly"], /invalid option runKind/],
    [["build", transcript, "--threads", "0"], /invalid option threads/],
    [["build", transcript, "--no-such-flag"], /Unknown option '--no-such-flag'/],
    [["build"], /expected one transcript file, got 0/],
    [["build", transcript, transcript], /expected one transcript file, got 2/],
    [["compile", transcript], /unknown command "compile"/],
  ])("bad usage %j exits 2 with a one-line message", async (args, message) => {
    const r = await ctxc(...args);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^ctxc: /);
    expect(r.stderr).toMatch(message);
    expectNoStack(r.stderr);
  });

  it("no failure prints a stack trace", async () => {
    for (const args of [["build", join(dir, "missing.jsonl")], ["build", dir], ["build", transcript, "--budget", "x"]]) {
      expectNoStack((await ctxc(...args)).stderr);
    }
  });
});
