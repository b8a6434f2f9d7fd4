import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BLANK_LINE, scanLineKeys, scanReadBuffer } from "../../native-free-workers/pi/line-keys.js";
import { DEFAULTS } from "../../native-free-workers/protocol/defaults.js";
import { normalizeBuildOptions } from "../../src/options.js";
import { KEY_ESCAPED, LineScan, MAX_SCAN_LINE, NOT_AN_OBJECT, NOT_SCANNED, SCAN_CHUNK, SCANNED } from "../../native-free-workers/pi/line-scan.js";

/** JSON.parse's verdict on a line: its value when it is one object, else undefined. */
function parsedObject(b: Uint8Array): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(Buffer.from(b).toString("utf8"));
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

const TOP = ["type", "id", "parentId", "message"];
/** A kernel tracking pi's keys (as line-keys.ts sets it up), `role` nested in `message`. */
const newScan = () => new LineScan(TOP.map((k) => Buffer.from(k)), TOP.indexOf("message"), Buffer.from("role"));

/** The verdict and ranges of the last scan, as plain data. */
function result(scan: LineScan, b: Uint8Array): { verdict: number; ranges: number[] } {
  const verdict = scan.scan(b);
  return { verdict, ranges: verdict === SCANNED ? Array.from(scan.ranges) : [] };
}

/**
 * The kernel against JSON.parse on one line: it must accept exactly the object lines (or leave a line
 * with an escaped key to its caller), and each tracked range must hold the value JSON.parse gives that
 * key — the last duplicate's — and the nested one the `role` of the `message` object, absent otherwise.
 */
function kernelAgrees(scan: LineScan, b: Uint8Array): void {
  const { verdict, ranges } = result(scan, b);
  const want = parsedObject(b);
  const shown = JSON.stringify(Buffer.from(b).toString("latin1"));
  if (verdict === NOT_AN_OBJECT) {
    expect(want, `kernel refused an object line: ${shown}`).toBeUndefined();
    return;
  }
  if (verdict === KEY_ESCAPED) {
    expect(Buffer.from(b).includes(0x5c), `escaped key reported without a backslash: ${shown}`).toBe(true);
    return;
  }
  expect(verdict, shown).toBe(SCANNED);
  expect(want, `kernel accepted a line JSON.parse rejects: ${shown}`).toBeDefined();
  const value = (k: number): unknown => (ranges[2 * k]! < 0 ? undefined : JSON.parse(Buffer.from(b.subarray(ranges[2 * k]!, ranges[2 * k + 1]!)).toString("utf8")));
  TOP.forEach((key, k) => {
    expect(ranges[2 * k]! >= 0, `${key} found: ${shown}`).toBe(Object.hasOwn(want!, key));
    expect(value(k), `${key}: ${shown}`).toStrictEqual(want![key]);
  });
  const message = want!.message;
  const role = isObject(message) && Object.hasOwn(message, "role") ? message.role : undefined;
  expect(ranges[2 * TOP.length]! >= 0, `role found: ${shown}`).toBe(isObject(message) && Object.hasOwn(message, "role"));
  expect(value(TOP.length), `role: ${shown}`).toStrictEqual(role);
}

/** scanLineKeys against JSON.parse on one line (what line-keys.test.ts checks, on these lines too). */
function keysAgree(b: Buffer): void {
  const got = scanLineKeys(b);
  const want = parsedObject(b);
  const shown = JSON.stringify(b.toString("latin1"));
  if (got === null || got === BLANK_LINE) {
    // By design, a tracked key spelled with escapes leaves the line to the full parse (pi's own parse).
    if (got === null && b.includes('"\\u0074ype"')) return;
    expect(want, `refused a line JSON.parse reads: ${shown}`).toBeUndefined();
    return;
  }
  expect(want, `accepted a line JSON.parse rejects: ${shown}`).toBeDefined();
  const message = want!.message;
  expect(got.type).toBe(typeof want!.type === "string" ? want!.type : "");
  expect(got.id).toStrictEqual(want!.id);
  expect(got.parentId).toStrictEqual(want!.parentId);
  expect(got.messageIsObject).toBe(isObject(message));
  expect(got.role).toStrictEqual(isObject(message) ? message.role : undefined);
  if (message === undefined) expect(got.messageStart).toBe(-1);
  else expect(JSON.parse(b.subarray(got.messageStart, got.messageEnd).toString("utf8"))).toStrictEqual(message);
}

// String contents that make escapes, quotes and control bytes dense, at every offset from the 16-byte blocks.
const piece = fc.oneof(
  fc.constantFrom('\\"', "\\\\", "\\/", "\\n", "\\u00e9", "\\uD83D", "\\u12g4", "\\u00", "\\x", "\\", '"', "\t", "\r", "\u0000", "\u001f", " ", "é", "😀"),
  fc.string({ maxLength: 20 }),
  fc.integer({ min: 0, max: 40 }).map((n) => "a".repeat(n)),
);
const text = fc.array(piece, { maxLength: 30 }).map((ps) => ps.join(""));

// Values: numbers and literals right and wrong, strings of those pieces, nesting, JSON whitespace around.
const ws = fc.constantFrom("", "", " ", "\t", "\r", "\n", " \t");
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom("0", "-0", "1.5e+3", "2E-7", "01", "1.", "-", ".5", "1e", "true", "nul", "null", "false", "falsey", "[]", "{}", "[1,]", "{,}", '"a"'),
    text.map((t) => `"${t}"`),
    fc.array(fc.tuple(tie("v"), ws), { maxLength: 3 }).map((vs) => `[${vs.map(([v, w]) => w + v + w).join(",")}]`),
    fc.array(fc.tuple(fc.constantFrom("role", "id", "type", "r\\u006fle", "k", ""), tie("v"), ws), { maxLength: 4 }).map(
      (ms) => `{${ms.map(([k, v, w]) => `${w}"${k}"${w}:${w}${v}${w}`).join(",")}}`,
    ),
  ),
}));
const keyName = fc.constantFrom("type", "id", "parentId", "message", "role", "\\u0074ype", "x", "");
const line = fc
  .array(fc.tuple(keyName, value.v, ws), { maxLength: 5 })
  .map((ms) => Buffer.from(`{${ms.map(([k, v, w]) => `${w}"${k}"${w}:${v}${w}`).join(",")}}`, "utf8"));

/** A line with one byte cut, inserted, deleted or replaced. */
const damaged = fc.tuple(line, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("cut", "insert", "delete", "replace")).map(([l, at, byte, how]) => {
  const k = at % Math.max(1, l.length);
  if (how === "cut") return l.subarray(0, k);
  if (how === "insert") return Buffer.concat([l.subarray(0, k), Buffer.from([byte]), l.subarray(k)]);
  if (how === "delete") return Buffer.concat([l.subarray(0, k), l.subarray(k + 1)]);
  return Buffer.concat([l.subarray(0, k), Buffer.from([byte]), l.subarray(k + 1)]);
});

describe("line-scan kernel (WASM) against JSON.parse", () => {
  const scan = newScan();

  it("accepts exactly the object lines, and its ranges hold the tracked values", () => {
    fc.assert(fc.property(line, (b) => kernelAgrees(scan, b)), { numRuns: 3000 });
    fc.assert(fc.property(damaged, (b) => kernelAgrees(scan, b)), { numRuns: 3000 });
    fc.assert(fc.property(fc.json(), (j) => kernelAgrees(scan, Buffer.from(j))), { numRuns: 1000 });
    fc.assert(fc.property(fc.uint8Array({ maxLength: 40 }), (b) => kernelAgrees(scan, b)), { numRuns: 2000 });
  });

  it("takes invalid UTF-8 in strings as JSON.parse does (replacement characters, no error)", () => {
    const raw = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((u) => u.filter((c) => c >= 0x80));
    fc.assert(fc.property(raw, text, (r, t) => kernelAgrees(scan, Buffer.concat([Buffer.from('{"id":"'), r, Buffer.from(t), Buffer.from('"}')]))), { numRuns: 1000 });
  });

  it("never reads past the line: what an earlier, longer line left in memory does not count", () => {
    for (const cut of ['{"a":"x\\u0041"}', '{"a":true}', '{"a":false}', '{"a":null}', '{"a":12e5}', '{"a":"' + "y".repeat(40) + '"}']) {
      kernelAgrees(scan, Buffer.from(cut + " ".repeat(40)));
      for (let k = 1; k < cut.length; k++) {
        expect(scan.scan(Buffer.from(cut.slice(0, k))), cut.slice(0, k)).toBe(NOT_AN_OBJECT);
      }
    }
  });

  it("handles deep nesting and long strings", () => {
    kernelAgrees(scan, Buffer.from('{"a":' + "[".repeat(2000) + "]".repeat(2000) + "}")); // JSON.parse's own stack limit
    expect(scan.scan(Buffer.from('{"a":' + "[".repeat(100_000) + "]".repeat(100_000) + "}"))).toBe(SCANNED);
    expect(scan.scan(Buffer.from('{"a":' + "[".repeat(100_000) + "]".repeat(99_999) + "}"))).toBe(NOT_AN_OBJECT);
    expect(scan.scan(Buffer.from('{"message":' + '{"k":['.repeat(50_000) + "1" + "]}".repeat(50_000) + "}"))).toBe(SCANNED);
    expect(scan.scan(Buffer.from('{"a":' + '{"k":['.repeat(50_000) + "1" + "}]".repeat(50_000) + "}"))).toBe(NOT_AN_OBJECT);
    kernelAgrees(scan, Buffer.from(`{"id":"${"é\\n\\u0041\\\"x".repeat(20_000)}"}`));
  });

  it("scans a line in its read buffer in place, as a copy of it, never reading past the line's \\n", () => {
    const buffer = scan.readBuffer(SCAN_CHUNK)!;
    const placed = fc.tuple(fc.oneof(line, damaged), fc.nat({ max: SCAN_CHUNK - 4096 }), fc.uint8Array({ maxLength: 40 }));
    fc.assert(
      fc.property(placed, ([l, at, after]) => {
        if (l.length > 2048) return;
        const copy = result(scan, Buffer.from(l));
        buffer.set(l, at);
        buffer[at + l.length] = 0x0a;
        buffer.set(after, at + l.length + 1);
        expect(result(scan, buffer.subarray(at, at + l.length))).toStrictEqual(copy);
      }),
      { numRuns: 2000 },
    );
    // A line cut short, with the rest of the object after its \n, is not an object.
    const whole = Buffer.from('{"type":"message","id":"a","message":{"role":"user","content":"x\\n"}}');
    for (let k = 1; k < whole.length; k++) {
      buffer.set(whole, 100);
      buffer[100 + k] = 0x0a;
      expect(scan.scan(buffer.subarray(100, 100 + k)), whole.subarray(0, k).toString()).toBe(NOT_AN_OBJECT);
    }
  });

  it("holds a build's reads: a build reads in chunks of its memory's size at most, scanned in place", () => {
    expect(DEFAULTS.buildChunkBytes).toBeLessThanOrEqual(SCAN_CHUNK);
    expect(normalizeBuildOptions({ transcript: "t.jsonl" }).chunkBytes).toBe(DEFAULTS.buildChunkBytes);
    expect(scanReadBuffer(DEFAULTS.buildChunkBytes)?.length).toBe(DEFAULTS.buildChunkBytes);
  });

  it("leaves lines longer than its limit to the JS walk", () => {
    expect(scan.scan(new Uint8Array(MAX_SCAN_LINE + 1))).toBe(NOT_SCANNED);
  });
});

describe("scanLineKeys agrees with JSON.parse, kernel and JS walk", () => {
  it("on adversarial and damaged lines", () => {
    fc.assert(fc.property(line, keysAgree), { numRuns: 2000 });
    fc.assert(fc.property(damaged, keysAgree), { numRuns: 2000 });
  });

  it("on lines too long for the kernel (the JS walk), valid and not", () => {
    const long = "é\\n\\\"".repeat(Math.ceil(MAX_SCAN_LINE / 5));
    for (const t of [long, long + "\\x", long + "\u0001", long + '"']) {
      keysAgree(Buffer.from(`{"type":"message","id":"a","message":{"role":"user","content":"${t}"}}`));
    }
    fc.assert(
      fc.property(line, (b) => keysAgree(Buffer.concat([b.subarray(0, -1), Buffer.from(`${b.length > 2 ? "," : ""}"pad":"${"p".repeat(MAX_SCAN_LINE)}"}`)]))),
      { numRuns: 30 },
    );
  });
});
