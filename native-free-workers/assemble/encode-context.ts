/**
 * Writes the one context buffer (layout: native-free-workers/protocol/buffer-layout.ts, docs/buffer-format.md).
 * The buffer is allocated once at its final size and handed to the main thread by transfer, so the
 * context crosses threads as one memcpy-free move instead of a structured clone of an object graph.
 */
import {
  type ContextMeta,
  type Diagnostic,
  HEADER_BYTES,
  Header,
  INDEX_RECORD_BYTES,
  IndexRecord,
  LAYOUT_VERSION,
  MAGIC,
  SECTION_COUNT,
  Section,
} from "../protocol/buffer-layout.js";
import type { RecordReader } from "../sources/source.js";
import { copyMessageBytes, messageLength, type MaterializedMessage } from "./materialize.js";

export interface EncodeInput {
  flags: number;
  meta: ContextMeta;
  systemPrompt: string;
  systemTokens: number;
  messages: MaterializedMessage[];
  /** Reads the messages whose bytes are still in the transcript (`bytes` null: materialize.ts's inTranscript). */
  reader?: RecordReader;
  diagnostics: Diagnostic[];
  droppedCount: number;
  droppedTokensEstimate: number;
}

const MAX_U32 = 0xffffffff;

const noReader: RecordReader = {
  read() {
    throw new Error("encodeContext: a message's bytes are in the transcript, but no reader was given");
  },
  release() {},
};

export function encodeContext(input: EncodeInput): ArrayBuffer {
  const encoder = new TextEncoder();
  const meta = encoder.encode(JSON.stringify(input.meta));
  const system = encoder.encode(input.systemPrompt);
  const diagnostics = encoder.encode(JSON.stringify(input.diagnostics));
  const { messages } = input;
  let dataBytes = 0;
  let messageTokens = 0;
  for (const m of messages) {
    dataBytes += messageLength(m);
    messageTokens += m.tokens;
  }
  const indexBytes = messages.length * INDEX_RECORD_BYTES;

  const lengths = new Array<number>(SECTION_COUNT);
  lengths[Section.META] = meta.length;
  lengths[Section.SYSTEM_PROMPT] = system.length;
  lengths[Section.MESSAGE_INDEX] = indexBytes;
  lengths[Section.DIAGNOSTICS] = diagnostics.length;
  lengths[Section.MESSAGE_BYTES] = dataBytes;
  const offsets = new Array<number>(SECTION_COUNT);
  let total = HEADER_BYTES;
  for (let s = 0; s < SECTION_COUNT; s++) {
    offsets[s] = total;
    total += lengths[s]!;
  }
  if (total > MAX_U32) throw new RangeError(`context of ${total} bytes exceeds the 4 GiB layout limit`);

  const buffer = new ArrayBuffer(total);
  const view = new DataView(buffer);
  const bytes = new Uint8Array(buffer);
  view.setUint32(Header.magic, MAGIC, true);
  view.setUint16(Header.version, LAYOUT_VERSION, true);
  view.setUint16(Header.flags, input.flags, true);
  view.setUint32(Header.headerBytes, HEADER_BYTES, true);
  view.setUint32(Header.totalBytes, total, true);
  view.setUint32(Header.messageCount, messages.length, true);
  view.setUint32(Header.droppedCount, input.droppedCount, true);
  view.setUint32(Header.diagnosticCount, input.diagnostics.length, true);
  view.setUint32(Header.systemTokens, Math.min(input.systemTokens, MAX_U32), true);
  view.setUint32(Header.messageTokens, Math.min(messageTokens, MAX_U32), true);
  view.setUint32(Header.droppedTokensEstimate, Math.min(input.droppedTokensEstimate, MAX_U32), true);
  for (let s = 0; s < SECTION_COUNT; s++) {
    view.setUint32(Header.sectionTable + s * 8, offsets[s]!, true);
    view.setUint32(Header.sectionTable + s * 8 + 4, lengths[s]!, true);
  }

  bytes.set(meta, offsets[Section.META]!);
  bytes.set(system, offsets[Section.SYSTEM_PROMPT]!);
  bytes.set(diagnostics, offsets[Section.DIAGNOSTICS]!);
  const indexStart = offsets[Section.MESSAGE_INDEX]!;
  const dataStart = offsets[Section.MESSAGE_BYTES]!;
  let cursor = 0;
  const reader = input.reader ?? noReader;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    const at = indexStart + i * INDEX_RECORD_BYTES;
    const length = messageLength(m);
    view.setUint8(at + IndexRecord.kind, m.kind);
    view.setUint8(at + IndexRecord.role, m.role);
    view.setUint16(at + IndexRecord.flags, m.flags, true);
    view.setUint32(at + IndexRecord.tokens, Math.min(m.tokens, MAX_U32), true);
    view.setUint32(at + IndexRecord.offset, cursor, true);
    view.setUint32(at + IndexRecord.length, length, true);
    view.setUint32(at + IndexRecord.sourceLine, m.sourceLine, true);
    cursor += length;
  }
  // The bytes newest first, the order the build's budget walk read the transcript in, so the reader's
  // windows run one way: each message is copied once, from the reader's window or its own bytes.
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    cursor -= messageLength(m);
    copyMessageBytes(m, reader, bytes, dataStart + cursor);
  }
  // Stamped when the buffer is complete: the main thread's "transfer" stage is the time from here.
  view.setFloat64(Header.finishedAt, performance.timeOrigin + performance.now(), true);
  return buffer;
}
