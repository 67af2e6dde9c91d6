import type { AddressInfo } from "node:net";
import { serve } from "@hono/node-server";
import { type AppOptions, createApp } from "./app.js";
import { checkBind, ServeError } from "./auth.js";

export interface ServerOptions extends AppOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
}

export interface RunningServer {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts `awl serve`: refuses a non-loopback address without a token (before binding
 * anything), then listens and resolves with the address actually bound.
 */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  checkBind(opts.host, opts.token);
  const { app, close } = await createApp(opts);
  try {
    const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
      const s = serve({ fetch: app.fetch, hostname: opts.host, port: opts.port, overrideGlobalObjects: false }, () => resolve(s));
      s.once("error", (err: NodeJS.ErrnoException) => {
        reject(new ServeError(err.code === "EADDRINUSE" ? `port ${opts.port} on ${opts.host} is in use (try --port 0 or another port)` : `cannot listen on ${opts.host}:${opts.port}: ${err.code ?? err.message}`));
      });
    });
    const addr = server.address() as AddressInfo;
    const hostForUrl = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
    return {
      url: `http://${hostForUrl}:${addr.port}`,
      host: addr.address,
      port: addr.port,
      async close() {
        await close();
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
        });
      },
    };
  } catch (err) {
    await close();
    throw err;
  }
}
