/** A seeded PRNG (mulberry32) for generated test texts: the same seed, the same texts, on every run. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The seeds `CTXC_WIDE_SEEDS=<first>:<count>` asks the randomized tests for (by hand; unset in CI: undefined).
 * Not of that form: an error, so a mistyped value never runs zero seeds and passes.
 */
export function wideSeeds(): number[] | undefined {
  const value = process.env.CTXC_WIDE_SEEDS;
  if (value === undefined) return undefined;
  const m = /^(\d+):(\d+)$/.exec(value);
  if (!m) throw new Error(`CTXC_WIDE_SEEDS=${JSON.stringify(value)}: expected <first>:<count>, e.g. 100:600`);
  return seedRange(Number(m[1]), Number(m[2]));
}

/** `count` seeds from `first` on. */
export function seedRange(first: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => first + i);
}

/** A randomized test's timeout: `baseMs`, plus `perSeedMs` for each of the wide seeds asked for (none in CI). */
export function wideTimeout(baseMs: number, perSeedMs: number): number {
  return baseMs + (wideSeeds()?.length ?? 0) * perSeedMs;
}
