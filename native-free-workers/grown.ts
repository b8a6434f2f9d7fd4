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

/**
 * The capacity a buffer keeping a file's bytes grows to when it must hold `need`: `need` plus a sixteenth
 * of it, at least `minHeadroom`. Why not the usual ×1.5 or ×2: such a buffer starts at about the file's
 * size (the worker's kept session read, its digest memo) and a turn appends a few KB, so the first growth
 * kept half to all of each transcript again for room a long session fills in thousands of turns (~40–90
 * MiB of a worker per 86 MB of transcripts). A sixteenth still makes the copies amortised O(1) per byte
 * (at 28 MB one ~3 ms copy per 1.75 MB appended).
 */
export function fileBytesCapacity(need: number, minHeadroom: number): number {
  return need + Math.max(minHeadroom, Math.ceil(need / 16));
}
