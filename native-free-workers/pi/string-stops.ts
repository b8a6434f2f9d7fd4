/**
 * The offsets of a line's "string stops" — every quote, backslash and raw control byte — found 16 bytes
 * at a time by a small WASM SIMD kernel (string-stops.wat, built by scripts/build-wasm.mjs).
 *
 * Why: most of a transcript's bytes are inside JSON strings, and the line-key scan (line-keys.ts) must
 * validate every one of them (a raw control byte or a bad escape makes the line malformed). Inside a
 * string, only those three byte kinds matter: the next stop after a position is where the string ends,
 * an escape starts, or the line turns out malformed. A byte loop in JS reads one byte per table lookup
 * (~3 ns a byte on the shared bench machine, ~90 ms of the 28 MB bench transcript); the kernel finds the
 * stops for a whole line in one call and the scan then jumps from stop to stop.
 *
 * The project ships no native addons: WASM is part of the JS engine. Where WASM SIMD is unavailable
 * (an engine without it, or one that refuses to compile), {@link StringStops.load} answers false and the
 * scan keeps its byte loop: same results, old speed.
 *
 * Memory layout (one instance per thread; the scan handles one line at a time): the line is copied to
 * offset 0, followed by 16 bytes of padding (the kernel loads whole 16-byte blocks) and the stop list
 * (i32 each, worst case one per byte, plus the sentinel). Lines longer than {@link MAX_STOPS_LINE} keep
 * the byte loop, so the memory stays bounded (~5 × that).
 */
import { STRING_STOPS_WASM } from "./string-stops-wasm.js";

/** Longest line whose stops are computed (bigger ones are scanned by the byte loop). */
export const MAX_STOPS_LINE = 1 << 20;

const WASM_PAGE = 64 * 1024;

interface Kernel {
  memory: { buffer: ArrayBuffer; grow(pages: number): number };
  stops(src: number, len: number, out: number): number;
}

/** The part of the WebAssembly API used here (the project's TS lib has no DOM/WebAssembly typings). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

function instantiate(): Kernel | null {
  try {
    const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
    const module = new wasm.Module(Buffer.from(STRING_STOPS_WASM, "base64"));
    return new wasm.Instance(module).exports as Kernel;
  } catch {
    return null; // no WASM SIMD here: the byte loop stays
  }
}

/** One thread's kernel and its views. */
export class StringStops {
  private readonly kernel = instantiate();
  private bytes = new Uint8Array(0);
  /** The stop list of the last loaded line, from {@link start}: ascending offsets, then the line's length. */
  stops = new Int32Array(0);
  /** Index in {@link stops} of the line's first stop. */
  start = 0;

  /**
   * Computes the stops of `line` (into {@link stops} from {@link start}). False when it cannot (no kernel,
   * or the line is longer than {@link MAX_STOPS_LINE}): the caller scans the bytes itself.
   */
  load(line: Uint8Array): boolean {
    const kernel = this.kernel;
    const n = line.length;
    if (kernel === null || n > MAX_STOPS_LINE) return false;
    const out = (n + 16 + 3) & ~3; // after the line and its padding, 4-aligned
    const need = out + 4 * (n + 1);
    if (need > this.bytes.byteLength) {
      const have = kernel.memory.buffer.byteLength;
      if (need > have) kernel.memory.grow(Math.ceil((need - have) / WASM_PAGE));
      // Growing detaches the old buffer: the views are made again (only here, so at most ~5 times a thread).
      this.bytes = new Uint8Array(kernel.memory.buffer);
      this.stops = new Int32Array(kernel.memory.buffer);
    }
    this.bytes.set(line, 0);
    kernel.stops(0, n, out);
    this.start = out >> 2;
    return true;
  }
}
