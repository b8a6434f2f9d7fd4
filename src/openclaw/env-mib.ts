/**
 * A size setting given in MiB by an environment variable (`CTXC_OPENCLAW_ENTRY_CACHE_MB`,
 * `CTXC_OPENCLAW_DIGEST_KEEP_MB`), in bytes: a number ≥ 0 (fractions allowed; 0 = off), else — unset,
 * empty, negative or not a number — `fallbackBytes`. A bad value never stops the gateway: the preload
 * runs with the default, as it does for its other settings.
 */
export function bytesFromMibSetting(value: string | undefined, fallbackBytes: number): number {
  const mb = value === undefined || value.trim() === "" ? NaN : Number(value);
  return Number.isFinite(mb) && mb >= 0 ? Math.floor(mb * 1024 * 1024) : fallbackBytes;
}
