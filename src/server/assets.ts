import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The dashboard's files: plain HTML, CSS and a vanilla script kept as real files in
 * src/server/assets/ (copied beside the compiled server by `npm run build`), and Chart.js
 * from its package. All are read once at start and served from memory: nothing comes from
 * a CDN, so the dashboard works offline.
 */
export interface Asset {
  body: string;
  type: string;
}

export const ASSET_DIR = join(dirname(fileURLToPath(import.meta.url)), "assets");

const FILES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

export function loadAssets(dir: string = ASSET_DIR): Map<string, Asset> {
  const out = new Map<string, Asset>();
  for (const [name, type] of Object.entries(FILES)) {
    let body: string;
    try {
      body = readFileSync(join(dir, name), "utf8");
    } catch (err) {
      throw new Error(`dashboard asset ${join(dir, name)} is missing (${(err as NodeJS.ErrnoException).code}); run npm run build`);
    }
    out.set(name, { body, type });
  }
  // chart.js does not export its UMD file; it sits beside the package's main entry.
  const require = createRequire(import.meta.url);
  const chartDir = dirname(require.resolve("chart.js"));
  out.set("chart.umd.min.js", { body: readFileSync(join(chartDir, "chart.umd.min.js"), "utf8"), type: "text/javascript; charset=utf-8" });
  return out;
}
