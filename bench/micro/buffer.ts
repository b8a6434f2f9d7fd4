/**
 * The context buffer on the main thread: opening it (header only), reading token counts, forwarding
 * every message's raw JSON bytes without decoding, decoding every message, and, for comparison, what
 * an object-graph context costs (JSON.stringify + JSON.parse of the same messages). Encoding is the
 * worker's last step, timed here from the same messages.
 */
import { encodeContext } from "../../native-free-workers/assemble/encode-context.js";
import type { MaterializedMessage } from "../../native-free-workers/assemble/materialize.js";
import { roleCode } from "../../native-free-workers/protocol/buffer-layout.js";
import { decodeContext, type CompiledContext } from "../../src/index.js";
import { runTasks, type MicroResult } from "../lib/tinybench-util.js";

export async function benchBuffer(ctx: CompiledContext, timeMs: number): Promise<MicroResult[]> {
  const buffer = ctx.buffer;
  const n = ctx.messageCount;
  const messages = Array.from({ length: n }, (_, i) => ctx.message(i));
  const json = JSON.stringify(messages);
  const materialized: MaterializedMessage[] = Array.from({ length: n }, (_, i) => {
    const info = ctx.info(i);
    return { kind: 0, role: roleCode(info.role), flags: 0, sourceLine: info.sourceLine, bytes: ctx.messageBytes(i).slice(), sourceStart: -1, sourceEnd: -1, tokens: info.tokens, parsed: null };
  });
  const extra = { messages: n, bufferBytes: buffer.byteLength };
  let sink = 0;
  return runTasks(
    [
      { name: "decodeContext (header only)", extra, fn: () => (sink += decodeContext(buffer).messageCount) },
      { name: "decodeContext + tokens.total", extra, fn: () => (sink += decodeContext(buffer).tokens.total) },
      {
        name: "forward all message bytes (no decode)",
        bytes: buffer.byteLength,
        extra,
        fn: () => {
          const c = decodeContext(buffer);
          for (let i = 0; i < c.messageCount; i++) sink += c.messageBytes(i).length;
        },
      },
      {
        name: "decode every message (JSON.parse each)",
        bytes: buffer.byteLength,
        extra,
        fn: () => {
          const c = decodeContext(buffer);
          for (let i = 0; i < c.messageCount; i++) sink += c.message(i).role.length;
        },
      },
      {
        name: "encodeContext (worker side)",
        bytes: buffer.byteLength,
        extra,
        fn: () =>
          (sink += encodeContext({ flags: 0, meta: ctx.meta, systemPrompt: ctx.systemPrompt, systemTokens: 0, messages: materialized, diagnostics: [], droppedCount: 0, droppedTokensEstimate: 0 }).byteLength),
      },
      { name: "object graph: JSON.stringify(messages)", bytes: json.length, extra, fn: () => (sink += JSON.stringify(messages).length) },
      { name: "object graph: JSON.parse(messages JSON)", bytes: json.length, extra, fn: () => (sink += (JSON.parse(json) as unknown[]).length) },
    ],
    { timeMs },
  );
}
