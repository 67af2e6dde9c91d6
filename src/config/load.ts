import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parseEnv } from "node:util";
import { formatIssues } from "../schema/issues.js";
import { ConfigError, ENV_VARS, parseEnvValue } from "./env.js";
import { type AwlConfig, configFileSchema, DEFAULTS } from "./schema.js";

export interface LoadOptions {
  /** Values from command-line flags: the highest precedence. */
  flags?: { logDir?: string; config?: string };
  /** The environment (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Where `.env` and `awl.config.json` are looked for (default process.cwd()). */
  cwd?: string;
}

export const CONFIG_FILE_NAME = "awl.config.json";

/**
 * Loads the configuration once, in precedence order: flags > environment > `.env` >
 * config file > defaults. `.env` never overrides a variable already set in the
 * environment. Every value is validated; a bad one is a ConfigError naming the variable
 * (or the file and field) and the expected form, never a silent default.
 */
export function loadConfig(opts: LoadOptions = {}): AwlConfig {
  const cwd = opts.cwd ?? process.cwd();
  const env = opts.env ?? process.env;
  const config = structuredClone(DEFAULTS) as AwlConfig;
  config.sources = {};
  let logDirBase = cwd;

  const filePath = opts.flags?.config ?? env.AWL_CONFIG ?? resolve(cwd, CONFIG_FILE_NAME);
  const explicit = opts.flags?.config !== undefined || env.AWL_CONFIG !== undefined;
  if (existsSync(filePath)) {
    const file = readConfigFile(filePath);
    mergeInto(config as unknown as Record<string, unknown>, file);
    config.sources.configFile = filePath;
    if (file.logDir) logDirBase = dirname(resolve(cwd, filePath));
  } else if (explicit) {
    throw new ConfigError(`config file ${filePath} does not exist`);
  }

  const dotenvPath = resolve(cwd, ".env");
  const dotenv = readDotenv(dotenvPath);
  if (dotenv) config.sources.dotenv = dotenvPath;

  for (const v of ENV_VARS) {
    const fromEnv = env[v.name];
    const fromDotenv = dotenv?.[v.name];
    const raw = fromEnv !== undefined && fromEnv !== "" ? fromEnv : fromDotenv;
    if (raw === undefined || raw === "") continue;
    const origin = fromEnv !== undefined && fromEnv !== "" ? "environment" : ".env";
    setPath(config as unknown as Record<string, unknown>, v.path, parseEnvValue(v, raw, origin));
    if (v.path === "logDir") logDirBase = cwd;
  }

  if (opts.flags?.logDir !== undefined) {
    if (opts.flags.logDir.trim() === "") throw new ConfigError("--log-dir: expected a directory path");
    config.logDir = opts.flags.logDir;
    logDirBase = cwd;
  }
  config.logDir = isAbsolute(config.logDir) ? config.logDir : resolve(logDirBase, config.logDir);
  return config;
}

function readConfigFile(path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigError(`config file ${path}: ${(err as Error).message}`);
  }
  const r = configFileSchema.safeParse(value);
  if (!r.success) throw new ConfigError(`config file ${path}: ${formatIssues(r.error.issues)}`);
  return r.data;
}

function readDotenv(path: string): Record<string, string> | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT" || (err as NodeJS.ErrnoException).code === "EISDIR") return undefined;
    throw new ConfigError(`.env file ${path}: ${(err as Error).message}`);
  }
  return parseEnv(text) as Record<string, string>;
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(source)) {
    if (v === undefined || k === "$schema") continue;
    if (v && typeof v === "object" && !Array.isArray(v)) {
      if (!target[k] || typeof target[k] !== "object") target[k] = {};
      mergeInto(target[k] as Record<string, unknown>, v as Record<string, unknown>);
    } else {
      target[k] = v;
    }
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const keys = path.split(".");
  let obj = target;
  for (const k of keys.slice(0, -1)) {
    if (!obj[k] || typeof obj[k] !== "object") obj[k] = {};
    obj = obj[k] as Record<string, unknown>;
  }
  obj[keys[keys.length - 1]!] = value;
}
