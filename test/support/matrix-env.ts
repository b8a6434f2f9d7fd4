/**
 * setupFiles of test/support/matrix-config.ts: the env of this file's matrix run (its project), set before
 * the test file is imported (the tests read CTXC_OPENCLAW_ROOT / CTXC_OPENCLAW_DIST at import). Every
 * variable the matrix sets is set or removed, so nothing of another project's run can remain.
 */
import { inject } from "vitest";

const MATRIX_VARIABLES = ["CTXC_OPENCLAW_ROOT", "CTXC_OPENCLAW_DIST"] as const;
const env = inject("matrixEnv");
for (const name of Object.keys(env)) if (!(MATRIX_VARIABLES as readonly string[]).includes(name)) throw new Error(`matrix-env.ts: ${name} is not a matrix variable`);
for (const name of MATRIX_VARIABLES) {
  if (env[name] === undefined) delete process.env[name];
  else process.env[name] = env[name];
}
