import { existsSync } from "node:fs";
import type { AwlEvent } from "../schema/index.js";
import { follow } from "../store/follow.js";
import { acceptEvent, readLastLines } from "../store/reader.js";
import { parse } from "./live-index.js";
import { readTranscriptPage } from "./transcript.js";

/**
 * Live events of one session for any number of SSE clients: one follower per session file
 * however many clients watch it, started with the first and stopped with the last.
 *
 * A client gets the session so far, then live events, with nothing lost or repeated: it
 * registers for live events *before* reading the file, so whatever the follower delivers
 * during that read is queued, and events are passed on only when their `sequence_num`
 * (gap-free and increasing within an attempt) is above the last one sent. The same rule
 * makes `Last-Event-ID: n` resume at n + 1.
 */
export interface FeedClient {
  /**
   * Receives events in order, each with sequence_num > the previous one. `shared` is set when
   * the events are a whole live batch: its bytes are formatted and encoded once for every
   * client (with 100 clients, formatting per client would cost 100 times the work).
   */
  send(events: AwlEvent[], shared?: SharedBatch): void;
}

/** A live batch as every client receives it; `bytes` is computed once, on first use. */
export class SharedBatch {
  private encoded: Uint8Array | undefined;
  constructor(
    readonly events: AwlEvent[],
    private readonly format: (events: AwlEvent[]) => string,
  ) {}

  get bytes(): Uint8Array {
    this.encoded ??= Buffer.from(this.format(this.events), "utf8");
    return this.encoded;
  }
}

interface Feed {
  clients: Set<Subscriber>;
  controller: AbortController;
  /** Resolves once the follower's start offset is fixed: clients read the file only after that. */
  ready: Promise<void>;
  done: Promise<void>;
}

class Subscriber {
  lastSeq: number;
  private queue: AwlEvent[] | undefined = [];
  constructor(
    readonly client: FeedClient,
    after: number,
  ) {
    this.lastSeq = after;
  }

  deliver(batch: SharedBatch): void {
    if (this.queue) {
      for (const e of batch.events) this.queue.push(e);
      return;
    }
    const first = batch.events[0];
    // The common case: a live client that has everything before this batch takes it whole.
    if (first && first.sequence_num === this.lastSeq + 1 && isIncreasing(batch.events)) {
      this.lastSeq = batch.events.at(-1)!.sequence_num;
      this.client.send(batch.events, batch);
      return;
    }
    this.pass(batch.events);
  }

  /** After the backlog: flush what arrived meanwhile and go live. */
  goLive(): void {
    const q = this.queue ?? [];
    this.queue = undefined;
    this.pass(q);
  }

  pass(events: AwlEvent[]): void {
    const fresh: AwlEvent[] = [];
    for (const e of events) {
      if (e.sequence_num <= this.lastSeq) continue;
      this.lastSeq = e.sequence_num;
      fresh.push(e);
    }
    if (fresh.length) this.client.send(fresh);
  }
}

export class SessionFeeds {
  private readonly feeds = new Map<string, Feed>();
  /** Lines skipped as invalid while following. */
  skipped = 0;

  constructor(
    private readonly pollMs: number,
    /** Formats a batch of events as the bytes clients receive (SSE messages). */
    private readonly format: (events: AwlEvent[]) => string,
  ) {}

  /**
   * Subscribes to the session file `file`: sends every event after `afterSeq` already
   * written (in pages, so a long session streams without being held whole), then live
   * ones. Returns the unsubscribe function and the last event the file held (whether sent or not).
   */
  async subscribe(file: string, afterSeq: number, client: FeedClient, signal?: AbortSignal): Promise<{ unsubscribe: () => void; last: AwlEvent | undefined }> {
    const sub = new Subscriber(client, afterSeq);
    const feed = await this.feedFor(file);
    feed.clients.add(sub);
    const unsubscribe = () => this.leave(file, sub);
    let last: AwlEvent | undefined;
    try {
      let cursor = 0;
      for (;;) {
        if (signal?.aborted) break;
        const page = await readTranscriptPage(file, { cursor, limit: 2000 });
        last = page.events.at(-1) ?? last;
        sub.pass(page.events);
        cursor = page.next_cursor;
        if (page.done) break;
      }
    } catch (err) {
      unsubscribe();
      throw err;
    }
    sub.goLive();
    return { unsubscribe, last };
  }

  async close(): Promise<void> {
    const all = [...this.feeds.values()];
    this.feeds.clear();
    for (const f of all) f.controller.abort();
    await Promise.all(all.map((f) => f.done));
  }

  get size(): number {
    return this.feeds.size;
  }

  private async feedFor(file: string): Promise<Feed> {
    const existing = this.feeds.get(file);
    if (existing) {
      await existing.ready;
      return existing;
    }
    const controller = new AbortController();
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => {
      markReady = resolve;
    });
    const feed: Feed = { clients: new Set(), controller, ready, done: Promise.resolve() };
    this.feeds.set(file, feed);
    // Start just past the last complete line: a client's own read of the file covers everything before.
    let start = 0;
    try {
      if (existsSync(file)) start = (await readLastLines(file, 0)).endOffset;
    } finally {
      markReady();
    }
    feed.done = follow(file, {
      start,
      pollMs: this.pollMs,
      signal: controller.signal,
      onLines: (lines) => {
        const events = parse(lines, acceptEvent, () => this.skipped++);
        if (events.length === 0) return;
        const batch = new SharedBatch(events, this.format);
        for (const s of feed.clients) s.deliver(batch);
      },
    }).catch(() => undefined);
    return feed;
  }

  private leave(file: string, sub: Subscriber): void {
    const feed = this.feeds.get(file);
    if (!feed) return;
    feed.clients.delete(sub);
    if (feed.clients.size === 0) {
      this.feeds.delete(file);
      feed.controller.abort();
    }
  }
}

function isIncreasing(events: AwlEvent[]): boolean {
  for (let i = 1; i < events.length; i++) if (events[i]!.sequence_num !== events[i - 1]!.sequence_num + 1) return false;
  return true;
}
