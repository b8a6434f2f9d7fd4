/**
 * The one string hash both threads use: the worker's entry-id index (pi/record-table.ts `idHash`) and
 * the main thread's choice of worker for a transcript (src/openclaw/pool.ts `shardOf`). It lives here,
 * beside validate.ts, because the main thread may import protocol/ while the worker never imports src/.
 *
 * Its values are part of what is kept: the persistent session index saves each row's id hash
 * (session/persistent-index.ts), so a change here would invalidate every saved index —
 * test/unit/string-hash.test.ts pins them.
 */

/**
 * 32-bit FNV-1a over the string's UTF-16 code units (the string as a JS Map compares it, not its UTF-8
 * bytes: no encoding pass), as an unsigned integer.
 */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
