import { existsSync, readFileSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { Hono } from "hono";
import { ALERT_TYPES, type AwlEvent, COMPLETION_STATUSES, mergeMetricsRecords, RUNNING, SEVERITIES } from "../schema/index.js";
import { logPaths, sessionFile } from "../store/paths.js";
import { firstEvent, forEachEvent, readLastLines } from "../store/reader.js";
import { SessionIndex, type SessionSummary } from "../store/sessions.js";
import { followAlerts, listAlerts } from "./alerts.js";
import { type Asset, loadAssets } from "./assets.js";
import { allowedHost, isLoopback, presentedToken, TOKEN_COOKIE, tokenMatches } from "./auth.js";
import { type FeedClient, SessionFeeds } from "./feeds.js";
import { LiveIndex } from "./live-index.js";
import { openApiDocument } from "./openapi.js";
import { BadQuery, enumParam, intParam, onlyKnown, textParam, timeParam } from "./query.js";
import { type AnalyticsSource, analyticsRoutes } from "./routes/analytics.js";
import { openSse, SseChannel, type SseSink, sseMessage } from "./sse.js";
import { readTranscriptPage } from "./transcript.js";

export interface AppOptions {
  logDir: string;
  streamFile?: string;
  /** Required on every /api request when set (Bearer header, or the cookie the dashboard gets from /?token=). */
  token?: string;
  /** The address the server binds: on loopback, requests must name a loopback Host (DNS rebinding). Unset: no Host check (in-process use). */
  host?: string;
  analytics?: AnalyticsSource;
  /** SSE heartbeat interval (ms). */
  heartbeatMs?: number;
  /** Safety-net poll of followed files (ms). */
  pollMs?: number;
  /** Where the dashboard's files are (default: beside this module). */
  assetDir?: string;
}

export interface AwlApp {
  app: Hono;
  /** Stops the followers and ends open streams. */
  close(): Promise<void>;
}

const STATUSES = [RUNNING, ...COMPLETION_STATUSES] as const;

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;
  } catch {
    return "0.0.0";
  }
}

/**
 * Builds the HTTP app of `awl serve` over a log directory. Call `close()` when done: the
 * app follows the stream, metrics and alerts files to keep its session list current.
 */
export async function createApp(opts: AppOptions): Promise<AwlApp> {
  const paths = logPaths(opts.logDir, opts.streamFile);
  const pollMs = opts.pollMs ?? 1000;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const index = new LiveIndex(paths, pollMs);
  await index.start();
  const feeds = new SessionFeeds(pollMs, formatEvents);
  const channels = new Set<SseChannel>();
  const closing = new AbortController();
  const assets = loadAssets(opts.assetDir);
  const ver = version();
  const checkHost = opts.host !== undefined && isLoopback(opts.host);

  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof BadQuery) return c.json({ error: err.message, parameter: err.parameter }, 400);
    return c.json({ error: err.message }, 500);
  });

  app.use("*", async (c, next) => {
    if (checkHost && !allowedHost(c.req.header("host"))) {
      return c.json({ error: "this server answers only to localhost / 127.0.0.1 host names" }, 421);
    }
    await next();
    if (c.res.headers.has("x-hono-already-sent")) return; // an SSE stream written to the socket directly
    c.header("Content-Security-Policy", CSP);
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Referrer-Policy", "no-referrer");
    c.header("X-Frame-Options", "DENY");
  });

  app.use("/api/*", async (c, next) => {
    if (opts.token && !tokenMatches(opts.token, presentedToken(c.req.header("authorization"), c.req.header("cookie")))) {
      c.header("WWW-Authenticate", 'Bearer realm="awl"');
      return c.json({ error: "missing or wrong token: send Authorization: Bearer <token>" }, 401);
    }
    await next();
  });

  const channel = (sink: SseSink) => {
    const ch = new SseChannel(sink, { heartbeatMs });
    channels.add(ch);
    void ch.ended.then(() => channels.delete(ch));
    return ch;
  };

  // ---- dashboard ----
  const serveAsset = (a: Asset) => new Response(a.body, { headers: { "Content-Type": a.type, "Cache-Control": "no-cache" } });
  app.get("/", (c) => {
    const given = c.req.query("token");
    if (given !== undefined && opts.token) {
      if (!tokenMatches(opts.token, given)) return c.text("wrong token", 401);
      // The browser keeps the token as an HttpOnly cookie (EventSource cannot send headers) and drops it from the URL.
      c.header("Set-Cookie", `${TOKEN_COOKIE}=${encodeURIComponent(given)}; HttpOnly; SameSite=Strict; Path=/`);
      return c.redirect("/", 303);
    }
    return serveAsset(assets.get("index.html")!);
  });
  app.get("/favicon.ico", (c) => c.body(null, 204));
  app.get("/assets/:name", (c) => {
    const a = assets.get(c.req.param("name"));
    return a ? serveAsset(a) : c.json({ error: "not found" }, 404);
  });

  // ---- API ----
  app.get("/api/openapi.json", (c) => c.json(openApiDocument(ver)));

  app.get("/api/health", async (c) => {
    const base = { version: ver, log_dir: opts.logDir, analytics: opts.analytics ? "configured" : "not_configured", skipped_lines: index.skipped };
    let st: Awaited<ReturnType<typeof stat>>;
    try {
      st = await stat(opts.logDir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return c.json({ ...base, status: "ok", data: "none", sessions: 0, message: "no data yet: the log directory does not exist yet" });
      return c.json({ ...base, status: "error", data: "unreadable", error: `log directory unreadable (${code})` }, 503);
    }
    try {
      if (!st.isDirectory()) throw Object.assign(new Error("not a directory"), { code: "ENOTDIR" });
      await readdir(opts.logDir);
    } catch (err) {
      return c.json({ ...base, status: "error", data: "unreadable", error: `log directory unreadable (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` }, 503);
    }
    const sessions = index.list().length;
    return c.json({ ...base, status: "ok", data: sessions ? "present" : "none", sessions, ...(sessions ? {} : { message: "no data yet: nothing recorded in the log directory" }) });
  });

  const withAlerts = (s: SessionSummary) => ({ ...s, alerts: index.alertsOf(s.attempt_id) });

  app.get("/api/sessions", (c) => {
    const q = c.req.query();
    onlyKnown(q, ["status", "executor", "task", "since", "limit", "offset"]);
    const status = enumParam(q, "status", STATUSES);
    const executor = textParam(q, "executor");
    const task = textParam(q, "task");
    const since = timeParam(q, "since");
    const limit = intParam(q, "limit", 1, 1000) ?? 100;
    const offset = intParam(q, "offset", 0, Number.MAX_SAFE_INTEGER) ?? 0;
    const sinceMs = since ? Date.parse(since) : undefined;
    const list = index
      .list()
      .filter(
        (s) =>
          (!status || s.status === status) &&
          (!executor || s.executor === executor) &&
          (!task || s.task_id === task) &&
          (sinceMs === undefined || Date.parse(s.last_event_at) >= sinceMs),
      );
    return c.json({ sessions: list.slice(offset, offset + limit).map(withAlerts), total: list.length, offset, limit });
  });

  app.get("/api/stream", (c) =>
    openSse(c, async (sink) => {
      const ch = channel(sink);
      const off = index.onChange((changed) => {
        let text = "";
        for (const s of changed) text += sseMessage(JSON.stringify(withAlerts(s)), undefined, "session");
        ch.write(text);
      });
      ch.write(": connected\n\n");
      await ch.ended;
      off();
    }),
  );

  /** The session's summary: from the live index, else (stream file disabled or rotated away) from its own file. */
  const summaryOf = async (id: string): Promise<SessionSummary | undefined> => {
    const known = index.get(id);
    if (known) return known;
    const file = sessionFile(paths, id);
    if (!existsSync(file)) return undefined;
    const one = new SessionIndex();
    await forEachEvent(file, (e) => one.add(e));
    for (const m of index.metricsOf(id)) one.addMetrics(m);
    return one.list()[0];
  };

  const notFound = (id: string) => ({ error: `unknown session ${JSON.stringify(id)}` });

  app.get("/api/sessions/:id", async (c) => {
    const id = c.req.param("id");
    const summary = await summaryOf(id);
    if (!summary) return c.json(notFound(id), 404);
    const start = await firstEvent(sessionFile(paths, id));
    const merged = mergeMetricsRecords(index.metricsOf(id));
    return c.json({
      ...withAlerts(summary),
      start: start
        ? {
            timestamp: start.timestamp,
            task_description: start.task_description ?? undefined,
            project_id: start.project_id ?? undefined,
            executor_variant: start.executor_variant ?? undefined,
            branch: start.branch ?? undefined,
            base_branch: start.base_branch ?? undefined,
            tags: start.tags,
            data: start.event_type === "session_start" ? start.data : undefined,
          }
        : undefined,
      metrics: merged?.metrics ?? null,
      outcome: merged?.outcome ?? null,
      error_summary: merged?.error_summary ?? null,
    });
  });

  app.get("/api/sessions/:id/transcript", async (c) => {
    const id = c.req.param("id");
    const q = c.req.query();
    onlyKnown(q, ["format", "cursor", "after", "limit"]);
    const format = enumParam(q, "format", ["json", "jsonl"] as const) ?? "json";
    const cursor = intParam(q, "cursor", 0, Number.MAX_SAFE_INTEGER);
    const after = intParam(q, "after", 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(q, "limit", 1, 10_000);
    if (format === "jsonl" && limit !== undefined) throw new BadQuery("limit", "not with format=jsonl (it streams the whole transcript)");
    const file = sessionFile(paths, id);
    if (!existsSync(file)) return c.json(notFound(id), 404);
    if (format === "jsonl") {
      return new Response(jsonlBody(file, cursor, after), { headers: { "Content-Type": "application/x-ndjson; charset=utf-8" } });
    }
    const page = await readTranscriptPage(file, { cursor, afterSeq: after, limit: limit ?? 1000 });
    return c.json({ attempt_id: id, ...page });
  });

  app.get("/api/sessions/:id/stream", async (c) => {
    const id = c.req.param("id");
    onlyKnown(c.req.query(), ["after"]);
    const header = c.req.header("last-event-id");
    const after = header !== undefined ? parseEventId(header, "Last-Event-ID") : intParam(c.req.query(), "after", 0, Number.MAX_SAFE_INTEGER);
    const file = sessionFile(paths, id);
    if (!existsSync(file)) return c.json(notFound(id), 404);
    return openSse(c, async (sink) => {
      const ch = channel(sink);
      let unsubscribe: (() => void) | undefined;
      const client: FeedClient = {
        send(events, shared) {
          const end = events.findIndex((e) => e.event_type === "session_end");
          if (end === -1) {
            ch.write(shared ? shared.bytes : formatEvents(events));
            return;
          }
          ch.write(formatEvents(events.slice(0, end + 1)) + sseMessage("{}", undefined, "end"));
          ch.close();
        },
      };
      try {
        const sub = await feeds.subscribe(file, after ?? -1, client, closing.signal);
        unsubscribe = sub.unsubscribe;
        // Resumed after the session's end: nothing more will come.
        if (sub.last?.event_type === "session_end" && !ch.isClosed) {
          ch.write(sseMessage("{}", undefined, "end"));
          ch.close();
        }
      } catch (err) {
        ch.write(sseMessage(JSON.stringify({ error: (err as Error).message }), undefined, "error"));
        ch.close();
      }
      await ch.ended;
      unsubscribe?.();
    });
  });

  app.get("/api/alerts", async (c) => {
    const q = c.req.query();
    onlyKnown(q, ["attempt_id", "type", "severity", "since", "limit"]);
    const list = await listAlerts(paths, {
      attemptId: textParam(q, "attempt_id", 1000),
      type: enumParam(q, "type", ALERT_TYPES),
      severity: enumParam(q, "severity", SEVERITIES),
      since: timeParam(q, "since"),
      limit: intParam(q, "limit", 1, 1000) ?? 100,
    });
    return c.json(list);
  });

  app.get("/api/alerts/stream", (c) => {
    onlyKnown(c.req.query(), ["after"]);
    const header = c.req.header("last-event-id");
    const after = header !== undefined ? parseEventId(header, "Last-Event-ID") : intParam(c.req.query(), "after", 0, Number.MAX_SAFE_INTEGER);
    return openSse(c, async (sink) => {
      const ch = channel(sink);
      const stop = new AbortController();
      void ch.ended.then(() => stop.abort());
      closing.signal.addEventListener("abort", () => stop.abort(), { once: true });
      ch.write(": connected\n\n");
      let from = after;
      // Without an id: from now on (past the last complete line; a line being written is not cut).
      if (from === undefined) from = existsSync(paths.alerts) ? (await readLastLines(paths.alerts, 0)).endOffset : 0;
      await followAlerts(paths, from, pollMs, stop.signal, (records) => {
        let text = "";
        for (const r of records) text += sseMessage(JSON.stringify(r.record), r.offset, r.record.record_type);
        ch.write(text);
      }).catch(() => undefined);
      ch.close();
      await ch.ended;
    });
  });

  app.route("/api/analytics", analyticsRoutes(opts.analytics));

  app.all("/api/*", (c) => c.json({ error: `no such endpoint: ${c.req.method} ${c.req.path}` }, 404));
  app.notFound((c) => c.json({ error: `not found: ${c.req.path}` }, 404));

  return {
    app,
    async close() {
      closing.abort();
      for (const ch of channels) ch.close();
      await Promise.all([index.close(), feeds.close()]);
    },
  };
}

/** Session events as SSE messages: id = sequence_num, so Last-Event-ID resumes exactly. */
function formatEvents(events: AwlEvent[]): string {
  let text = "";
  for (const e of events) text += sseMessage(JSON.stringify(e), e.sequence_num);
  return text;
}

function parseEventId(raw: string, name: string): number {
  // Past MAX_SAFE_INTEGER the number is not the one sent: no event ever had that id.
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw.trim()))) {
    throw new BadQuery(name, "expected the id of an event received before (a whole number)");
  }
  return Number(raw.trim());
}

/** The transcript as JSON lines, streamed page by page: the whole file never sits in memory. */
function jsonlBody(file: string, cursor: number | undefined, after: number | undefined): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let next = cursor ?? 0;
  let done = false;
  return new ReadableStream({
    async pull(controller) {
      if (done) {
        controller.close();
        return;
      }
      const page = await readTranscriptPage(file, { cursor: next, afterSeq: after, limit: 2000 });
      next = page.next_cursor;
      done = page.done;
      let text = "";
      for (const e of page.events) text += `${JSON.stringify(e)}\n`;
      if (text) controller.enqueue(enc.encode(text));
      if (done) controller.close();
    },
  });
}

