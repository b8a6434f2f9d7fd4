/**
 * A count-like setting (`CTXC_OPENCLAW_WARMUP`, `CTXC_OPENCLAW_WARMUP_DAYS`): `off` or 0 turns it off (0);
 * a number ≥ 0 (a whole one when `whole`) is taken, capped at `max`; unset, blank or anything else: `fallback`.
 */
export function boundedSetting(value: string | undefined, { fallback, max, whole }: { fallback: number; max: number; whole: boolean }): number {
  const v = value?.trim();
  if (!v) return fallback;
  if (v === "off") return 0;
  const n = Number(v);
  return (whole ? Number.isInteger(n) : Number.isFinite(n)) && n >= 0 ? Math.min(n, max) : fallback;
}

/**
 * A size setting given in MiB by an environment variable (`CTXC_OPENCLAW_ENTRY_CACHE_MB`,
 * `CTXC_OPENCLAW_DIGEST_KEEP_MB`, `CTXC_OPENCLAW_READ_KEEP_MB`), in bytes: a number ≥ 0 (fractions allowed; 0 = off), else — unset,
 * empty, negative or not a number — `fallbackBytes`. A bad value never stops the gateway: the preload
 * runs with the default, as it does for its other settings.
 */
export function bytesFromMibSetting(value: string | undefined, fallbackBytes: number): number {
  const mb = value === undefined || value.trim() === "" ? NaN : Number(value);
  return Number.isFinite(mb) && mb >= 0 ? Math.floor(mb * 1024 * 1024) : fallbackBytes;
}
