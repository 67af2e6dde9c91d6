import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

/**
 * The shared folder beside the project (`../shared`: specs, formats, third-party fixtures),
 * or AWL_SHARED_DIR. Third-party session files are read from there, never copied in.
 */
export const SHARED_DIR = resolve(process.env.AWL_SHARED_DIR ?? join(import.meta.dirname, "..", "..", "..", "shared"));

export const PUBLIC_FIXTURES = join(SHARED_DIR, "fixtures", "public");

if (!existsSync(PUBLIC_FIXTURES)) {
  throw new Error(`third-party fixtures not found at ${PUBLIC_FIXTURES}: put the shared folder beside the project or set AWL_SHARED_DIR`);
}
