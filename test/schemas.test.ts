import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generatedSchemas } from "../scripts/schemas.js";

describe("schema/*.schema.json", () => {
  it.each(Object.entries(generatedSchemas()))("%s matches the zod schema (run `npm run schemas` after changing it)", (name, text) => {
    const committed = readFileSync(join(import.meta.dirname, "..", "schema", name), "utf8");
    expect(committed).toBe(text);
  });
});
