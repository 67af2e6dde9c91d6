#!/usr/bin/env node
// The command's entry: the compiled CLI lives in dist/ (built by `npm install` through `prepare`).
import "../dist/cli/bin.js";
