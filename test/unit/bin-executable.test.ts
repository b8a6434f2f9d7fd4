/**
 * The package's bins are executable after the build: `npx ctxc` in a checkout runs the file itself, and
 * `npm ci` there runs `prepare`, which compiles dist/ anew (tsc writes new files 0644; npm makes bins
 * executable only when it links an installed package). The README's first command depends on it.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..");

describe.skipIf(process.platform === "win32")("the build's bins", () => {
  it("every bin of package.json is built and executable by its owner, group and others", () => {
    const { bin } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { bin: Record<string, string> };
    expect(Object.keys(bin).length).toBeGreaterThan(0);
    for (const [name, file] of Object.entries(bin)) expect(statSync(join(root, file)).mode & 0o111, `${name}: ${file}`).toBe(0o111);
  });
});
