/**
 * `generateTranscript` for the matrix files, generated once per matrix run instead of once per release.
 *
 * Why: scripts/matrix.sh runs every matrix file once per release (six on Node 24, in one vitest run), and
 * each run generated its large fixtures anew — the same bytes, from the same seeds — about 50 MB a release
 * (9 MB transcripts take 2–4 s each on the CI host). With CTXC_GENERATED_CACHE (matrix.sh sets it to a
 * folder of its own fresh output dir) the first file to need a fixture writes it there and the others read
 * it. Without it (a matrix file run alone, the main suite) this is `generateTranscript` itself.
 *
 * The key is the generator's source text and the options, so an edit to either generates anew; the value
 * is the whole result as JSON (text, leaf id, stats: plain data). Written to a temp file and renamed, so a
 * reader in another process sees a whole entry or none. Only results of ≥ SMALL bytes are kept: a small
 * one generates faster than it is read.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { wideSeeds } from "./seeded-random.js";
import { DAMAGE_KINDS, damage, generateTranscript, type DamageKind, type GenerateOptions, type GeneratedTranscript } from "../../bench/fixtures/transcript-generator.js";

const SMALL = 256 * 1024;
const GENERATOR = new URL("../../bench/fixtures/transcript-generator.ts", import.meta.url);
let source: string | undefined;

export function generatedTranscript(opts: GenerateOptions): GeneratedTranscript {
  const dir = process.env.CTXC_GENERATED_CACHE;
  if (!dir) return generateTranscript(opts);
  source ??= readFileSync(GENERATOR, "utf8");
  const key = createHash("sha256").update(source).update("\0").update(JSON.stringify(opts)).digest("hex").slice(0, 32);
  const path = join(dir, `${key}.json`);
  try {
    return JSON.parse(readFileSync(path, "utf8")) as GeneratedTranscript;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
  const generated = generateTranscript(opts);
  if (generated.text.length >= SMALL) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(generated));
    renameSync(tmp, path);
  }
  return generated;
}

/**
 * The wider corpus `CTXC_WIDE_SEEDS=<first>:<count>` asks for (by hand; unset in CI: empty): per seed, a generated
 * transcript of varied options (size, branching, compactions, entry types, unicode) and each kind of damage of it
 * the generator can make (a small transcript cannot take every kind).
 */
export function wideCorpus(): { name: string; text: string; damage?: DamageKind }[] {
  const out: { name: string; text: string; damage?: DamageKind }[] = [];
  for (const seed of wideSeeds() ?? []) {
    const { text } = generateTranscript({
      seed,
      entries: [20, 90, 250][seed % 3]!,
      branchProbability: [0, 0.1, 0.4][(seed >> 1) % 3]!,
      compactions: seed % 5,
      includeAllEntryTypes: seed % 2 === 0,
      unicode: (["ascii", "mixed", "heavy"] as const)[seed % 3]!,
      imageProbability: seed % 4 === 0 ? 0.2 : 0.03,
    });
    out.push({ name: `wide ${seed}`, text });
    DAMAGE_KINDS.forEach((kind, i) => {
      try {
        out.push({ name: `wide ${seed} damaged: ${kind}`, text: damage(text, kind, seed * 31 + i), damage: kind });
      } catch {
        // too small for this kind of damage
      }
    });
  }
  return out;
}
