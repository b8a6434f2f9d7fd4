/**
 * Where the JavaScript regex engine's character classes (Node's ICU tables) and those of the Rust
 * `regex` crate inside tiktoken 1.0.22 (Unicode 16 tables) disagree. One list, used twice:
 * token-counter.ts routes texts holding one of these characters to tiktoken (HYBRID_ROUTE_RE), and
 * long-piece.ts subtracts them from its own split so that it cuts text where tiktoken cuts it.
 * Found by the full code-point sweep described in docs/tokenizers.md.
 */

/**
 * Letters, marks and numbers new in Unicode 17.0: JS `\p{L}`/`\p{M}`/`\p{N}` (Node 20, ICU
 * Unicode 17.0) include them, tiktoken's tables treat them as unassigned — neither letter, mark,
 * number nor whitespace, so its split puts them in the "other" (punctuation) class.
 * A character-class body (no brackets), valid under both the `u` and the `v` flag.
 */
export const UNICODE17_NEW_CLASS =
  "\\u088F\\u0C5C\\u0CDC\\u1ACF-\\u1ADD\\u1AE0-\\u1AEB\\uA7CE\\uA7CF\\uA7D2\\uA7D4\\uA7F1\\u{10940}-\\u{10959}\\u{10EC5}-\\u{10EC7}\\u{10EFA}\\u{10EFB}\\u{11B60}-\\u{11B67}\\u{11DB0}-\\u{11DDB}\\u{11DE0}-\\u{11DE9}\\u{16EA0}-\\u{16EB8}\\u{16EBB}-\\u{16ED3}\\u{16FF2}-\\u{16FF6}\\u{187F8}-\\u{187FF}\\u{18D09}-\\u{18D1E}\\u{18D80}-\\u{18DF2}\\u{1E6C0}-\\u{1E6DE}\\u{1E6E0}-\\u{1E6F5}\\u{1E6FE}\\u{1E6FF}\\u{2B73A}-\\u{2B73F}\\u{2CEA2}-\\u{2CEAD}\\u{323B0}-\\u{33479}";

/**
 * Whitespace the engines disagree on: U+0085 (NEL) is Rust `\s` and not JS `\s`; U+FEFF (BOM) is
 * JS `\s` and not Rust `\s`. A class body.
 */
export const WHITESPACE_DIVERGENT_CLASS = "\\u0085\\uFEFF";
