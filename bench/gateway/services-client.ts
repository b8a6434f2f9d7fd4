/** Starts the fake Telegram + model services in a child process and talks to it over IPC. */
import { fork, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { SERVICES_FILE } from "../lib/paths.js";
import type { ServicesCommand, ServicesReply } from "./protocol.js";

export interface Services {
  telegramUrl: string;
  modelUrl: string;
  release(round: number, bots: string[], jitterMs: number): void;
  collect(): Promise<Extract<ServicesReply, { type: "collected" }>>;
  stop(): Promise<void>;
}

export async function startServices(): Promise<Services> {
  if (!existsSync(SERVICES_FILE)) throw new Error(`${SERVICES_FILE} is missing: run \`npm run build\` first`);
  const child: ChildProcess = fork(SERVICES_FILE, [], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const next = <T extends ServicesReply["type"]>(type: T) =>
    new Promise<Extract<ServicesReply, { type: T }>>((resolve, reject) => {
      const onMessage = (m: ServicesReply) => {
        if (m.type !== type) return;
        child.off("message", onMessage);
        child.off("exit", onExit);
        resolve(m as Extract<ServicesReply, { type: T }>);
      };
      const onExit = (code: number | null) => reject(new Error(`bench services exited (${code})`));
      child.on("message", onMessage);
      child.once("exit", onExit);
    });
  const ready = await next("ready");
  const send = (cmd: ServicesCommand) => child.send(cmd);
  return {
    telegramUrl: ready.telegramUrl,
    modelUrl: ready.modelUrl,
    release: (round, bots, jitterMs) => send({ type: "release", round, bots, jitterMs }),
    collect: () => {
      const p = next("collected");
      send({ type: "collect" });
      return p;
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      send({ type: "stop" });
      const timer = setTimeout(() => child.kill(), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}
