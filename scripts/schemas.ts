import { z } from "zod";
import { configFileSchema } from "../src/config/schema.js";
import { alertJsonSchema, eventJsonSchema, metricsJsonSchema, withId } from "../src/schema/json-schema.js";

/** The committed JSON Schema files under schema/, by file name: generated, never edited by hand. */
export function generatedSchemas(): Record<string, string> {
  const config = withId(z.toJSONSchema(configFileSchema, { io: "input" }), "config", "awl.config.json");
  return {
    "event.schema.json": `${JSON.stringify(eventJsonSchema(), null, 2)}\n`,
    "metrics.schema.json": `${JSON.stringify(metricsJsonSchema(), null, 2)}\n`,
    "alert.schema.json": `${JSON.stringify(alertJsonSchema(), null, 2)}\n`,
    "config.schema.json": `${JSON.stringify(config, null, 2)}\n`,
  };
}
