/**
 * The rules for a directory ctxc keeps private data in (the persistent index's `cacheDir`; later the
 * OpenClaw preload's cache under OpenClaw's state dir): it must be ours alone, so that no other local
 * user can read what is in it, plant files in it, or swap it for something else.
 *
 * A directory is private when it is a real directory (not a symlink), owned by the current user, and not
 * writable by group or others; and every directory above it (symlinks resolved) is owned by root or the
 * current user and not writable by group or others unless sticky (as /tmp is) — otherwise whoever can
 * write the parent can rename ours away and put theirs in its place. A missing directory is created
 * with mode 0700 (missing parents too), so it is never more open than that, not even for a moment; a
 * umask can only take bits away from 0700.
 *
 * Why checking once is enough (TOCTOU): everything checked here can only be changed by the directory's
 * owner — us — or by root. Another user cannot make a checked directory public, chown it, or replace it
 * (the parents are not writable by them, or sticky). The one way it can change under us is being deleted
 * by us or root (a tmp cleaner) and re-created by someone else in a sticky parent: {@link recheckPrivateDir}
 * catches that with one lstat per use, comparing the identity remembered here.
 */
import { lstatSync, mkdirSync, realpathSync, statSync, type Stats } from "node:fs";
import { dirname, resolve, sep } from "node:path";

/** A directory found private (with its identity, for {@link recheckPrivateDir}), or why it is refused. */
export type PrivateDirVerdict = { ok: true; path: string; dev: number; ino: number } | { ok: false; path: string; reason: string };

/** The identity of a checked directory (device + inode), as {@link checkPrivateDir} returned it. */
export interface DirIdentity {
  dev: number;
  ino: number;
}

const GROUP_OTHER_WRITE = 0o022;
const STICKY = 0o1000;

function mode(stats: Stats): string {
  return `mode ${(stats.mode & 0o7777).toString(8).padStart(4, "0")}`;
}

/** Current uid, or undefined where there is none (Windows: ACLs, not modes; only the symlink rule applies). */
function currentUid(): number | undefined {
  return process.getuid?.();
}

/** Why the directory itself (already lstat'ed) is not private, or null. */
function leafProblem(stats: Stats, uid: number | undefined): string | null {
  if (stats.isSymbolicLink()) return "is a symbolic link";
  if (!stats.isDirectory()) return "is not a directory";
  if (uid === undefined) return null;
  if (stats.uid !== uid) return `is owned by uid ${stats.uid}, not by the current user (uid ${uid})`;
  if (stats.mode & GROUP_OTHER_WRITE) return `is writable by group or others (${mode(stats)})`;
  return null;
}

/** Why an ancestor lets someone else replace what is below it, or null. */
function ancestorProblem(path: string, stats: Stats, uid: number | undefined): string | null {
  if (uid === undefined) return null;
  if (stats.uid !== 0 && stats.uid !== uid) return `its parent ${path} is owned by uid ${stats.uid} (neither root nor the current user)`;
  if (stats.mode & GROUP_OTHER_WRITE && !(stats.mode & STICKY)) {
    return `its parent ${path} is writable by group or others and not sticky (${mode(stats)})`;
  }
  return null;
}

/**
 * Checks that `dir` is a private directory (rules above), creating it 0700 when it does not exist and
 * `create` is true. Never throws: a directory that cannot be checked or created is refused with the reason,
 * which reads after the path ("… is a symbolic link", "… is writable by group or others (mode 0777)").
 *
 * Public (`ctxc`, `ctxc/openclaw`): createCompiler applies it to `cacheDir`; a caller keeping its own
 * cache (the OpenClaw preload, under OpenClaw's state dir) gets the same rules. Check once, then keep
 * using `path`: the rules cannot be undone by another user afterwards (see above).
 */
export function checkPrivateDir(dir: string, create = true): PrivateDirVerdict {
  const path = resolve(dir);
  const refuse = (reason: string): PrivateDirVerdict => ({ ok: false, path, reason });
  const uid = currentUid();
  // 1. The parents first, before anything is created under them: from the root down to the deepest one
  // that exists (symlinks resolved). Missing ones are created below, by us, 0700.
  let existing = dirname(path);
  while (!exists(existing) && dirname(existing) !== existing) existing = dirname(existing);
  let parent: string;
  try {
    parent = realpathSync(existing);
  } catch (err) {
    return refuse(`its parent cannot be resolved (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const parts = parent.split(sep).filter((p) => p !== "");
  for (let i = 0; i <= parts.length; i++) {
    const ancestor = sep + parts.slice(0, i).join(sep);
    let s: Stats;
    try {
      s = statSync(ancestor);
    } catch (err) {
      return refuse(`its parent ${ancestor} cannot be examined (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    const problem = ancestorProblem(ancestor, s, uid);
    if (problem) return refuse(problem);
  }
  // 2. The directory itself.
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "ENOENT" || !create) return refuse(`cannot be examined (${code ?? (err as Error).message})`);
    try {
      // recursive: missing parents are created 0700 too. mkdir never follows a symlink at the last
      // component (EEXIST), and no other user can place one: the parents were just found closed to them.
      mkdirSync(path, { recursive: true, mode: 0o700 });
      stats = lstatSync(path);
    } catch (err) {
      return refuse(`cannot be created (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
  }
  const leaf = leafProblem(stats, uid);
  if (leaf) return refuse(leaf);
  return { ok: true, path, dev: stats.dev, ino: stats.ino };
}

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether `dir` is still the directory {@link checkPrivateDir} found private (same device and inode,
 * still ours and closed to others): one lstat, cheap enough for every use. A directory that is gone
 * (deleted by us or a tmp cleaner) is checked and created again from scratch. Returns the identity to
 * use from now on, or why the directory is refused.
 */
export function recheckPrivateDir(dir: string, identity: DirIdentity): { ok: true; identity: DirIdentity } | { ok: false; reason: string } {
  let stats: Stats;
  try {
    stats = lstatSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") return { ok: false, reason: `cannot be examined (${(err as NodeJS.ErrnoException).code})` };
    const again = checkPrivateDir(dir, true);
    return again.ok ? { ok: true, identity: { dev: again.dev, ino: again.ino } } : again;
  }
  const leaf = leafProblem(stats, currentUid());
  if (leaf) return { ok: false, reason: leaf };
  if (stats.dev !== identity.dev || stats.ino !== identity.ino) return { ok: false, reason: "was replaced by another directory since it was checked" };
  return { ok: true, identity };
}
