import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { readStreamText } from "../store/fs.js";
import { UsageError } from "./errors.js";

/**
 * `--data` takes JSON inline, `@file` for a file, or `-` for stdin: an orchestrator in any
 * language can pass a payload without quoting it into a shell line.
 */
export async function readJsonArg(flag: string, value: string, cwd: string, stdin: NodeJS.ReadableStream): Promise<unknown> {
  let text: string;
  let from: string;
  if (value === "-") {
    text = await readStreamText(stdin);
    from = "stdin";
  } else if (value.startsWith("@")) {
    const path = resolve(cwd, value.slice(1));
    try {
      text = readFileSync(path, "utf8");
    } catch (err) {
      throw new UsageError(`${flag} ${value}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    from = path;
  } else {
    text = value;
    from = "the command line";
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${flag}: invalid JSON from ${from}: ${(err as Error).message}`);
  }
}

/** `--field key=value`: the value is JSON when it parses as JSON, else the plain string. */
export function parseField(value: string, previous: Record<string, unknown> = {}): Record<string, unknown> {
  const eq = value.indexOf("=");
  if (eq <= 0) throw new UsageError(`--field ${JSON.stringify(value)}: expected key=value`);
  const key = value.slice(0, eq);
  const raw = value.slice(eq + 1);
  let parsed: unknown = raw;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // a plain string
  }
  return { ...previous, [key]: parsed };
}

export function parseBoolArg(flag: string) {
  return (value: string | undefined): boolean => {
    if (value === undefined) return true;
    const v = value.trim().toLowerCase();
    if (["true", "1", "yes", "on"].includes(v)) return true;
    if (["false", "0", "no", "off"].includes(v)) return false;
    throw new UsageError(`${flag} ${JSON.stringify(value)}: expected true or false`);
  };
}

export function parseIntArg(flag: string, min = 0) {
  return (value: string): number => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min) throw new UsageError(`${flag} ${JSON.stringify(value)}: expected a whole number >= ${min}`);
    return Number(value);
  };
}
