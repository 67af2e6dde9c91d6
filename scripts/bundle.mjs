// Part of `npm run build` (after tsc): bundles the compiled CLI into dist/bundle/, which
// bin/awl.js runs when it is there and up to date. Loading ~190 small ES modules (awl's and its
// dependencies') costs most of awl's start-up; a few bundled chunks cost about a third less
// (docs/benchmarks.md, run-overhead). Commands load their code lazily as before: each command
// is a chunk of its own. Without esbuild (it comes with tsx, a dev dependency) nothing is
// bundled and bin/awl.js runs dist/ as tsc wrote it.
// Usage: node scripts/bundle.mjs [--entry dist/cli/bin.js] [--outdir dist/bundle]
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";

const root = resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { entry: { type: "string" }, outdir: { type: "string" } } });
const entry = resolve(root, values.entry ?? "dist/cli/bin.js");
const outdir = resolve(root, values.outdir ?? "dist/bundle");

let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  console.log("bundle: esbuild is not installed; bin/awl.js runs the unbundled build");
  process.exit(0);
}

// Code that finds files next to itself (package.json, the dashboard's assets, the demo
// transcripts) reads `import.meta.url`; in a bundle that is the chunk's URL, so each module's
// own is put back, relative to the chunk: every chunk is a file directly in `outdir`.
const ownUrl = {
  name: "own-import-meta-url",
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
      if (args.path.includes(`${join("node_modules", "")}`)) return undefined;
      const { readFile } = await import("node:fs/promises");
      const text = await readFile(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const rel = relative(outdir, args.path).split("\\").join("/");
      const own = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
      return { contents: text.replaceAll("import.meta.url", own), loader: args.path.endsWith(".ts") ? "ts" : "js", resolveDir: dirname(args.path) };
    });
  },
};

// zod re-exports its messages in every language (`z.locales`, half of its code); awl speaks
// English, which zod registers by itself. Left out, every awl command starts ~15 ms sooner.
const zodEnglishOnly = {
  name: "zod-english-only",
  setup(build) {
    build.onLoad({ filter: /[\\/]zod[\\/]v4[\\/]locales[\\/]index\.js$/ }, (args) => ({
      contents: 'export { default as en } from "./en.js";',
      loader: "js",
      resolveDir: dirname(args.path),
    }));
  },
};

rmSync(outdir, { recursive: true, force: true });
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: [entry],
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // DuckDB is a native addon; the rest is JavaScript and bundles.
  external: ["@duckdb/node-api"],
  // Dependencies written as CommonJS (commander) call require() for Node's modules.
  banner: { js: "import { createRequire as __awlCreateRequire } from 'node:module'; const require = __awlCreateRequire(import.meta.url);" },
  plugins: [ownUrl, zodEnglishOnly],
  metafile: true,
  logLevel: "warning",
  legalComments: "linked",
});
// What the bundle was made from: bin/awl.js runs it only while none of these is newer.
const inputs = Object.keys(result.metafile.inputs)
  .filter((p) => !p.includes("node_modules"))
  .map((p) => relative(outdir, resolve(root, p)).split("\\").join("/"));
writeFileSync(join(outdir, "inputs.json"), `${JSON.stringify(inputs)}\n`);
if (!existsSync(join(outdir, "bin.js"))) throw new Error("bundle: no bin.js written");
console.log(`bundle: ${Object.keys(result.metafile.outputs).length} files in ${relative(root, outdir)}`);
