/**
 * Everything a caller may do to the transcript entries it owns (stock's are `JSON.parse` results it may
 * rewrite, delete from, freeze, seal), for the tests proving that none of it reaches the next open:
 * test/openclaw/session-open-shared-state.test.ts (2026.5.12) and test/matrix/interceptions.test.ts
 * (2026.5.28–6.8's `loadEntriesFromFile`).
 */
type Plain = Record<string, unknown>;

/** Rewrites a JSON value in place, everywhere: scalars changed, keys added, arrays grown; objects frozen every other time. */
export function vandalize(value: unknown, depth: number, freezeIt: boolean): void {
  if (typeof value !== "object" || value === null || depth > 6) return;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (typeof value[i] === "object" && value[i] !== null) vandalize(value[i], depth + 1, !freezeIt);
      else value[i] = `changed ${i}`;
    }
    value.push("pushed");
  } else {
    const o = value as Plain;
    for (const key of Object.keys(o)) {
      const v = o[key];
      if (typeof v === "object" && v !== null) vandalize(v, depth + 1, !freezeIt);
      else o[key] = typeof v === "string" ? `${v} changed` : typeof v === "number" ? v + 1 : v === null ? "was null" : !v;
    }
    o.added = { by: "vandal" };
  }
  if (freezeIt) Object.freeze(value);
}

/** Does to one open's entries everything a caller could, each way on a different share of them. */
export function wreckEntries(entries: readonly Plain[]): void {
  entries.forEach((e, i) => {
    switch (i % 5) {
      case 0:
        // Every field read (lazy ones decoded), then rewritten deep.
        vandalize(e, 0, false);
        break;
      case 1:
        // Every field assigned before any read (lazy ones never decoded), then frozen.
        for (const key of Object.keys(e)) e[key] = { replaced: key };
        Object.freeze(e);
        break;
      case 2:
        // Frozen first, then every lazy field read and its value rewritten deep.
        Object.freeze(e);
        for (const key of Object.keys(e)) vandalize(e[key], 1, false);
        break;
      case 3:
        // Sealed first, then every field read and its value rewritten deep, then every field assigned.
        Object.seal(e);
        for (const key of Object.keys(e)) vandalize(e[key], 1, false);
        for (const key of Object.keys(e)) e[key] = { sealed: key };
        break;
      default:
        // Every field deleted.
        for (const key of Object.keys(e)) delete e[key];
    }
  });
}
