/**
 * `ctxc build --out FILE`. The output holds the conversation (every message of the context), so it is
 * treated like the transcript it came from (SECURITY.md):
 * - a new FILE is created 0600 — from creation, not chmod'ed afterwards (a umask only removes bits);
 * - an existing FILE of ours is truncated and rewritten in place: its mode stays what its owner chose;
 * - a symlink at FILE is not followed (O_NOFOLLOW): a link planted in a shared directory
 *   (`/tmp/ctx.json` → `~/.bashrc`) must not redirect the write. To write to stdout, leave out --out;
 * - an existing file of another user is not written to: in a sticky directory such as /tmp anyone can
 *   create the name first and would then read the conversation. Character devices (/dev/null, a tty)
 *   are written as they are.
 * Errors carry the OS code (`err.code`) where there is one, or say why FILE was refused.
 */
import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";

export async function writeOutputFile(path: string, data: string | Uint8Array): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ELOOP") throw new Error("it is a symbolic link, which --out does not follow");
    throw err;
  }
  try {
    const stats = await handle.stat();
    const uid = process.getuid?.();
    if (!stats.isCharacterDevice() && uid !== undefined && stats.uid !== uid) {
      throw new Error(`it belongs to uid ${stats.uid}, not to the current user (uid ${uid}); not written`);
    }
    if (stats.isFile()) await handle.truncate(0);
    await handle.writeFile(data);
  } finally {
    await handle.close();
  }
}
