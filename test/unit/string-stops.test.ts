import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BLANK_LINE, scanLineKeys } from "../../native-free-workers/pi/line-keys.js";
import { MAX_STOPS_LINE, StringStops } from "../../native-free-workers/pi/string-stops.js";

/**
 * The kernel's contract, written plainly: left to right, a backslash starting a valid escape hides the
 * escape's bytes; every other quote, backslash and byte < 0x20 is a stop.
 */
function referenceStops(b: Uint8Array): number[] {
  const hex = (k: number) => k < b.length && /[0-9a-fA-F]/.test(String.fromCharCode(b[k]!));
  const out: number[] = [];
  for (let k = 0; k < b.length; k++) {
    const c = b[k]!;
    if (c === 0x5c) {
      const e = k + 1 < b.length ? String.fromCharCode(b[k + 1]!) : "";
      if (e !== "" && '"\\/bfnrt'.includes(e)) {
        k += 1;
        continue;
      }
      if (e === "u" && hex(k + 2) && hex(k + 3) && hex(k + 4) && hex(k + 5)) {
        k += 5;
        continue;
      }
      out.push(k);
    } else if (c === 0x22 || c < 0x20) {
      out.push(k);
    }
  }
  return out;
}

function kernelStops(stops: StringStops, b: Uint8Array): number[] {
  expect(stops.load(b)).toBe(true);
  const out: number[] = [];
  for (let p = stops.start; ; p++) {
    const k = stops.stops[p]!;
    if (k === b.length) return out; // the sentinel
    out.push(k);
  }
}

// Pieces that make escapes, quotes and control bytes dense, in every position relative to the 16-byte blocks.
const piece = fc.oneof(
  fc.constantFrom('\\"', "\\\\", "\\/", "\\n", "\\u00e9", "\\uD83D", "\\u12g4", "\\u00", "\\x", "\\", '"', "\t", "\r", "\u0001", "\u001f", " ", "é", "😀"),
  fc.string({ maxLength: 20 }),
  fc.integer({ min: 0, max: 40 }).map((n) => "a".repeat(n)),
);
const adversarial = fc.array(piece, { maxLength: 40 }).map((ps) => Buffer.from(ps.join("")));

describe("string-stops kernel (WASM SIMD)", () => {
  it("finds exactly the stops of its contract on random bytes and escape-dense text", () => {
    const stops = new StringStops();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        expect(kernelStops(stops, b)).toEqual(referenceStops(b));
      }), { numRuns: 3000 });
    fc.assert(fc.property(adversarial, (b) => {
        expect(kernelStops(stops, b)).toEqual(referenceStops(b));
      }), { numRuns: 3000 });
  });

  it("never reads an escape past the line's end, whatever lies after it in memory", () => {
    const stops = new StringStops();
    stops.load(Buffer.from("x".repeat(64) + "\\u0041\\n")); // leaves valid escape bytes past shorter lines
    for (const line of ["\\", "\\u", "\\u004", "ab\\", "a".repeat(15) + "\\", "a".repeat(16) + "\\u00"]) {
      const b = Buffer.from(line);
      expect(kernelStops(stops, b), line).toEqual(referenceStops(b));
      expect(referenceStops(b)).toContain(line.lastIndexOf("\\"));
    }
  });

  it("declines lines longer than its limit (the scan's byte loop reads them)", () => {
    expect(new StringStops().load(new Uint8Array(MAX_STOPS_LINE + 1))).toBe(false);
  });
});

/** JSON.parse's verdict on a line, in the scanner's terms: an object or not (blank lines apart). */
function parsesToObject(b: Buffer): boolean {
  try {
    const v: unknown = JSON.parse(b.toString("utf8"));
    return typeof v === "object" && v !== null && !Array.isArray(v);
  } catch {
    return false;
  }
}

describe("scanLineKeys with the kernel agrees with JSON.parse", () => {
  // Entry-shaped lines whose tracked and untracked strings are made of the adversarial pieces.
  const line = fc.tuple(adversarial, adversarial, adversarial, adversarial).map(([id, role, text, other]) =>
    Buffer.concat([
      Buffer.from('{"type":"message","id":"'),
      id,
      Buffer.from('","message":{"role":"'),
      role,
      Buffer.from('","content":[{"type":"text","text":"'),
      text,
      Buffer.from('"}]},"x":"'),
      other,
      Buffer.from('"}'),
    ]),
  );

  function agree(b: Buffer): void {
    const got = scanLineKeys(b);
    const want = parsesToObject(b);
    if (got === null || got === BLANK_LINE) {
      expect(want, `refused a line JSON.parse reads: ${JSON.stringify(b.toString("latin1"))}`).toBe(false);
      return;
    }
    expect(want, `accepted a line JSON.parse rejects: ${JSON.stringify(b.toString("latin1"))}`).toBe(true);
    const entry = JSON.parse(b.toString("utf8")) as { id: unknown; message: unknown };
    const message = entry.message;
    const isObject = typeof message === "object" && message !== null && !Array.isArray(message);
    expect(got.id).toStrictEqual(entry.id);
    expect(got.messageIsObject).toBe(isObject);
    expect(got.role).toStrictEqual(isObject ? (message as { role?: unknown }).role : undefined);
    if (message === undefined) expect(got.messageStart).toBe(-1);
    else expect(JSON.parse(b.subarray(got.messageStart, got.messageEnd).toString("utf8"))).toStrictEqual(message);
  }

  it("on lines with escapes, \\u sequences, quotes and control bytes in their strings", () => {
    fc.assert(fc.property(line, agree), { numRuns: 3000 });
  });

  it("on lines with invalid UTF-8 in their strings (JSON.parse reads the replacement characters)", () => {
    const bytes = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((u) => Buffer.from(u.filter((c) => c >= 0x80)));
    fc.assert(fc.property(bytes, adversarial, (raw, text) => agree(Buffer.concat([Buffer.from('{"id":"'), raw, text, Buffer.from('"}')]))), {
      numRuns: 1000,
    });
  });

  it("on numbers, literals, whitespace and deep nesting between long strings", () => {
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        fc.constantFrom("0", "-0", "1.5e+3", "01", "1.", "-", "true", "nul", "null", "false", "[]", "{}", "[1,]", '"a"'),
        adversarial.map((b) => `"${b.toString("latin1")}"`),
        fc.array(tie("v"), { maxLength: 3 }).map((vs) => `[${vs.join(",")}]`),
        fc.array(tie("v"), { maxLength: 3 }).map((vs) => `{${vs.map((v, k) => `"k${k}" :\t${v}`).join(" ,")}}`),
      ),
    }));
    fc.assert(fc.property(value.v, fc.constantFrom("", " ", "\t", "\r"), (v, ws) => agree(Buffer.from(`{"message":${ws}${v}${ws},"id":"i"}`, "latin1"))), {
      numRuns: 2000,
    });
  });

  it("the same for a line too long for the kernel (the byte loop)", () => {
    const long = "é\\n\\\"".repeat(Math.ceil(MAX_STOPS_LINE / 5));
    for (const text of [long, long + "\\x", long + "\u0001", long + '"']) agree(Buffer.from(`{"id":"a","message":{"role":"user","content":"${text}"}}`));
  });
});
