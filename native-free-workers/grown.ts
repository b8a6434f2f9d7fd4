/**
 * The growth step of the worker's typed-array columns (the index's record table, a range scan's batch, the
 * OpenClaw record scans): a new array of the same kind and `size` items holding `array`'s first `keep`.
 * One place, so every column grows the same way (the old array is left to the collector).
 */
export function grown<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(array: T, keep: number, size: number): T {
  const next = new (array.constructor as new (n: number) => T)(size);
  next.set(array.subarray(0, Math.min(keep, size)) as T);
  return next;
}
