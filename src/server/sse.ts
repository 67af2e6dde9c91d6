import type { ServerResponse } from "node:http";
import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import type { SSEStreamingApi } from "hono/streaming";

/**
 * One SSE connection's writer. Messages are formatted by the caller (a batch of events is
 * one write), written in order, and a heartbeat comment keeps proxies and the browser from
 * timing the connection out. A client too slow to keep up (more than `maxBufferedBytes`
 * waiting) is disconnected rather than buffered without bound; EventSource reconnects with
 * Last-Event-ID and resumes exactly where it was.
 *
 * On Node the bytes go straight to the socket's ServerResponse: with 100 clients and
 * thousands of events a second, passing each write through a web TransformStream costs
 * more than everything else together. Elsewhere (app.request in tests, other runtimes)
 * hono's streamSSE carries them.
 */
export interface SseOptions {
  heartbeatMs: number;
  maxBufferedBytes?: number;
}

export function sseMessage(data: string, id?: string | number, event?: string): string {
  // JSON.stringify never emits a raw newline, so `data` is one line.
  return `${event ? `event: ${event}\n` : ""}${id !== undefined ? `id: ${id}\n` : ""}data: ${data}\n\n`;
}

/** Where an SSE connection's bytes go. */
export interface SseSink {
  write(chunk: string | Uint8Array): void;
  /** Bytes accepted but not yet handed to the socket. */
  buffered(): number;
  end(): void;
  destroy(): void;
  /** Called once when the connection is over (ended, destroyed, or the client left). */
  onClose(fn: () => void): void;
}

export function responseSink(res: ServerResponse): SseSink {
  return {
    write: (chunk) => {
      res.write(chunk);
    },
    buffered: () => res.writableLength,
    end: () => res.end(),
    destroy: () => res.destroy(),
    onClose: (fn) => res.once("close", fn),
  };
}

export function honoSink(stream: SSEStreamingApi): SseSink {
  let chain: Promise<unknown> = Promise.resolve();
  let pending = 0;
  let dropped = false;
  const closers: (() => void)[] = [];
  let closed = false;
  const fire = () => {
    if (closed) return;
    closed = true;
    for (const f of closers) f();
  };
  stream.onAbort(() => {
    dropped = true;
    fire();
  });
  return {
    write: (chunk) => {
      pending += chunk.length;
      chain = chain.then(async () => {
        if (dropped) return;
        await stream.write(chunk);
        pending -= chunk.length;
      });
    },
    buffered: () => pending,
    end: () => {
      void chain.finally(async () => {
        await stream.close().catch(() => undefined);
        fire();
      });
    },
    destroy: () => {
      dropped = true;
      void stream.close().catch(() => undefined);
      fire();
    },
    onClose: (fn) => closers.push(fn),
  };
}

export class SseChannel {
  private closed = false;
  private readonly timer: NodeJS.Timeout;
  private finish!: () => void;
  /** Resolves when the connection is over (client gone, closed, or dropped). */
  readonly ended: Promise<void>;

  constructor(
    private readonly sink: SseSink,
    private readonly opts: SseOptions,
  ) {
    this.ended = new Promise<void>((r) => (this.finish = r));
    sink.onClose(() => {
      this.closed = true;
      clearInterval(this.timer);
      this.finish();
    });
    this.timer = setInterval(() => this.write(": heartbeat\n\n"), opts.heartbeatMs);
    this.timer.unref();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  write(text: string | Uint8Array): void {
    if (this.closed) return;
    this.sink.write(text);
    if (this.sink.buffered() > (this.opts.maxBufferedBytes ?? 16 * 1024 * 1024)) {
      this.closed = true;
      clearInterval(this.timer);
      this.sink.destroy();
    }
  }

  /** Ends the response after what is already written. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    this.sink.end();
  }
}

const SSE_HEADERS = { "Content-Type": "text/event-stream; charset=utf-8", "Cache-Control": "no-cache", Connection: "keep-alive", "X-Content-Type-Options": "nosniff" };

/**
 * Opens an SSE response and runs `run` with its sink; `run` resolves when the stream is done.
 * Returns the Response for hono (on Node: one that tells @hono/node-server it was already sent).
 */
export function openSse(c: Context, run: (sink: SseSink) => Promise<void>): Response {
  const outgoing = (c.env as { outgoing?: ServerResponse } | undefined)?.outgoing;
  if (outgoing && typeof outgoing.writeHead === "function") {
    outgoing.writeHead(200, SSE_HEADERS);
    outgoing.flushHeaders();
    outgoing.socket?.setNoDelay(true);
    void run(responseSink(outgoing)).catch(() => outgoing.destroy());
    // @hono/node-server leaves a response carrying this header alone. Made here rather than its
    // RESPONSE_ALREADY_SENT constant: that one is built with whatever `Response` was global when
    // it loaded, and node-server's own lightweight Response takes a path that ignores the header
    // (startServer passes overrideGlobalObjects: false, so this is the platform's Response).
    return new Response(null, { headers: { "x-hono-already-sent": "true" } });
  }
  return streamSSE(c, (stream) => run(honoSink(stream)));
}
