import { ALERT_TYPES, SEVERITIES } from "../schema/index.js";
import { ANALYTICS_PARAMS, ANALYTICS_VIEWS, BUCKETS } from "./routes/analytics.js";

/** The OpenAPI 3.1 description of `awl serve`'s API, served at /api/openapi.json. */
const str = { type: "string" } as const;
const int = { type: "integer", minimum: 0 } as const;
const q = (name: string, description: string, schema: object = str) => ({ name, in: "query", required: false, description, schema });
const idParam = { name: "id", in: "path", required: true, description: "the attempt id (URL-encoded)", schema: str };
const err = (description: string) => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });
const json = (description: string, schema: object = { type: "object" }) => ({ description, content: { "application/json": { schema } } });
const sse = (description: string) => ({ description, content: { "text/event-stream": { schema: str } } });
const lastEventId = { name: "Last-Event-ID", in: "header", required: false, description: "resume after this event id", schema: str };

export function openApiDocument(version: string): object {
  const analyticsParams = ANALYTICS_PARAMS.map((p) =>
    q(
      p,
      {
        days: "the last N days",
        since: "from this date or date-time",
        until: "up to this date or date-time",
        executor: "only this executor",
        model: "only this model",
        project: "only this project_id",
        bucket: "time bucket of a series",
        limit: "at most this many rows",
      }[p],
      p === "days" || p === "limit" ? { type: "integer", minimum: 1 } : p === "bucket" ? { type: "string", enum: BUCKETS } : str,
    ),
  );
  const analytics = Object.fromEntries(
    ANALYTICS_VIEWS.map((v) => [
      `/api/analytics/${v}`,
      {
        get: {
          summary: `the ${v} analysis (as awl analyze ${v} --format json)`,
          parameters: analyticsParams,
          responses: { 200: json("the analysis, with its meta"), 400: err("a bad query parameter (named)"), 503: err("no analytics source configured") },
        },
      },
    ]),
  );
  return {
    openapi: "3.1.0",
    info: { title: "awl serve", version, description: "The agent work log over HTTP: sessions, transcripts, live streams (SSE), alerts and analytics." },
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "required when the server was started with a token" } },
      schemas: {
        Error: { type: "object", required: ["error"], properties: { error: str, parameter: str, code: str } },
        SessionSummary: {
          type: "object",
          properties: {
            attempt_id: str,
            session_id: str,
            task_id: str,
            task_title: str,
            executor: str,
            model: str,
            status: str,
            started_at: str,
            last_event_at: str,
            ended_at: str,
            duration_ms: int,
            events: int,
            errors: int,
            tool_calls: int,
            total_tokens: int,
            cost_usd: { type: "number" },
            outcome: str,
            alerts: int,
          },
        },
      },
    },
    security: [{}, { bearer: [] }],
    paths: {
      "/api/health": { get: { summary: "whether the server can read the log directory, and whether it holds any data yet", responses: { 200: json("readable (data: present or none)"), 503: json("log directory unreadable") } } },
      "/api/openapi.json": { get: { summary: "this document", responses: { 200: json("OpenAPI 3.1") } } },
      "/api/sessions": {
        get: {
          summary: "recorded sessions, newest first",
          parameters: [
            q("status", "running, success, failed, timeout or interrupted"),
            q("executor", "only this executor"),
            q("task", "only this task_id"),
            q("since", "only sessions with events at or after this date or date-time"),
            q("limit", "page size (1-1000, default 100)", int),
            q("offset", "skip this many", int),
          ],
          responses: { 200: json("a page of sessions", { type: "object", properties: { sessions: { type: "array", items: { $ref: "#/components/schemas/SessionSummary" } }, total: int, offset: int, limit: int } }), 400: err("bad query") },
        },
      },
      "/api/stream": { get: { summary: "SSE: a `session` event with the updated summary whenever a session's events or metrics change", responses: { 200: sse("session summaries") } } },
      "/api/sessions/{id}": { get: { summary: "one session: summary, start metadata, merged metrics and outcome", parameters: [idParam], responses: { 200: json("the session"), 404: err("unknown session") } } },
      "/api/sessions/{id}/transcript": {
        get: {
          summary: "the session's events in order, a page at a time",
          parameters: [
            idParam,
            q("format", "json (default) or jsonl (one event a line, the whole rest of the transcript)", { type: "string", enum: ["json", "jsonl"] }),
            q("cursor", "byte offset from the previous page's next_cursor", int),
            q("after", "only events with a larger sequence_num", int),
            q("limit", "page size (1-10000, default 1000; json only)", int),
          ],
          responses: { 200: json("{ events, next_cursor, done, skipped }"), 400: err("bad query"), 404: err("unknown session") },
        },
      },
      "/api/sessions/{id}/stream": {
        get: {
          summary: "SSE: the session so far, then live events; id = sequence_num; an `end` event follows session_end and the stream closes; `: heartbeat` comments keep it open",
          parameters: [idParam, lastEventId, q("after", "like Last-Event-ID, for clients that cannot set headers", int)],
          responses: { 200: sse("events"), 400: err("bad Last-Event-ID"), 404: err("unknown session") },
        },
      },
      "/api/alerts": {
        get: {
          summary: "alerts, newest first, each with the actions taken on it; cursor = the stream id to continue from",
          parameters: [q("attempt_id", "only this attempt"), q("type", "alert type", { type: "string", enum: ALERT_TYPES }), q("severity", "severity", { type: "string", enum: SEVERITIES }), q("since", "last_seen at or after"), q("limit", "1-1000, default 100", int)],
          responses: { 200: json("{ alerts, total, cursor }"), 400: err("bad query") },
        },
      },
      "/api/alerts/stream": {
        get: {
          summary: "SSE: `alert` and `action` records as they are written; id = byte offset just past the record in agent-alerts.jsonl (survives server restarts; after a rotation the stream restarts at the new file's start)",
          parameters: [lastEventId, q("after", "like Last-Event-ID", int)],
          responses: { 200: sse("alert records"), 400: err("bad Last-Event-ID") },
        },
      },
      ...analytics,
    },
  };
}
