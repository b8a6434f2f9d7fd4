/**
 * The bits both loopback fakes (Telegram, model) share: read a request body, and close without waiting for the gateway's keep-alive and long-poll connections to end.
 */
import type { IncomingMessage, Server } from "node:http";

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export async function closeServer(server: Server | null): Promise<void> {
  if (!server) return;
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
