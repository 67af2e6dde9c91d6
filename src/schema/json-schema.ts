import { z } from "zod";
import { eventSchema } from "./event.js";
import { metricsRecordSchema } from "./metrics.js";
import { alertRecordSchema } from "./alert.js";

/** JSON Schema documents generated from the zod schemas (committed under schema/, checked by a test). */
export function eventJsonSchema(): Record<string, unknown> {
  return withId(z.toJSONSchema(eventSchema, { io: "output" }), "event", "An awl event: one line of agent-work-stream.jsonl");
}

export function metricsJsonSchema(): Record<string, unknown> {
  return withId(
    z.toJSONSchema(metricsRecordSchema, { io: "output" }),
    "metrics",
    "An awl metrics record: one line of agent-metrics.jsonl",
  );
}

export function alertJsonSchema(): Record<string, unknown> {
  return withId(
    z.toJSONSchema(alertRecordSchema, { io: "output" }),
    "alert",
    "An awl alert or alert action: one line of agent-alerts.jsonl",
  );
}

export function withId(schema: Record<string, unknown>, name: string, title: string): Record<string, unknown> {
  return { $id: `${name}.schema.json`, title, ...schema };
}
