/**
 * Both buffers (the context buffer and the session buffer) start with a fixed header followed by a table
 * of (u32 offset, u32 length) per section. A decoder must not trust it: a section that starts inside the
 * header, runs past the end of the buffer or overlaps the one before would make later reads return bytes
 * of another section. Both decoders check the table here, once, before anything is read through it.
 */
import { Errors } from "./errors.js";

export interface SectionBounds {
  offset: number;
  length: number;
}

/**
 * Reads the section table at `tableAt` (`count` entries) and checks that the sections lie, in order and
 * without overlapping, between `headerBytes` and the end of the buffer. Throws INVALID_BUFFER otherwise.
 */
export function readSectionTable(view: DataView, tableAt: number, count: number, headerBytes: number): SectionBounds[] {
  const sections: SectionBounds[] = [];
  let previousEnd = headerBytes;
  for (let s = 0; s < count; s++) {
    const offset = view.getUint32(tableAt + s * 8, true);
    const length = view.getUint32(tableAt + s * 8 + 4, true);
    if (offset < previousEnd || offset + length > view.byteLength) {
      throw Errors.invalidBuffer(`section ${s} (offset ${offset}, ${length} bytes) lies outside its place in the ${view.byteLength}-byte buffer`);
    }
    previousEnd = offset + length;
    sections.push({ offset, length });
  }
  return sections;
}
