/**
 * One unit of a start-up proxy's fixed main-thread work (~2 ms here): a parse and a stringify of the same
 * text — it allocates, as a gateway's start-up does. bench/restart-warmup.ts `--first-start` and
 * bench/warmup-busy.ts run it as their stand-in for OpenClaw's start-up. Returns the parse (callers that
 * keep some alive model long-lived start-up state).
 */
const unitText = JSON.stringify(Array.from({ length: 1500 }, (_, i) => ({ id: `e${i}`, parentId: `e${i - 1}`, type: "message", message: { role: "user", content: [{ type: "text", text: "x".repeat(40 + (i % 7)) }] } })));
let unitSink = 0;

export function unitOfWork(): unknown {
  const parsed = JSON.parse(unitText) as unknown;
  unitSink += JSON.stringify(parsed).length;
  return parsed;
}
