/** A small SSE client over fetch for tests: parses messages and comments as they arrive. */
export interface SseMessage {
  id?: string;
  event: string;
  data: string;
}

export interface SseConnection {
  status: number;
  messages: SseMessage[];
  comments: string[];
  /** Resolves when the server ends the response. */
  closed: Promise<void>;
  /** Waits until `pred` holds for the messages received (or rejects after `ms`). */
  until(pred: (messages: SseMessage[]) => boolean, ms?: number): Promise<SseMessage[]>;
  close(): void;
}

export async function connectSse(url: string, headers: Record<string, string> = {}): Promise<SseConnection> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { Accept: "text/event-stream", ...headers }, signal: controller.signal });
  const messages: SseMessage[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of waiters) w();
  };
  let ended = false;
  const closed = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buf = "";
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        for (let sep = buf.indexOf("\n\n"); sep !== -1; sep = buf.indexOf("\n\n")) {
          const block = buf.slice(0, sep);
          buf = buf.slice(sep + 2);
          const msg: SseMessage = { event: "message", data: "" };
          let isMessage = false;
          const data: string[] = [];
          for (const line of block.split("\n")) {
            if (line.startsWith(":")) comments.push(line.slice(1).trim());
            else {
              const i = line.indexOf(":");
              const field = i === -1 ? line : line.slice(0, i);
              const value = i === -1 ? "" : line.slice(i + 1).replace(/^ /, "");
              isMessage = true;
              if (field === "data") data.push(value);
              else if (field === "id") msg.id = value;
              else if (field === "event") msg.event = value;
            }
          }
          if (isMessage) {
            msg.data = data.join("\n");
            messages.push(msg);
          }
        }
        notify();
      }
    } catch {
      // aborted by close()
    } finally {
      ended = true;
      notify();
    }
  })();
  return {
    status: res.status,
    messages,
    comments,
    closed,
    until(pred, ms = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pred(messages)) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(messages);
          } else if (ended) {
            waiters.delete(check);
            clearTimeout(timer);
            reject(new Error(`stream ended before the condition held (${messages.length} messages)`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out after ${ms} ms with ${messages.length} messages`));
        }, ms);
        waiters.add(check);
        check();
      });
    },
    close() {
      controller.abort();
    },
  };
}
