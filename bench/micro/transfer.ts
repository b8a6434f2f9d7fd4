/**
 * Getting a context from a worker to the main thread: transferring the one ArrayBuffer (what ctxc does)
 * against structured-cloning the messages as objects (what a worker pool returning plain objects does)
 * and against cloning the buffer without transfer. Each sample is a round trip main → worker → main.
 */
import { Worker } from "node:worker_threads";
import type { CompiledContext } from "../../src/index.js";
import { runTasks, type MicroResult } from "../lib/tinybench-util.js";

const ECHO = `
const { parentPort } = require("node:worker_threads");
parentPort.on("message", (m) => {
  if (m.kind === "transfer") parentPort.postMessage(m, [m.payload]);
  else parentPort.postMessage(m);
});`;

export async function benchTransfer(ctx: CompiledContext, timeMs: number): Promise<MicroResult[]> {
  const worker = new Worker(ECHO, { eval: true });
  const messages = Array.from({ length: ctx.messageCount }, (_, i) => ctx.message(i));
  let buffer = ctx.buffer.slice(0);
  const bytes = buffer.byteLength;
  let pending: Promise<void> | null = null;
  // Replies are matched by id: tinybench may have several tasks' calls in flight at once.
  const waiting = new Map<number, (m: { payload: unknown }) => void>();
  let nextId = 0;
  worker.on("message", (m: { id: number; payload: unknown }) => {
    waiting.get(m.id)?.(m);
    waiting.delete(m.id);
  });
  const roundTrip = (msg: { kind: string; payload: unknown }, transfer?: ArrayBuffer[]) =>
    new Promise<{ payload: unknown }>((resolve) => {
      const id = nextId++;
      waiting.set(id, resolve);
      worker.postMessage({ ...msg, id }, transfer);
    });
  const extra = { messages: messages.length, bufferBytes: bytes };
  try {
    return await runTasks(
      [
        {
          name: "transfer the context ArrayBuffer (ctxc)",
          bytes,
          extra,
          fn: async () => {
            // tinybench may call the function once to see whether it is async: never send a detached buffer.
            while (pending) await pending;
            pending = roundTrip({ kind: "transfer", payload: buffer }, [buffer]).then((back) => {
              buffer = back.payload as ArrayBuffer;
              pending = null;
            });
            await pending;
          },
        },
        { name: "structured clone of the ArrayBuffer (no transfer)", bytes, extra, fn: () => roundTrip({ kind: "clone", payload: buffer }) },
        { name: "structured clone of the message objects", bytes, extra, fn: () => roundTrip({ kind: "clone", payload: messages }) },
      ],
      { timeMs },
    );
  } finally {
    await worker.terminate();
  }
}
