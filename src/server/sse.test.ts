import type { SSEStreamingApi } from "hono/streaming";
import { describe, expect, it } from "vitest";
import { honoSink, SseChannel, sseMessage } from "./sse.js";

/** A stream whose consumer never reads: every write stays pending. */
function stuckStream() {
  const written: unknown[] = [];
  let closed = false;
  const aborts: (() => void)[] = [];
  const stream = {
    write: (x: unknown) => {
      written.push(x);
      return new Promise(() => undefined);
    },
    close: async () => {
      closed = true;
    },
    onAbort: (f: () => void) => aborts.push(f),
  } as unknown as SSEStreamingApi;
  const abort = () => {
    for (const f of aborts) f();
  };
  return { stream, written, isClosed: () => closed, abort };
}

describe("SseChannel", () => {
  it("drops a client that falls more than maxBufferedBytes behind instead of buffering without bound", async () => {
    const s = stuckStream();
    const ch = new SseChannel(honoSink(s.stream), { heartbeatMs: 60_000, maxBufferedBytes: 1000 });
    ch.write("x".repeat(600));
    expect(ch.isClosed).toBe(false);
    ch.write("y".repeat(600));
    expect(ch.isClosed).toBe(true);
    ch.write("z");
    await ch.ended;
    expect(s.isClosed()).toBe(true);
    expect(s.written).not.toContain("y".repeat(600));
    expect(s.written).not.toContain("z");
  });

  it("ends when the client goes away", async () => {
    const s = stuckStream();
    const ch = new SseChannel(honoSink(s.stream), { heartbeatMs: 60_000 });
    s.abort();
    expect(ch.isClosed).toBe(true);
    await ch.ended;
  });

  it("formats one-line messages with id and event", () => {
    expect(sseMessage('{"a":1}', 7)).toBe('id: 7\ndata: {"a":1}\n\n');
    expect(sseMessage("{}", undefined, "end")).toBe("event: end\ndata: {}\n\n");
  });
});
