import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the fake server received. */
export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: Record<string, unknown>;
  /** performance.timeOrigin-based ms when the body had arrived. */
  at: number;
  /** The status it was answered with. */
  status?: number;
}

/** How the server answers the next request: as the Bot API would. */
export type Reply = "ok" | { status: 429; retryAfter: number } | { status: number; description?: string } | { hangMs: number };

/**
 * A local HTTP server that answers like the Telegram Bot API (`/bot<token>/sendMessage` →
 * `{ok:true,result:{message_id}}`; 429 with `parameters.retry_after`; 5xx) and records what
 * it got. Also serves as a generic webhook receiver (any other path gets 200 `{}`).
 * Scripted replies are used in order, then "ok".
 */
export async function startFakeBotApi(opts: { token?: string; port?: number; onRequest?: (r: Received) => void } = {}) {
  const received: Received[] = [];
  const script: Reply[] = [];
  let messageId = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (d: Buffer) => chunks.push(d));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(raw);
      } catch {
        body = {};
      }
      const r: Received = { method: req.method ?? "", path: req.url ?? "", headers: req.headers, raw, body, at: performance.timeOrigin + performance.now() };
      const reply = script.shift() ?? "ok";
      const send = (status: number, value: unknown) => {
        r.status = status;
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      received.push(r);
      opts.onRequest?.(r);
      for (const w of waiters.splice(0)) if (received.length >= w.n) w.resolve();
      else waiters.push(w);
      if (typeof reply === "object" && "hangMs" in reply) {
        // Answered late (the client has given up, or was killed meanwhile): received, never accepted.
        setTimeout(() => {
          if (!res.destroyed) res.destroy();
        }, reply.hangMs);
        return;
      }
      const isBot = opts.token === undefined ? r.path.startsWith("/bot") : r.path === `/bot${opts.token}/sendMessage`;
      if (reply === "ok") {
        if (r.path.startsWith("/bot") && !isBot) send(401, { ok: false, error_code: 401, description: "Unauthorized" });
        else if (isBot) send(200, { ok: true, result: { message_id: ++messageId, chat: { id: body.chat_id }, text: body.text } });
        else send(200, {});
      } else if (reply.status === 429) {
        const after = (reply as { retryAfter: number }).retryAfter;
        send(429, { ok: false, error_code: 429, description: `Too Many Requests: retry after ${after}`, parameters: { retry_after: after } });
      } else {
        send(reply.status, { ok: false, error_code: reply.status, description: (reply as { description?: string }).description ?? "Internal Server Error" });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    /** Replies for the next requests, in order. */
    script: (...replies: Reply[]) => script.push(...replies),
    /** Resolves once at least n requests were received. */
    waitFor: (n: number) => new Promise<void>((resolve) => (received.length >= n ? resolve() : waiters.push({ n, resolve }))),
    /** Texts of the messages accepted (answered 200). */
    messages: () => received.filter((r) => r.path.includes("/sendMessage") && r.status === 200).map((r) => r.body.text as string),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
export type FakeBotApi = Awaited<ReturnType<typeof startFakeBotApi>>;
