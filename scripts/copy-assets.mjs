// Part of `npm run build`: tsc compiles only TypeScript, so the dashboard's files
// (src/server/assets/*.html|js|css) are copied beside the compiled server here.
// Usage: node scripts/copy-assets.mjs [outDir]   (default: dist)
import { cpSync, mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "..");
const outDir = resolve(root, process.argv[2] ?? "dist");
const from = join(root, "src", "server", "assets");
const to = join(outDir, "server", "assets");
mkdirSync(to, { recursive: true });
for (const name of readdirSync(from)) {
  if (/\.(html|js|css)$/.test(name)) cpSync(join(from, name), join(to, name));
}
