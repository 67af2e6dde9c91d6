import { Hono } from "hono";
import type { FilterText } from "../../analytics/filters.js";
import { BadQuery, enumParam, intParam, onlyKnown, type Query, textParam, timeParam } from "../query.js";

/**
 * The analytics endpoints: `GET /api/analytics/{errors,executors,backlog,planning,timeseries}`
 * answer with what the analytics module's query of the same name returns (as JSON). The
 * server does not aggregate anything itself; it validates the query and passes it on.
 */
export interface AnalyticsQuery extends FilterText {
  bucket?: Bucket;
  limit?: number;
}

// The analytics layer's own bucket sizes: one list, so the API cannot offer one it lacks.
export { BUCKETS, type Bucket } from "../../analytics/queries/timeseries.js";
import { BUCKETS, type Bucket } from "../../analytics/queries/timeseries.js";

/** What the server needs from analytics: `openAnalytics(config)` from src/analytics satisfies it. */
export interface AnalyticsSource {
  errors(q: AnalyticsQuery): Promise<unknown>;
  executors(q: AnalyticsQuery): Promise<unknown>;
  backlog(q: AnalyticsQuery): Promise<unknown>;
  planning(q: AnalyticsQuery): Promise<unknown>;
  timeseries(q: AnalyticsQuery): Promise<unknown>;
}

export const ANALYTICS_VIEWS = ["errors", "executors", "backlog", "planning", "timeseries"] as const;
export type AnalyticsView = (typeof ANALYTICS_VIEWS)[number];

export const ANALYTICS_PARAMS = ["days", "since", "until", "executor", "model", "project", "bucket", "limit"] as const;

export function parseAnalyticsQuery(q: Query): AnalyticsQuery {
  onlyKnown(q, ANALYTICS_PARAMS);
  const out: AnalyticsQuery = {};
  const days = intParam(q, "days", 1, 3650);
  const since = timeParam(q, "since");
  const until = timeParam(q, "until");
  if (days !== undefined && since !== undefined) throw new BadQuery("days", "give either days or since, not both");
  if (since !== undefined && until !== undefined && since > until) throw new BadQuery("until", "must not be before since");
  const limit = intParam(q, "limit", 1, 10_000);
  const bucket = enumParam(q, "bucket", BUCKETS);
  const executor = textParam(q, "executor");
  const model = textParam(q, "model");
  const project = textParam(q, "project");
  if (days !== undefined) out.days = days;
  if (since !== undefined) out.since = since;
  if (until !== undefined) out.until = until;
  if (limit !== undefined) out.limit = limit;
  if (bucket !== undefined) out.bucket = bucket;
  if (executor !== undefined) out.executor = executor;
  if (model !== undefined) out.model = model;
  if (project !== undefined) out.project = project;
  return out;
}

/** Routes mounted at /api/analytics. `source` undefined: every view answers 503 saying so. */
export function analyticsRoutes(source: AnalyticsSource | undefined): Hono {
  const app = new Hono();
  app.get("/:view", async (c) => {
    const view = c.req.param("view");
    if (!(ANALYTICS_VIEWS as readonly string[]).includes(view)) {
      return c.json({ error: `unknown analytics view ${JSON.stringify(view)} (known: ${ANALYTICS_VIEWS.join(", ")})` }, 404);
    }
    const query = parseAnalyticsQuery(c.req.query());
    if (!source) {
      return c.json({ error: "analytics are not configured on this server", code: "analytics_unavailable" }, 503);
    }
    try {
      return c.json((await source[view as AnalyticsView](query)) as object);
    } catch (err) {
      return c.json({ error: `analytics ${view} failed: ${(err as Error).message}`, code: "analytics_failed" }, 500);
    }
  });
  return app;
}
