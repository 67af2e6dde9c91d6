import { z } from "zod";
import { eventSchema } from "./event.js";
import { metricsRecordSchema } from "./metrics.js";

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

export function withId(schema: Record<string, unknown>, name: string, title: string): Record<string, unknown> {
  return { $id: `${name}.schema.json`, title, ...schema };
}
