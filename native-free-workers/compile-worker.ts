/**
 * The piscina worker entry. One task = one build. The result is the context ArrayBuffer, returned
 * through `move()` so piscina transfers it (ownership moves to the main thread; nothing is cloned).
 *
 * Failures are returned, not thrown: structured clone would strip an Error's `code`, and callers
 * switch on codes. Anything that is not already a CtxcError is a bug and is reported as INTERNAL.
 */
import { move } from "piscina";
import type { CompileTask } from "../src/compile-task.js";
import { CtxcError, Errors, type WireError } from "../src/errors.js";
import { compile } from "./compile.js";

export default async function compileTask(task: CompileTask): Promise<ArrayBuffer | WireError> {
  try {
    return move(await compile(task)) as ArrayBuffer;
  } catch (err) {
    return (err instanceof CtxcError ? err : Errors.internal(err)).toWire();
  }
}
