/**
 * Generated transcripts for the benchmarks, cached in .tmp/bench-data/ (git-ignored) so a rerun does not
 * regenerate 100 MB. The content is the fixture generator's realistic pi session (tool calls, thinking,
 * tool results up to 12 kB, images, branches, a compaction every ~5 MB, mixed Unicode).
 */
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { writeTranscript } from "../fixtures/transcript-generator.js";
import { DATA_DIR } from "./paths.js";

/** A generated transcript on disk. */
export interface TranscriptFile {
  path: string;
  bytes: number;
  entries: number;
  leafId: string;
  activePathLength: number;
  compactions: number;
}

const GENERATOR_VERSION = 1; // bump when the generator options below change

/** The cached transcript of about `mb` MB (generated on first use). */
export async function transcriptOfSize(mb: number, seed = 4242): Promise<TranscriptFile> {
  await mkdir(DATA_DIR, { recursive: true });
  const name = `v${GENERATOR_VERSION}-${mb}mb-s${seed}`;
  const path = join(DATA_DIR, `${name}.jsonl`);
  const metaPath = join(DATA_DIR, `${name}.json`);
  if (existsSync(path) && existsSync(metaPath)) return JSON.parse(await readFile(metaPath, "utf8")) as TranscriptFile;
  const compactions = Math.max(0, Math.round(mb / 5));
  const r = await writeTranscript(path, { seed, targetBytes: Math.round(mb * 1_000_000), compactions, unicode: "mixed" });
  const file: TranscriptFile = {
    path,
    bytes: r.bytes,
    entries: r.entries,
    leafId: r.leafId,
    activePathLength: r.stats.activePathLength,
    compactions: r.stats.compactions,
  };
  await writeFile(metaPath, JSON.stringify(file));
  return file;
}

/** A private copy of a transcript for one agent of one run (appends during the run must not touch the cache). */
export async function agentCopy(source: TranscriptFile, runDir: string, name: string): Promise<TranscriptFile> {
  await mkdir(runDir, { recursive: true });
  const path = join(runDir, `${name}.jsonl`);
  await copyFile(source.path, path);
  return { ...source, path };
}

export async function freshRunDir(tag: string): Promise<string> {
  const dir = join(DATA_DIR, `run-${process.pid}-${tag}`);
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  return dir;
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}
