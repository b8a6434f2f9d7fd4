/** Messages between the benchmark (the gateway process) and the fake services child process. */

/** Parent → services. */
export type ServicesCommand =
  | { type: "release"; round: number; bots: string[]; jitterMs: number }
  | { type: "collect" }
  | { type: "stop" };

/** One Telegram update's life, timed by the services process (one clock for both ends). */
export interface UpdateRecord {
  bot: string;
  updateId: number;
  round: number;
  /** When the user's message "arrived at Telegram" (ms, services clock). */
  availableAt: number;
  /** When a getUpdates response carried it to the gateway. */
  deliveredAt: number | null;
  /** When the fake model endpoint received the gateway's dispatch for it. */
  dispatchedAt: number | null;
}

/** Services → parent. */
export type ServicesReply =
  | { type: "ready"; telegramUrl: string; modelUrl: string }
  | { type: "collected"; updates: UpdateRecord[]; turnaroundsMs: number[]; polls: number };
