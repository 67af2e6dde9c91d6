export * from "./vocabulary.js";
export * from "./event.js";
export * from "./metrics.js";
export * from "./validate.js";
export { eventJsonSchema, metricsJsonSchema, withId } from "./json-schema.js";
