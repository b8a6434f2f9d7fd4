/**
 * Reader: ctxc's LineReader (64 KB chunks, split on raw \n bytes, never one big string) against what pi
 * does (readFileSync + toString + split("\n")).
 */
import { closeSync, openSync, readFileSync, statSync } from "node:fs";
import { readLines } from "../../native-free-workers/io/line-reader.js";
import { runTasks, type MicroResult } from "../lib/tinybench-util.js";

export async function benchReader(path: string, timeMs: number): Promise<MicroResult[]> {
  const size = statSync(path).size;
  let sink = 0;
  return runTasks(
    [
      {
        name: "ctxc LineReader, 64 KB chunks, raw \\n split",
        bytes: size,
        fn: () => {
          const fd = openSync(path, "r");
          try {
            readLines(fd, 0, 1, { chunkBytes: 64 * 1024, maxLineBytes: 256 * 1024 * 1024, until: size }, {
              onLine: (bytes) => {
                sink += bytes.length;
              },
              onOversize: () => {},
            });
          } finally {
            closeSync(fd);
          }
        },
      },
      {
        name: "readFileSync + toString + split(\"\\n\") (pi)",
        bytes: size,
        fn: () => {
          sink += readFileSync(path, "utf8").split("\n").length;
        },
      },
    ],
    { timeMs },
  );
}
