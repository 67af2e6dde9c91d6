import type { SSEStreamingApi } from "hono/streaming";

/**
 * One SSE connection's writer. Messages are formatted here (a batch of events becomes one
 * write), written in order, and a heartbeat comment keeps proxies and the browser from
 * timing the connection out. A client too slow to keep up (more than `maxBufferedBytes`
 * waiting) is disconnected rather than buffered without bound; EventSource reconnects
 * with Last-Event-ID and resumes exactly where it was.
 */
export interface SseOptions {
  heartbeatMs: number;
  maxBufferedBytes?: number;
}

export function sseMessage(data: string, id?: string | number, event?: string): string {
  // JSON.stringify never emits a raw newline, so `data` is one line.
  return `${event ? `event: ${event}\n` : ""}${id !== undefined ? `id: ${id}\n` : ""}data: ${data}\n\n`;
}

export class SseChannel {
  private chain: Promise<unknown> = Promise.resolve();
  private buffered = 0;
  private closed = false;
  /** The client is gone: queued writes are dropped. */
  private aborted = false;
  private readonly timer: NodeJS.Timeout;
  private finish!: () => void;
  /** Resolves when the connection ends (client gone, closed, or dropped). */
  readonly ended: Promise<void>;

  constructor(
    private readonly stream: SSEStreamingApi,
    private readonly opts: SseOptions,
  ) {
    this.ended = new Promise<void>((r) => (this.finish = r));
    stream.onAbort(() => {
      this.aborted = true;
      this.close();
    });
    this.timer = setInterval(() => this.write(": heartbeat\n\n"), opts.heartbeatMs);
    this.timer.unref();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  write(text: string | Uint8Array): void {
    if (this.closed) return;
    const bytes = text.length;
    if (this.buffered + bytes > (this.opts.maxBufferedBytes ?? 16 * 1024 * 1024)) {
      this.aborted = true;
      this.close();
      return;
    }
    this.buffered += bytes;
    this.chain = this.chain.then(async () => {
      if (this.aborted) return;
      await this.stream.write(text);
      this.buffered -= bytes;
    });
  }

  /** Ends the response after what is already queued. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    void this.chain.finally(async () => {
      await this.stream.close().catch(() => undefined);
      this.finish();
    });
  }
}
