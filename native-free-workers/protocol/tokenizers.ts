/**
 * The tokenizer registry: the one list of tokenizer names ctxc knows. The public option type, the CLI's
 * `--tokenizer` check, the compile task and the worker's counters all derive from {@link TOKENIZERS};
 * adding a name here makes the compiler demand a backend for it in tokenize/token-counter.ts (its
 * encoder table is keyed by {@link ExactTokenizerName}). An unknown name is always an INVALID_OPTION
 * error, never a silent fallback to another encoding.
 */
import { Errors } from "./errors.js";

/** Every tokenizer name, the default first. */
export const TOKENIZERS = ["o200k_base", "cl100k_base", "estimate"] as const;

/** A tokenizer for the counts: a BPE encoding (exact counts) or `estimate` (OpenClaw's chars/4). */
export type TokenizerName = (typeof TOKENIZERS)[number];

/** The tokenizers that count real BPE tokens (every name but `estimate`). */
export type ExactTokenizerName = Exclude<TokenizerName, "estimate">;

export function isTokenizerName(value: unknown): value is TokenizerName {
  return (TOKENIZERS as readonly unknown[]).includes(value);
}

/** `value` as a tokenizer name, or INVALID_OPTION naming the option and the known names. */
export function validateTokenizer(value: unknown, option = "tokenizer"): TokenizerName {
  if (!isTokenizerName(value)) {
    throw Errors.invalidOption(option, `expected one of ${TOKENIZERS.join(", ")}, got ${JSON.stringify(value)}`);
  }
  return value;
}
