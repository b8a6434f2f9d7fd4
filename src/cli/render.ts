/**
 * Turns a compiled context into the CLI's output formats.
 */
import type { CompiledContext, ContextMeta, Diagnostic } from "../index.js";
import type { OutputFormat } from "./limits.js";

type BuildFacts = ContextMeta["build"];

const REBUILT_BECAUSE: Record<Exclude<BuildFacts["rebuilt"], null | "cold">, string> = {
  replaced: "the file was replaced",
  truncated: "the file was truncated",
  rewritten: "the file was rewritten in place",
  tokenizer: "another tokenizer",
  options: "other build options",
};

/** cold / warm / rebuilt, and why: what `--cache` (or a long-lived compiler) saved or could not save. */
export function describeBuild(b: BuildFacts): string {
  if (b.rebuilt === null) return `warm (session state from ${b.index === "disk" ? "the --cache index" : "memory"}; only appended bytes parsed)`;
  if (b.rebuilt === "cold") {
    if (b.index === "disk-stale") return "cold (the --cache index no longer matched the file)";
    if (b.index === "disk-corrupt") return "cold (the --cache index was unreadable)";
    if (b.index === "refused") return "cold (the --cache directory was refused as not private; see INDEX_IGNORED)";
    return "cold (no earlier state for this session)";
  }
  return `rebuilt (${REBUILT_BECAUSE[b.rebuilt]})`;
}

/** "1 message", "2 messages". */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** `${prefix}MALFORMED_LINE ×14, TORN_TAIL ×1`, or "" when there are none: diagnostic counts in one line. */
export function countsByCode(counts: ContextMeta["diagnosticCounts"], prefix: string): string {
  const parts = Object.entries(counts).map(([code, n]) => `${code} ×${n}`);
  return parts.length === 0 ? "" : `${prefix}${parts.join(", ")}`;
}

/** A diagnostic as a line; one without a place in the file (line 0) gets no location. */
export function describeDiagnostic(d: Diagnostic): string {
  return d.line > 0 ? `${d.code} line ${d.line} @${d.offset}: ${d.message}` : `${d.code}: ${d.message}`;
}

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

export function renderText(ctx: CompiledContext, elapsedMs: number): string {
  const t = ctx.tokens;
  const meta = ctx.meta;
  const b = meta.build;
  const lines = [
    `transcript   ${meta.transcript.path} (${plural(meta.transcript.bytes, "byte")}, ${meta.transcript.entries} ${meta.transcript.entries === 1 ? "entry" : "entries"})`,
    `model        ${ctx.model ? `${String(ctx.model.provider)}/${String(ctx.model.modelId)}` : "(none)"}   thinking: ${String(ctx.thinkingLevel)}`,
    `tokens       ${t.total} total = ${t.system} system + ${t.messages} messages (${meta.tokenizer}${meta.budget === null ? "" : `, budget ${meta.budget}`})`,
    `messages     ${ctx.messageCount} in context, ${ctx.dropped} dropped${ctx.dropped ? ` (~${t.droppedEstimate} tokens)` : ""}`,
    `build        ${describeBuild(b)}: ${plural(b.bytesParsed, "byte")} parsed, ${plural(b.messagesTokenized, "message")} tokenized (${plural(b.tokensCounted, "token")} counted), ${Math.round(elapsedMs)} ms`,
    `bootstrap    ${meta.bootstrapFiles.length === 0 ? "(no workspace)" : meta.bootstrapFiles.map((f) => `${f.name}${f.missing ? " [missing]" : f.truncated ? " [truncated]" : ""}`).join(", ")}`,
    `diagnostics  ${ctx.diagnostics.length === 0 ? "none" : `${ctx.diagnostics.length}${countsByCode(meta.diagnosticCounts, ": ")}`}`,
    ...ctx.diagnostics.map((d) => `  ${describeDiagnostic(d)}`),
    "",
    ...Array.from({ length: ctx.messageCount }, (_, i) => {
      const info = ctx.info(i);
      return `${String(i).padStart(4)}  ${(info.role ?? "?").padEnd(17)} ${String(info.tokens).padStart(6)} tok  ${messageSummary(ctx, i)}`;
    }),
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * `elapsedMs` is the build's wall time as the CLI saw it (queue, worker start and transfer included);
 * json carries it as `meta.elapsedMs` next to the library's `meta` (build facts, per-stage timings).
 */
export function render(ctx: CompiledContext, format: OutputFormat, elapsedMs: number): string | Uint8Array {
  if (format === "buffer") return new Uint8Array(ctx.buffer);
  if (format === "text") return renderText(ctx, elapsedMs);
  return `${JSON.stringify({ ...(ctx.toJSON() as object), meta: { ...ctx.meta, elapsedMs: Math.round(elapsedMs * 10) / 10 } })}\n`;
}
