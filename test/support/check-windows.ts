/**
 * Transcripts whose append-check windows (session/append-check.ts: the file's first CHECK_BYTES and the
 * CHECK_BYTES before the kept end) hold a line a read skips as too long — once such a line ended the
 * check's head, and reset its tail. Shared by the compiler's and the OpenClaw read's tests of edits there.
 */
import { CHECK_BYTES } from "../../native-free-workers/session/append-check.js";

/** A custom entry of about `bytes` bytes (a line the reads skip under {@link SKIP_OVER}). */
export const longLine = (id: string, parentId: string | null, bytes: number): string =>
  `{"type":"custom","customType":"x","id":"${id}","parentId":${JSON.stringify(parentId)},"timestamp":"2026-01-01T00:00:00.000Z","data":"${"y".repeat(bytes)}"}`;

/** maxLineBytes for these files: the long lines (1,500 bytes) are skipped, the generator's short ones are not. */
export const SKIP_OVER = 1200;

/** A line to append after the edit (the file grows: only the byte windows can tell). */
export const APPENDED = `{"type":"label","id":"lb1","parentId":null,"targetId":"x","timestamp":"2026-01-01T00:00:02.000Z"}\n`;

/**
 * `text` (a transcript, header first) with a long line after its header, and the same file with the id of
 * the first entry after the long line changed in place (same size, inside the first CHECK_BYTES).
 */
export function headEdit(text: string): { file: string; edited: string } {
  const nl = text.indexOf("\n") + 1;
  const file = text.slice(0, nl) + longLine("long0", null, 1500) + "\n" + text.slice(nl);
  const after = nl + longLine("long0", null, 1500).length + 1;
  const m = /"id":"([^"]+)"/.exec(file.slice(after))!;
  const at = after + m.index + 6;
  if (at >= CHECK_BYTES) throw new Error("the edit is past the head window");
  return { file, edited: file.slice(0, at) + "Z" + file.slice(at + 1) };
}
