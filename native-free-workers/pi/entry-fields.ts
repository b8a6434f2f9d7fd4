/**
 * Where each member of a transcript line lies, two levels deep, so the main thread can build the entry
 * without `JSON.parse` of the whole line (issue #11 item 3: the first open of a session on OpenClaw
 * 2026.5.12; the session buffer's FIELDS and LAYOUTS sections, protocol/session-buffer-layout.ts).
 *
 * The line was validated by a full `JSON.parse` when it was read (pi/parse-line.ts), so this scanner
 * assumes well-formed JSON and only tracks strings and nesting (json-skip.ts, the skipper it shares).
 * It describes the top-level object's members in order, and for each object-valued member the same one
 * level down (pi's `buildSessionContext` reads `entry.message.role` of every message on the path: that
 * read must not decode the message's content). Deeper values are byte ranges, decoded on first use.
 *
 * An object is left undescribed (the main thread then `JSON.parse`s its whole range) when a literal
 * cannot reproduce `JSON.parse`'s object: a key spelled with escapes (compared as bytes, so duplicates
 * could hide), a duplicate key (`JSON.parse` keeps the FIRST position with the LAST value), `__proto__`
 * (an object literal would set the prototype), or more than {@link MAX_LAYOUT_KEYS} members.
 */
import { FieldKind, MAX_LAYOUT_KEYS } from "../protocol/session-buffer-layout.js";
import { CLOSE_BRACE, COMMA, OPEN_BRACE, OPEN_BRACKET, QUOTE } from "./json-bytes.js";
import { skipSpace, skipString, skipValue, stringEscaped } from "./json-skip.js";

/** The kind of the value starting at `start` and ending before `end`, just skipped (a string: plain or with escapes). */
function kindOf(b: Buffer, start: number, end: number): number {
  const c = b[start];
  // skipString just skipped it (skipValue's last string when the value is one).
  if (c === QUOTE) return stringEscaped() ? FieldKind.escapedString : FieldKind.string;
  if (c === OPEN_BRACE) return FieldKind.object;
  if (c === OPEN_BRACKET) return FieldKind.array;
  if (c === 0x74) return FieldKind.true;
  if (c === 0x66) return FieldKind.false;
  if (c === 0x6e) return FieldKind.null;
  return FieldKind.number;
}

/**
 * Interns key layouts (the member names of an object, in order) for one session buffer: the LAYOUTS
 * section is `JSON.stringify(layouts.list)`.
 */
export class LayoutTable {
  readonly list: string[][] = [];
  private readonly ids = new Map<string, number>();
  /**
   * The id of the layout of `keys` named `name` (the lazy mask — "1" per object/array member — then each key
   * followed by U+0000, which a key read without escapes cannot hold), or -1 past
   * `maxLayouts` (the object is then left undescribed). The mask is part of the layout so the main thread
   * finds an object's factory by its layout id alone (every object of a layout has the same lazy members).
   */
  idOf(keys: string[], name: string, maxLayouts: number): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      if (this.list.length >= maxLayouts) return -1;
      id = this.list.length;
      this.list.push(keys);
      this.ids.set(name, id);
    }
    return id;
  }
}

/**
 * Appends to `out` the descriptor of the object starting at `start` of `line` — `[layout, (kindWord, from,
 * to) × members]`, offsets relative to `base` — and, after it, the descriptors of its object members when
 * `depth` allows (a member's kindWord then holds, above its 4 kind bits, how many words after the member's
 * own kind word its child's descriptor starts). One pass: an object member is described while it is
 * skipped. Returns the index just past the object, or -1, with `out` as it was, when the object cannot be
 * described (see the module comment).
 */
function describeObject(line: Buffer, start: number, end: number, base: number, depth: number, layouts: LayoutTable, maxLayouts: number, out: number[]): number {
  const at = out.length;
  const keys: string[] = [];
  let lazy = "";
  let name = "";
  let children: (number | number[])[] | undefined;
  out.push(0);
  let i = skipSpace(line, start + 1, end);
  if (line[i] !== CLOSE_BRACE) {
    for (;;) {
      i = skipSpace(line, i, end);
      const keyStart = i + 1;
      i = skipString(line, i, end, true);
      const keyEnd = i - 1;
      if (stringEscaped()) return reset(out, at);
      const key = (line as Buffer & { utf8Slice(a: number, b: number): string }).utf8Slice(keyStart, keyEnd); // toString without its argument checks: per key
      if (key === "__proto__" || keys.includes(key) || keys.length >= MAX_LAYOUT_KEYS) return reset(out, at);
      keys.push(key);
      name += key + "\u0000";
      i = skipSpace(line, i, end); // at ':'
      const valueStart = skipSpace(line, i + 1, end);
      const c = line[valueStart];
      let valueEnd: number;
      let kind: number;
      if (c === OPEN_BRACE && depth > 1) {
        kind = FieldKind.object;
        const child: number[] = [];
        valueEnd = describeObject(line, valueStart, end, base, depth - 1, layouts, maxLayouts, child);
        if (valueEnd < 0) valueEnd = skipValue(line, valueStart, end, true);
        else (children ??= []).push(out.length, child);
      } else {
        valueEnd = skipValue(line, valueStart, end, true);
        kind = kindOf(line, valueStart, valueEnd);
      }
      lazy += kind === FieldKind.object || kind === FieldKind.array ? "1" : "0";
      out.push(kind, valueStart - base, valueEnd - base);
      i = skipSpace(line, valueEnd, end);
      if (line[i] !== COMMA) break;
      i++;
    }
  }
  const layout = layouts.idOf(keys, `${lazy}:${name}`, maxLayouts);
  if (layout < 0) return reset(out, at);
  out[at] = layout;
  if (children) {
    for (let c = 0; c < children.length; c += 2) {
      const word = children[c] as number;
      // Relative to the member's kind word, so a descriptor can be copied anywhere as it is.
      out[word] = FieldKind.object | ((out.length - word) << 4);
      for (const w of children[c + 1] as number[]) out.push(w);
    }
  }
  return i + 1; // past the '}'
}

function reset(out: number[], at: number): -1 {
  out.length = at;
  return -1;
}

/**
 * The descriptor words of the entry line `line` (a well-formed JSON object), two levels deep, or null
 * when it cannot be described (the main thread parses the line). Offsets are relative to the line start.
 */
export function describeEntry(line: Buffer, layouts: LayoutTable, maxLayouts: number): number[] | null {
  const end = line.length;
  const start = skipSpace(line, 0, end);
  if (line[start] !== OPEN_BRACE) return null;
  const out: number[] = [];
  return describeObject(line, start, end, 0, 2, layouts, maxLayouts, out) >= 0 ? out : null;
}
