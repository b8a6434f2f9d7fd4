/**
 * The line-key scan's validating pass in WASM (line-scan.wat, built by scripts/build-wasm.mjs): checks
 * that a line is one JSON object — the whole grammar — and lists where the members a cold build reads lie
 * (the members of the line's object, and those of objects that are their values), so line-keys.ts only
 * decodes the few values it needs.
 *
 * Why WASM: every line of a transcript must be validated on a cold build (a malformed line is reported,
 * and one JSON.parse rejects is excluded as pi excludes it), and most bytes are inside strings. The same
 * grammar walk in JS cost ~3 ns a byte on the shared bench machine (a table lookup per byte, a state
 * machine per token); the kernel skips strings 16 bytes at a time (SIMD) and walks the rest in compiled
 * code. The project ships no native addons: WASM is part of the JS engine. Where it is unavailable (an
 * engine without WASM SIMD), {@link LineScan.scan} answers {@link NOT_SCANNED} and line-keys.ts walks the
 * line in JS: the same answers, the old speed.
 *
 * Memory (one instance per thread, one line at a time): the line is copied to offset 0 and followed by 16
 * zero bytes (the kernel's bounds: a zero byte is invalid anywhere in JSON), then the container stack (a
 * byte per level) and the records. Lines longer than {@link MAX_SCAN_LINE} are walked in JS, so the
 * memory stays under ~7 × that.
 */
import { LINE_SCAN_WASM } from "./line-scan-wasm.js";

/** Longest line the kernel scans (longer ones are walked in JS). */
export const MAX_SCAN_LINE = 512 * 1024;

/** {@link LineScan.scan}'s answer when the kernel did not look at the line. */
export const NOT_SCANNED = -2;
/** {@link LineScan.scan}'s answer for a line that is not one JSON object. */
export const NOT_AN_OBJECT = -1;

/**
 * i32 fields per record: depth (1 or 2, plus {@link KEY_ESCAPED} when the key holds an escape), key start,
 * key end (without the quotes), value start, value end.
 */
export const RECORD_FIELDS = 5;
/** Added to a record's depth when its key is spelled with an escape. */
export const KEY_ESCAPED = 16;

const WASM_PAGE = 64 * 1024;

interface Kernel {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  scan(len: number, stack: number, out: number): number;
}

/** The part of the WebAssembly API used here (the project's TS lib has no DOM/WebAssembly typings). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

function instantiate(): Kernel | null {
  try {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const module = new wasm.Module(Buffer.from(LINE_SCAN_WASM, "base64"));
    return new wasm.Instance(module).exports as Kernel;
  } catch {
    return null; // no WASM SIMD here: line-keys.ts walks lines in JS
  }
}

/** One thread's kernel and its views. */
export class LineScan {
  private readonly kernel = instantiate();
  private bytes = new Uint8Array(0);
  /** The records of the last scanned line, from {@link start}, {@link RECORD_FIELDS} i32 each. */
  records = new Int32Array(0);
  /** Index in {@link records} of the last scanned line's first record. */
  start = 0;

  /**
   * Validates `line` and lists its records (see line-scan.wat). Returns their count, {@link NOT_AN_OBJECT},
   * or {@link NOT_SCANNED} when the kernel is unavailable or the line longer than {@link MAX_SCAN_LINE}.
   */
  scan(line: Uint8Array): number {
    const kernel = this.kernel;
    const n = line.length;
    if (kernel === null || n > MAX_SCAN_LINE) return NOT_SCANNED;
    const stack = (n + 16 + 3) & ~3;
    const out = (stack + n + 1 + 3) & ~3;
    // A member takes at least 4 bytes (`"":0`), so at most n/4 + 1 records.
    const need = out + 4 * RECORD_FIELDS * ((n >> 2) + 2);
    if (need > this.bytes.byteLength) {
      const have = kernel.memory.buffer.byteLength;
      if (need > have) kernel.memory.grow(Math.ceil((need - have) / WASM_PAGE));
      // Growing detaches the old buffer: the views are made again (only here, a few times a thread).
      this.bytes = new Uint8Array(kernel.memory.buffer);
      this.records = new Int32Array(kernel.memory.buffer);
    }
    this.bytes.set(line, 0);
    this.bytes.fill(0, n, n + 16);
    this.start = out >> 2;
    return kernel.scan(n, stack, out);
  }
}
