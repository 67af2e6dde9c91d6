// Writes schema/*.schema.json from the zod schemas (npm run schemas). test/schemas.test.ts fails when they are stale.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { generatedSchemas } from "./schemas.js";

const dir = join(import.meta.dirname, "..", "schema");
for (const [name, text] of Object.entries(generatedSchemas())) {
  writeFileSync(join(dir, name), text);
  console.log(`wrote schema/${name}`);
}
