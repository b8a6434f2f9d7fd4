/**
 * A transcript's lines indexed in memory, one `ingestLine` each, as a build's byte pass does, and the
 * context items of its `message` entries: for tests of the stages after indexing (materialize, encode).
 */
import { MessageKind } from "../../native-free-workers/protocol/buffer-layout.js";
import { DiagnosticLog } from "../../native-free-workers/protocol/diagnostic-log.js";
import { Emits } from "../../native-free-workers/pi/entry-record.js";
import { TranscriptIndex } from "../../native-free-workers/pi/transcript-index.js";
import type { ContextItem } from "../../native-free-workers/pi/active-branch.js";

export function indexLines(lines: readonly string[]): { index: TranscriptIndex; items: ContextItem[] } {
  const index = new TranscriptIndex(new DiagnosticLog(100));
  let offset = 0;
  lines.forEach((line, i) => {
    const bytes = Buffer.from(line);
    index.ingestLine(bytes, offset, i + 1);
    offset += bytes.length + 1;
  });
  const items: ContextItem[] = [];
  for (let r = 0; r < index.count; r++) {
    if (index.table.emits[r] === Emits.message) items.push({ record: index.record(r), kind: MessageKind.entry });
  }
  return { index, items };
}
