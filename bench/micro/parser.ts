/**
 * Parser backends: JSON.parse per line (what a full parse costs) on the whole transcript, alone and
 * behind the LineReader (bytes → string → JSON.parse); and the cold build's key pass (line-keys.ts:
 * validates the whole line, takes type/id/parentId/message range/role) against the structural skip
 * alone (json-value-range.ts: finds the message range, validates nothing) — what checking every line is
 * well-formed costs on top of finding the keys. simdjson is not installed: an
 * earlier measurement on this project found it 1.7x slower per line than JSON.parse (the JS object
 * still has to be built, and crossing into the addon per line costs more than it saves), and it is not
 * shipped; the report says so instead of measuring it.
 */
import { closeSync, openSync, statSync } from "node:fs";
import { findTopLevelValue } from "../../native-free-workers/pi/json-value-range.js";
import { scanLineKeys } from "../../native-free-workers/pi/line-keys.js";
import { readLines } from "../../native-free-workers/io/line-reader.js";
import { runTasks, type MicroResult } from "../lib/tinybench-util.js";

export const SIMDJSON_NOTE =
  "simdjson: not installed and not shipped; measured earlier at 1.7x slower per line than JSON.parse (not re-measured here).";

export async function benchParser(path: string, lines: readonly string[], timeMs: number): Promise<MicroResult[]> {
  const size = statSync(path).size;
  let sink = 0;
  const lineCount = lines.length;
  const lineBytes = lines.map((l) => Buffer.from(l));
  const messageKey = Buffer.from("message");
  const readAll = (onLine: (bytes: Buffer) => void) => {
    const fd = openSync(path, "r");
    try {
      readLines(fd, 0, 1, { chunkBytes: 64 * 1024, maxLineBytes: 256 * 1024 * 1024, until: size }, { onLine, onOversize: () => {} });
    } finally {
      closeSync(fd);
    }
  };
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
        fn: () => readAll((bytes) => (sink += (JSON.parse(bytes.toString("utf8")) as object) ? 1 : 0)),
      },
      {
        name: "scanLineKeys per line (validating key pass, lines as bytes)",
        bytes: size,
        extra: { lines: lineCount },
        fn: () => {
          for (const b of lineBytes) sink += scanLineKeys(b) ? 1 : 0;
        },
      },
      {
        name: "structural skip per line (findTopLevelValue, no validation)",
        bytes: size,
        extra: { lines: lineCount },
        fn: () => {
          for (const b of lineBytes) sink += findTopLevelValue(b, messageKey) ? 1 : 0;
        },
      },
      {
        name: "LineReader + scanLineKeys (the cold build's key pass)",
        bytes: size,
        extra: { lines: lineCount },
        fn: () => readAll((bytes) => (sink += scanLineKeys(bytes) ? 1 : 0)),
      },
    ],
    { timeMs },
  );
}
