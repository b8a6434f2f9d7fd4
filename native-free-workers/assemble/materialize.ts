/**
 * Turns a context item into the message bytes that go into the buffer, with pi's exact shapes:
 * `message` entries forward their `message` value byte for byte; summaries and custom messages get pi's
 * shapes from pi/messages.ts.
 */
import { MessageFlag, MessageKind, roleCode } from "../protocol/buffer-layout.js";
import type { ContextItem } from "../pi/active-branch.js";
import { RecordFlag } from "../pi/entry-record.js";
import { synthesizedMessage } from "../pi/messages.js";
import type { RecordReader } from "../sources/source.js";

export interface MaterializedMessage {
  kind: number;
  role: number;
  /** buffer-layout MessageFlag bits */
  flags: number;
  sourceLine: number;
  /**
   * UTF-8 JSON of the message; null for a message forwarded as it is in the transcript that this build
   * did not need to read ({@link inTranscript}): encodeContext copies it from the transcript straight into
   * the context buffer.
   */
  bytes: Uint8Array | null;
  /**
   * Where a forwarded message's bytes are in the transcript, `[sourceStart, sourceEnd)`, read by
   * encodeContext when `bytes` is null; -1 for a message whose bytes are made here (pi's shapes).
   */
  sourceStart: number;
  sourceEnd: number;
  /** Token count; filled in by the caller. */
  tokens: number;
  /** The parsed message, for counting (null until parsed, and again once counted: only the bytes go into the buffer). */
  parsed: unknown;
}

/**
 * @param completeMessage for a record indexed from its keys only (RecordFlag.keysOnly): fills in what
 *   the message decides (TranscriptIndex.completeMessage), from the message parsed here — parsed once,
 *   for that and for counting, instead of reading the whole line back first.
 */
export function materialize(
  item: ContextItem,
  reader: RecordReader,
  completeMessage?: (record: ContextItem["record"], message: Record<string, unknown>) => void,
): MaterializedMessage {
  const record = item.record;

  // The hot path (every message of every build). The bytes are copied out of the reader's window (a
  // view of it would keep every window the context's messages lie in alive until the buffer is encoded:
  // memory that grew with how far apart the context's entries lie in the file — up to ~3 MB on a 28 MB
  // transcript — rather than with the context).
  if (forwardedAsIs(item)) return forwarded(item, reader, completeMessage, true);
  const flags = messageFlags(record);
  const base = { kind: item.kind, role: record.role, flags, sourceLine: record.line, sourceStart: -1, sourceEnd: -1, tokens: 0 };

  const line = reader.read(record.offset, record.offset + record.length);
  const entry = JSON.parse(line.toString("utf8")) as Record<string, unknown>;
  let message: Record<string, unknown>;
  if (item.kind === MessageKind.entry) {
    message = entry.message as Record<string, unknown>;
    if (record.flags & RecordFlag.hookMessage) message.role = "custom";
  } else {
    message = synthesizedMessage(item.kind, entry);
    if (Number.isNaN(message.timestamp)) base.flags |= MessageFlag.nanTimestamp;
  }
  return { ...base, role: roleCode(message.role), bytes: Buffer.from(JSON.stringify(message)), parsed: message };
}

/**
 * A message to count and then release (a build's fresh messages, compile.ts): {@link materialize}'s
 * result, except that a message forwarded as it is keeps no bytes — it is parsed straight from the
 * reader's window, and encode copies it from the transcript. Copying each one out of the window only to
 * parse it and drop the copy once counted had cost a Buffer per message and a copy of the context's bytes
 * (issue 14: a cold build without a budget parses every message of its branch). The value parsed is the
 * one materialize's {@link parsedMessage} gives, from the same bytes.
 */
export function materializeParsed(
  item: ContextItem,
  reader: RecordReader,
  completeMessage?: (record: ContextItem["record"], message: Record<string, unknown>) => void,
): MaterializedMessage {
  return forwardedAsIs(item) ? forwarded(item, reader, completeMessage, false) : materialize(item, reader, completeMessage);
}

/** A `message` entry whose message goes into the buffer byte for byte as the transcript holds it. */
function forwardedAsIs(item: ContextItem): boolean {
  return item.kind === MessageKind.entry && !(item.record.flags & RecordFlag.reserialize);
}

/**
 * A forwarded message read back: its bytes copied out of the reader's window (`keepBytes`), or only its
 * value parsed there; the record completed from that value when it was indexed from its keys. One object
 * of one shape, no spreads.
 */
function forwarded(
  item: ContextItem,
  reader: RecordReader,
  completeMessage: ((record: ContextItem["record"], message: Record<string, unknown>) => void) | undefined,
  keepBytes: boolean,
): MaterializedMessage {
  const record = item.record;
  const m = inTranscriptMessage(item);
  const bytes = reader.read(m.sourceStart, m.sourceEnd);
  if (keepBytes) m.bytes = Buffer.from(bytes);
  else m.parsed = JSON.parse(bytes.toString("utf8"));
  if (record.flags & RecordFlag.keysOnly && completeMessage) completeMessage(record, parsedMessage(m) as Record<string, unknown>);
  m.flags = messageFlags(record); // completing may have set it
  return m;
}

/** The buffer's MessageFlag bits of a message record. */
function messageFlags(record: ContextItem["record"]): number {
  return record.flags & RecordFlag.hasToolCalls ? MessageFlag.hasToolCalls : 0;
}

/** A forwarded message's fields without its bytes (`bytes` null), where its `message` value lies in the transcript. */
function inTranscriptMessage(item: ContextItem): MaterializedMessage {
  const record = item.record;
  const offset = record.offset;
  const flags = messageFlags(record);
  return { kind: item.kind, role: record.role, flags, sourceLine: record.line, bytes: null, sourceStart: offset + record.valueStart, sourceEnd: offset + record.valueEnd, tokens: 0, parsed: null };
}

/**
 * A kept message that is forwarded byte for byte and whose record needs nothing more from its body
 * (already counted and complete: every kept message of a warm build but the new ones), without reading
 * it: encodeContext copies its bytes from the transcript straight into the context buffer. Reading it
 * here had cost a Buffer and a copy per message, then a second copy into the buffer — most of a warm
 * build's time beyond the thread round trip (issue 14). Null when it must be materialized.
 */
export function inTranscript(item: ContextItem): MaterializedMessage | null {
  if (!forwardedAsIs(item) || item.record.flags & RecordFlag.keysOnly) return null;
  return inTranscriptMessage(item);
}

/**
 * Drops the bytes of a message counted by a build, when they can be read from the transcript again: a
 * cold build then holds its context once (in the buffer), not twice while encoding.
 */
export function releaseBytes(m: MaterializedMessage): void {
  m.parsed = null;
  if (m.sourceStart >= 0) m.bytes = null;
}

/** The message's bytes: its own, or read from the transcript ({@link inTranscript}). */
export function messageBytes(m: MaterializedMessage, reader: RecordReader): Uint8Array {
  return m.bytes ?? reader.read(m.sourceStart, m.sourceEnd);
}

/** Copies the message's bytes into `target` at `at` (its own, or from the transcript through `reader.copyInto` when it has one). */
export function copyMessageBytes(m: MaterializedMessage, reader: RecordReader, target: Uint8Array, at: number): void {
  if (m.bytes === null && reader.copyInto) return reader.copyInto(m.sourceStart, m.sourceEnd, target, at);
  const source = messageBytes(m, reader);
  // The index was written from the lengths: a read back that came out short must not leave a gap.
  if (source.length !== messageLength(m)) throw new RangeError(`${source.length} bytes read back, ${messageLength(m)} expected`);
  target.set(source, at);
}

/** The length of the message's bytes, without reading them. */
export function messageLength(m: MaterializedMessage): number {
  return m.bytes !== null ? m.bytes.length : m.sourceEnd - m.sourceStart;
}

/** The parsed message, parsing the forwarded bytes on first use (they must have been read: {@link materialize}; {@link materializeParsed} parsed it already). */
export function parsedMessage(m: MaterializedMessage): unknown {
  const bytes = m.bytes!;
  if (m.parsed === null) m.parsed = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("utf8"));
  return m.parsed;
}
