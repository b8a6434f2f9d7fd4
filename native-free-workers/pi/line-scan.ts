/**
 * The line-key scan's validating pass in WASM (line-scan.wat, built by scripts/build-wasm.mjs): checks
 * that a line is one JSON object — the whole grammar — and says where the values of a few tracked members
 * lie (top-level keys, and one key of the object that is one of their values), so line-keys.ts decodes
 * only those.
 *
 * Why WASM: every line of a transcript must be validated on a cold build (a malformed line is reported,
 * and one JSON.parse rejects is excluded as pi excludes it), and most bytes are inside strings. The same
 * grammar walk in JS cost ~3 ns a byte on the shared bench machine; the kernel skips strings 16 bytes at
 * a time (SIMD) and walks the rest in compiled code, and compares the keys itself, so the JS side reads a
 * few ranges per line instead of a record per member. The project ships no native addons: WASM is part of the JS engine. Where it is unavailable (an engine without WASM SIMD),
 * {@link LineScan.scan} answers {@link NOT_SCANNED} and line-keys.ts walks the line in JS: the same
 * answers, the old speed.
 *
 * Memory (one instance per thread, fixed at creation so views never detach): the key table and the
 * results, the container stack (a byte per level, up to {@link MAX_SCAN_LINE}), a scratch area lines are
 * copied to (followed by a zero byte), and a chunk area a line reader may read into
 * ({@link LineScan.readBuffer}) — a line that lies there, followed by its `\n`, is scanned where it is,
 * without a copy. Each area is followed by padding the kernel's 16-byte loads may read (never use). Lines
 * longer than {@link MAX_SCAN_LINE} are walked in JS.
 */
import { LINE_SCAN_WASM } from "./line-scan-wasm.js";

/** Longest line the kernel scans (longer ones are walked in JS). */
export const MAX_SCAN_LINE = 512 * 1024;
/** Largest read chunk the kernel's memory holds ({@link LineScan.readBuffer}). */
export const SCAN_CHUNK = 256 * 1024;

/** {@link LineScan.scan}'s answer for a line that is one JSON object: the ranges are set. */
export const SCANNED = 0;
/** {@link LineScan.scan}'s answer for a line that is not one JSON object. */
export const NOT_AN_OBJECT = -1;
/** {@link LineScan.scan}'s answer when the kernel did not look at the line. */
export const NOT_SCANNED = -2;
/** {@link LineScan.scan}'s answer when a tracked-level key is spelled with a backslash (the caller decodes those). */
export const KEY_ESCAPED = -3;

const WASM_PAGE = 64 * 1024;
/** Room the kernel may read past a line (its 64-byte blocks). */
const PAD = 64;
// The layout (line-scan.wat's `keys` table format). The key table and results share the first KiB.
const KEYS = 0;
const KEY_BYTES = 128; // key bytes follow the table's entries (at most 8 keys)
const OUT = 768;
const STACK = 1024;
const SCRATCH = STACK + MAX_SCAN_LINE;
const CHUNK = SCRATCH + MAX_SCAN_LINE + PAD;
const MEMORY = CHUNK + SCAN_CHUNK + PAD;

interface Kernel {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  scan(start: number, len: number, stack: number, out: number, keys: number): number;
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
    const kernel = new wasm.Instance(module).exports as Kernel;
    kernel.memory.grow(Math.ceil(MEMORY / WASM_PAGE) - kernel.memory.buffer.byteLength / WASM_PAGE);
    return kernel;
  } catch {
    return null; // no WASM SIMD here: line-keys.ts walks lines in JS
  }
}

/** One thread's kernel, set up for one set of tracked keys. */
export class LineScan {
  private readonly kernel = instantiate();
  private readonly memory: ArrayBuffer | null = this.kernel?.memory.buffer ?? null;
  private readonly bytes: Uint8Array = this.memory ? new Uint8Array(this.memory) : new Uint8Array(0);
  /**
   * After a {@link SCANNED} line: `[start, end)` of top key k's value at 2k, 2k+1 (-1 when absent), then
   * the nested key's. Offsets are into the line.
   */
  readonly ranges: Int32Array;
  private chunk: Buffer | null = null;

  /**
   * @param topKeys the top-level keys whose values are wanted (at most 8, 48 bytes in all).
   * @param parent index in `topKeys` of the key whose object value holds `nestedKey`.
   */
  constructor(topKeys: readonly Uint8Array[], parent: number, nestedKey: Uint8Array) {
    this.ranges = this.memory ? new Int32Array(this.memory, OUT, 2 * (topKeys.length + 1)) : new Int32Array(2 * (topKeys.length + 1));
    if (!this.memory) return;
    const table = new Int32Array(this.memory, KEYS, 4 + 2 * topKeys.length);
    let at = KEY_BYTES;
    const put = (key: Uint8Array): number => {
      this.bytes.set(key, at);
      at += key.length;
      return at - key.length;
    };
    table[0] = topKeys.length;
    table[1] = parent;
    table[2] = nestedKey.length;
    table[3] = put(nestedKey);
    topKeys.forEach((key, k) => {
      table[4 + 2 * k] = key.length;
      table[5 + 2 * k] = put(key);
    });
    if (topKeys.length > 8 || at > OUT) throw new Error("line-scan: too many tracked keys");
  }

  /**
   * A buffer of `size` bytes in the kernel's memory to read a chunk into, so the lines found there are
   * scanned in place; null when the kernel is unavailable or `size` is larger than {@link SCAN_CHUNK}.
   * One per thread, shared by the readers of the thread: a reader must not need its chunk's bytes once
   * its step is done (LineReader copies what it keeps).
   */
  readBuffer(size: number): Buffer | null {
    if (!this.memory || size > SCAN_CHUNK) return null;
    this.chunk ??= Buffer.from(this.memory, CHUNK, SCAN_CHUNK);
    return this.chunk.subarray(0, size);
  }

  /**
   * Validates `line` and finds the tracked values (see line-scan.wat). Returns {@link SCANNED} (then
   * {@link ranges} holds them), {@link NOT_AN_OBJECT}, {@link KEY_ESCAPED}, or {@link NOT_SCANNED} when
   * the kernel is unavailable or the line longer than {@link MAX_SCAN_LINE}.
   */
  scan(line: Uint8Array): number {
    const kernel = this.kernel;
    const n = line.length;
    if (kernel === null || n > MAX_SCAN_LINE) return NOT_SCANNED;
    let start = line.byteOffset;
    // A line read into the chunk area is followed by its `\n` there (the byte that ends a read past the
    // line); any other line is copied, with a zero byte after it.
    if (line.buffer !== this.memory || start < CHUNK || start + n >= CHUNK + SCAN_CHUNK || this.bytes[start + n] !== 0x0a) {
      this.bytes.set(line, SCRATCH);
      this.bytes[SCRATCH + n] = 0;
      start = SCRATCH;
    }
    return kernel.scan(start, n, STACK, OUT, KEYS);
  }
}
