#!/usr/bin/env node
// The command's entry: the compiled CLI lives in dist/ (built by `npm install` through `prepare`).
// The bundle of it (dist/bundle/, scripts/bundle.mjs) starts faster; it is run while it is up
// to date with every file it was made from, else dist/cli/ as tsc wrote it.
import { readFileSync, statSync } from "node:fs";

const bundle = new URL("../dist/bundle/", import.meta.url);
function bundleIsCurrent() {
  try {
    const built = statSync(new URL("bin.js", bundle)).mtimeMs;
    const inputs = JSON.parse(readFileSync(new URL("inputs.json", bundle), "utf8"));
    return inputs.every((p) => statSync(new URL(p, bundle)).mtimeMs <= built);
  } catch {
    return false;
  }
}
await import(bundleIsCurrent() ? "../dist/bundle/bin.js" : "../dist/cli/bin.js");
