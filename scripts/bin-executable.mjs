// Makes the package's bin files executable after a build. `npm ci` in a checkout runs `prepare`, which
// deletes dist/ and compiles it again: tsc writes new files 0644, so the README's first command
// (`npm ci && npx ctxc build …`) found `dist/src/cli/main.js` not executable ("ctxc: Permission denied").
// npm makes bins executable when it links an installed package, not the checkout's own.
import { chmodSync, readFileSync } from "node:fs";

const { bin } = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
for (const file of typeof bin === "string" ? [bin] : Object.values(bin ?? {})) chmodSync(new URL(`../${file}`, import.meta.url), 0o755);
