// One `awl import` in a process of its own, so the bench can read its wall time and peak RSS.
// Usage: node --import tsx bench/import-runner.ts LOG_DIR PATH…
import { importPaths } from "../src/capture/import.js";
import { loadConfig } from "../src/config/index.js";

const [logDir, ...paths] = process.argv.slice(2);
const config = { ...loadConfig({ env: {} }), logDir: logDir! };
const t0 = performance.now();
const summary = await importPaths({ paths, config });
const seconds = (performance.now() - t0) / 1000;
console.log(JSON.stringify({ seconds, maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024), summary: { ...summary, skipped_files: summary.skipped_files.length } }));
