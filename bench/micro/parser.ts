/**
 * Parser backends: JSON.parse per line (what ctxc ships) on the whole transcript, alone and behind the
 * LineReader (bytes → string → JSON.parse, ctxc's read+parse path). simdjson is not installed: an
 * earlier measurement on this project found it 1.7x slower per line than JSON.parse (the JS object
 * still has to be built, and crossing into the addon per line costs more than it saves), and it is not
 * shipped; the report says so instead of measuring it.
 */
import { closeSync, openSync, statSync } from "node:fs";
import { readLines } from "../../native-free-workers/io/line-reader.js";
import { runTasks, type MicroResult } from "../lib/tinybench-util.js";

export const SIMDJSON_NOTE =
  "simdjson: not installed and not shipped; measured earlier at 1.7x slower per line than JSON.parse (not re-measured here).";

export async function benchParser(path: string, lines: readonly string[], timeMs: number): Promise<MicroResult[]> {
  const size = statSync(path).size;
  let sink = 0;
  const lineCount = lines.length;
  return runTasks(
    [
      {
        name: "JSON.parse per line (lines already split)",
        bytes: size,
        extra: { lines: lineCount },
        fn: () => {
          for (const line of lines) sink += (JSON.parse(line) as object) ? 1 : 0;
        },
      },
      {
        name: "LineReader + utf8 decode + JSON.parse (ctxc read+parse)",
        bytes: size,
        extra: { lines: lineCount },
        fn: () => {
          const fd = openSync(path, "r");
          try {
            readLines(fd, 0, 1, { chunkBytes: 64 * 1024, maxLineBytes: 256 * 1024 * 1024, until: size }, {
              onLine: (bytes) => {
                sink += (JSON.parse(bytes.toString("utf8")) as object) ? 1 : 0;
              },
              onOversize: () => {},
            });
          } finally {
            closeSync(fd);
          }
        },
      },
    ],
    { timeMs },
  );
}
