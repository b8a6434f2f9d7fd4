/**
 * What the CLI's flags accept, in one place: the parser checks against it and the help prints it.
 */

/** Output formats of `ctxc build --format`; the first is the default. */
export const FORMATS = ["json", "text", "buffer"] as const;
export type OutputFormat = (typeof FORMATS)[number];

/** Inclusive ranges of the numeric flags. */
export const LIMITS = {
  /** Token counts are u32 in the context buffer (docs/buffer-format.md); 0 keeps only what is never dropped. */
  budget: { min: 0, max: 2 ** 32 - 1 },
  /** A worker thread per lane; past a few per core they only compete for the same cores. */
  threads: { min: 1, max: 64 },
} as const;
