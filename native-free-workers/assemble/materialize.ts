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
  /** UTF-8 JSON of the message. */
  bytes: Uint8Array;
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

  if (item.kind === MessageKind.entry && !(record.flags & RecordFlag.reserialize)) {
    // The hot path (every message of every build): one object of one shape, no spreads. The bytes are
    // copied out of the reader's window (a view of it would keep every window the context's messages
    // lie in alive until the buffer is encoded: memory that grew with how far apart the context's
    // entries lie in the file — up to ~3 MB on a 28 MB transcript — rather than with the context).
    const bytes = Buffer.from(reader.read(record.offset + record.valueStart, record.offset + record.valueEnd));
    const m: MaterializedMessage = { kind: item.kind, role: record.role, flags: 0, sourceLine: record.line, bytes, tokens: 0, parsed: null };
    if (record.flags & RecordFlag.keysOnly && completeMessage) completeMessage(record, parsedMessage(m) as Record<string, unknown>);
    if (record.flags & RecordFlag.hasToolCalls) m.flags = MessageFlag.hasToolCalls;
    return m;
  }
  const flags = record.flags & RecordFlag.hasToolCalls ? MessageFlag.hasToolCalls : 0;
  const base = { kind: item.kind, role: record.role, flags, sourceLine: record.line, tokens: 0 };

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

/** The parsed message, parsing the forwarded bytes on first use. */
export function parsedMessage(m: MaterializedMessage): unknown {
  if (m.parsed === null) m.parsed = JSON.parse(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.length).toString("utf8"));
  return m.parsed;
}
