export * from "./vocabulary.js";
export * from "./event.js";
export * from "./metrics.js";
export * from "./alert.js";
export * from "./validate.js";
export { alertJsonSchema, eventJsonSchema, metricsJsonSchema, withId } from "./json-schema.js";
