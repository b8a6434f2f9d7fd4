/**
 * Turns a compiled context into the CLI's output formats.
 */
import type { CompiledContext } from "../decode-context.js";
import type { OutputFormat } from "./args.js";

function preview(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

function messageSummary(ctx: CompiledContext, i: number): string {
  const message = ctx.message(i);
  const content = message.content ?? message.summary ?? "";
  let text = "";
  if (typeof content === "string") text = content;
  else if (Array.isArray(content)) {
    text = content
      .map((b: { type?: string; text?: string; thinking?: string; name?: string }) =>
        b?.type === "text" ? b.text : b?.type === "thinking" ? `[thinking] ${b.thinking}` : b?.type === "toolCall" ? `[tool ${b.name}]` : b?.type === "image" ? "[image]" : "",
      )
      .join(" ");
  }
  return preview(typeof text === "string" ? text : "");
}

export function renderText(ctx: CompiledContext): string {
  const t = ctx.tokens;
  const meta = ctx.meta;
  const lines = [
    `transcript   ${meta.transcript.path} (${meta.transcript.bytes} bytes, ${meta.transcript.entries} entries)`,
    `model        ${ctx.model ? `${String(ctx.model.provider)}/${String(ctx.model.modelId)}` : "(none)"}   thinking: ${String(ctx.thinkingLevel)}`,
    `tokens       ${t.total} total = ${t.system} system + ${t.messages} messages (${meta.tokenizer}${meta.budget === null ? "" : `, budget ${meta.budget}`})`,
    `messages     ${ctx.messageCount} in context, ${ctx.dropped} dropped${ctx.dropped ? ` (~${t.droppedEstimate} tokens)` : ""}`,
    `bootstrap    ${meta.bootstrapFiles.length === 0 ? "(no workspace)" : meta.bootstrapFiles.map((f) => `${f.name}${f.missing ? " [missing]" : f.truncated ? " [truncated]" : ""}`).join(", ")}`,
    `diagnostics  ${ctx.diagnostics.length === 0 ? "none" : ""}`,
    ...ctx.diagnostics.map((d) => `  ${d.code} line ${d.line} @${d.offset}: ${d.message}`),
    "",
    ...Array.from({ length: ctx.messageCount }, (_, i) => {
      const info = ctx.info(i);
      return `${String(i).padStart(4)}  ${(info.role ?? "?").padEnd(17)} ${String(info.tokens).padStart(6)} tok  ${messageSummary(ctx, i)}`;
    }),
  ];
  return `${lines.join("\n")}\n`;
}

export function render(ctx: CompiledContext, format: OutputFormat): string | Uint8Array {
  if (format === "buffer") return new Uint8Array(ctx.buffer);
  if (format === "text") return renderText(ctx);
  return `${JSON.stringify(ctx)}\n`;
}
