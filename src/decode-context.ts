/**
 * Reads a context buffer on the main thread. Nothing is decoded up front: the header is read on
 * construction (a few DataView reads), the system prompt, diagnostics and meta on first access, and
 * each message only when it is indexed. A gateway that forwards the context (or its raw message
 * bytes) pays almost nothing here.
 */
import {
  type ContextMeta,
  type Diagnostic,
  HEADER_BYTES,
  Header,
  HeaderFlag,
  INDEX_RECORD_BYTES,
  IndexRecord,
  LAYOUT_VERSION,
  MAGIC,
  MessageFlag,
  MessageKind,
  type MessageKindCode,
  SECTION_COUNT,
  SYNTHETIC_KEYS,
  Section,
  roleName,
} from "../native-free-workers/protocol/buffer-layout.js";
import { Errors } from "../native-free-workers/protocol/errors.js";
import { readSectionTable, type SectionBounds } from "../native-free-workers/protocol/section-table.js";

/** A message of the context: pi's AgentMessage (user, assistant, toolResult, custom, summaries, …). */
export interface AgentMessage {
  role: string;
  [key: string]: unknown;
}

/** Token counts of a context. */
export interface ContextTokens {
  /** Tokens of the system prompt. */
  system: number;
  /** Tokens of all messages in the context. */
  messages: number;
  /** system + messages. */
  total: number;
  /** Tokens of each message, in order. */
  perMessage: number[];
  /** chars/4 estimate of the dropped messages' tokens (0 when nothing was dropped). */
  droppedEstimate: number;
  /** True when counts come from an exact tokenizer, false for the chars/4 estimate. */
  exact: boolean;
}

/** What one message's index record says, without decoding the message. */
export interface MessageInfo {
  /** The message's role (from the index; the JSON holds the same). Undefined for unknown roles. */
  role: string | undefined;
  /** Which transcript entry type produced it. */
  kind: "entry" | "compactionSummary" | "branchSummary" | "customMessage";
  tokens: number;
  /** 1-based transcript line of the entry it came from. */
  sourceLine: number;
  /** Length of its UTF-8 JSON. */
  bytes: number;
}

const KIND_NAMES: Record<number, MessageInfo["kind"]> = {
  [MessageKind.entry]: "entry",
  [MessageKind.compactionSummary]: "compactionSummary",
  [MessageKind.branchSummary]: "branchSummary",
  [MessageKind.customMessage]: "customMessage",
};

const utf8 = new TextDecoder();

/** A compiled context: a view over one context buffer. */
export class CompiledContext {
  /** The raw buffer (transferable, storable; `decodeContext` rebuilds this view from it). */
  readonly buffer: ArrayBuffer;
  /** Number of messages in the context. */
  readonly messageCount: number;
  /** Number of messages dropped to fit the budget. */
  readonly dropped: number;
  private readonly view: DataView;
  private readonly bytes: Uint8Array;
  /** The section table, checked against the buffer's bounds once. */
  private readonly sections: SectionBounds[];
  private readonly indexStart: number;
  private readonly dataStart: number;
  private cache: { systemPrompt?: string; meta?: ContextMeta; diagnostics?: Diagnostic[]; messages?: AgentMessage[]; tokens?: ContextTokens } = {};
  private readonly decoded: (AgentMessage | undefined)[];

  constructor(buffer: ArrayBuffer) {
    if (!(buffer instanceof ArrayBuffer)) throw Errors.invalidBuffer("expected an ArrayBuffer");
    if (buffer.byteLength < HEADER_BYTES) throw Errors.invalidBuffer(`only ${buffer.byteLength} bytes`);
    this.buffer = buffer;
    this.view = new DataView(buffer);
    this.bytes = new Uint8Array(buffer);
    if (this.view.getUint32(Header.magic, true) !== MAGIC) throw Errors.invalidBuffer("bad magic number");
    const version = this.view.getUint16(Header.version, true);
    if (version !== LAYOUT_VERSION) throw Errors.invalidBuffer(`layout version ${version}, this decoder reads ${LAYOUT_VERSION}`);
    if (this.view.getUint32(Header.totalBytes, true) !== buffer.byteLength) throw Errors.invalidBuffer("length mismatch (truncated?)");
    this.messageCount = this.view.getUint32(Header.messageCount, true);
    this.dropped = this.view.getUint32(Header.droppedCount, true);
    this.sections = readSectionTable(this.view, Header.sectionTable, SECTION_COUNT, HEADER_BYTES);
    this.indexStart = this.sectionOffset(Section.MESSAGE_INDEX);
    this.dataStart = this.sectionOffset(Section.MESSAGE_BYTES);
    if (this.sectionLength(Section.MESSAGE_INDEX) !== this.messageCount * INDEX_RECORD_BYTES) {
      throw Errors.invalidBuffer("message index size does not match the message count");
    }
    this.decoded = new Array(this.messageCount);
  }

  private sectionOffset(section: number): number {
    return this.sections[section]!.offset;
  }
  private sectionLength(section: number): number {
    return this.sections[section]!.length;
  }
  private sectionText(section: number): string {
    const start = this.sectionOffset(section);
    return utf8.decode(this.bytes.subarray(start, start + this.sectionLength(section)));
  }
  private record(i: number, field: number, size: 1 | 2 | 4): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.messageCount) throw new RangeError(`no message ${i}`);
    const at = this.indexStart + i * INDEX_RECORD_BYTES + field;
    return size === 1 ? this.view.getUint8(at) : size === 2 ? this.view.getUint16(at, true) : this.view.getUint32(at, true);
  }

  /** The system prompt (the workspace's project-context section; "" without a workspace). */
  get systemPrompt(): string {
    return (this.cache.systemPrompt ??= this.sectionText(Section.SYSTEM_PROMPT));
  }

  /** Everything else the build recorded: transcript facts, bootstrap files, diagnostic counts, timings. */
  get meta(): ContextMeta {
    return (this.cache.meta ??= JSON.parse(this.sectionText(Section.META)) as ContextMeta);
  }

  /** Problems found in the input, each with its code and place. */
  get diagnostics(): Diagnostic[] {
    return (this.cache.diagnostics ??= JSON.parse(this.sectionText(Section.DIAGNOSTICS)) as Diagnostic[]);
  }

  /** pi's thinking level for the active branch ("off" unless changed). */
  get thinkingLevel(): unknown {
    return this.meta.thinkingLevel;
  }

  /** The model of the active branch, or null. */
  get model(): ContextMeta["model"] {
    // pi always sets both keys, even to undefined (an assistant message without `provider`); JSON
    // drops undefined members, so restore them to deep-equal pi's object.
    const model = this.meta.model;
    return model === null ? null : { provider: model.provider, modelId: model.modelId };
  }

  get tokens(): ContextTokens {
    if (this.cache.tokens) return this.cache.tokens;
    const perMessage = new Array<number>(this.messageCount);
    for (let i = 0; i < this.messageCount; i++) perMessage[i] = this.record(i, IndexRecord.tokens, 4);
    const system = this.view.getUint32(Header.systemTokens, true);
    const messages = this.view.getUint32(Header.messageTokens, true);
    return (this.cache.tokens = {
      system,
      messages,
      total: system + messages,
      perMessage,
      droppedEstimate: this.view.getUint32(Header.droppedTokensEstimate, true),
      exact: (this.view.getUint16(Header.flags, true) & HeaderFlag.exactTokens) !== 0,
    });
  }

  /** The index record of message `i`, without decoding the message. */
  info(i: number): MessageInfo {
    return {
      role: roleName(this.record(i, IndexRecord.role, 1)),
      kind: KIND_NAMES[this.record(i, IndexRecord.kind, 1)] ?? "entry",
      tokens: this.record(i, IndexRecord.tokens, 4),
      sourceLine: this.record(i, IndexRecord.sourceLine, 4),
      bytes: this.record(i, IndexRecord.length, 4),
    };
  }

  /** The UTF-8 JSON of message `i`: a view into the buffer, no copy, ready to forward. */
  messageBytes(i: number): Uint8Array {
    const start = this.dataStart + this.record(i, IndexRecord.offset, 4);
    return this.bytes.subarray(start, start + this.record(i, IndexRecord.length, 4));
  }

  /** Message `i`, decoded on first access and cached. */
  message(i: number): AgentMessage {
    const hit = this.decoded[i];
    if (hit) return hit;
    const message = JSON.parse(utf8.decode(this.messageBytes(i))) as AgentMessage;
    const kind = this.record(i, IndexRecord.kind, 1) as MessageKindCode;
    const keys = SYNTHETIC_KEYS[kind];
    if (keys) for (const key of keys) if (!(key in message)) message[key] = undefined;
    if (this.record(i, IndexRecord.flags, 2) & MessageFlag.nanTimestamp) message.timestamp = Number.NaN;
    this.decoded[i] = message;
    return message;
  }

  /**
   * The messages as an array whose elements decode on access (`ctx.messages[5]` decodes one message;
   * iterating, spreading or comparing decodes them all).
   */
  get messages(): AgentMessage[] {
    if (this.cache.messages) return this.cache.messages;
    const target: AgentMessage[] = new Array(this.messageCount);
    const materializeAll = () => {
      for (let i = 0; i < this.messageCount; i++) if (!(i in target)) target[i] = this.message(i);
    };
    const indexOf = (key: string | symbol): number => {
      if (typeof key !== "string") return -1;
      const n = Number(key);
      return Number.isInteger(n) && n >= 0 && n < this.messageCount && String(n) === key ? n : -1;
    };
    const proxy = new Proxy(target, {
      get: (t, key, receiver) => {
        const i = indexOf(key);
        if (i >= 0) return (t[i] ??= this.message(i));
        return Reflect.get(t, key, receiver);
      },
      has: (t, key) => indexOf(key) >= 0 || Reflect.has(t, key),
      ownKeys: (t) => {
        materializeAll();
        return Reflect.ownKeys(t);
      },
      getOwnPropertyDescriptor: (t, key) => {
        const i = indexOf(key);
        if (i >= 0) t[i] ??= this.message(i);
        return Reflect.getOwnPropertyDescriptor(t, key);
      },
    });
    return (this.cache.messages = proxy);
  }

  /** The context as one plain object: what `ctxc build --format json` prints. */
  toJSON(): object {
    const tokens = this.tokens;
    return {
      systemPrompt: this.systemPrompt,
      messages: Array.from({ length: this.messageCount }, (_, i) => this.message(i)),
      thinkingLevel: this.thinkingLevel,
      model: this.model,
      tokens: { system: tokens.system, messages: tokens.messages, total: tokens.total, perMessage: tokens.perMessage, droppedEstimate: tokens.droppedEstimate },
      dropped: this.dropped,
      diagnostics: this.diagnostics,
    };
  }
}

/** Rebuilds a context view from a saved or transferred buffer. Throws INVALID_BUFFER on anything else. */
export function decodeContext(buffer: ArrayBuffer): CompiledContext {
  return new CompiledContext(buffer);
}
