import { accessSync, constants, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { delimiter, isAbsolute, join, resolve } from "node:path";
import type { AwlConfig } from "../config/schema.js";
import { logPaths } from "../store/paths.js";
import { DEFAULT_HOOK_TIMEOUT_MS } from "./actions/hook.js";
import { configuredChannels } from "./notify/broadcast.js";
import { nextWeeklySlot } from "./schedule.js";

/**
 * `awl monitor --check`: what a config that loaded (the schema already refused bad values)
 * can still get wrong, found without sending anything: half a Telegram setup, a route to a
 * channel that is not there, a hook that is not executable, a log directory that cannot be
 * written. Also what the monitor would run. Never prints a token or a secret.
 */
export interface CheckResult {
  problems: string[];
  plan: { part: string; detail: string }[];
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** The program argv[0] names, as execvp would find it: a path (relative to cwd) or a name on PATH. */
export function resolveCommand(cmd: string, env: NodeJS.ProcessEnv, cwd: string): { path?: string; problem?: string } {
  const executable = (p: string) => {
    try {
      if (!statSync(p).isFile()) return false;
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (cmd.includes("/")) {
    const p = isAbsolute(cmd) ? cmd : resolve(cwd, cmd);
    try {
      statSync(p);
    } catch {
      return { problem: `${cmd} does not exist` };
    }
    return executable(p) ? { path: p } : { problem: `${cmd} is not an executable file` };
  }
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const p = join(isAbsolute(dir) ? dir : resolve(cwd, dir), cmd);
    if (executable(p)) return { path: p };
  }
  return { problem: `${cmd} is not found on PATH` };
}

export function checkConfig(config: AwlConfig, opts: { env: NodeJS.ProcessEnv; cwd: string; now?: number }): CheckResult {
  const problems: string[] = [];
  const plan: CheckResult["plan"] = [];
  const paths = logPaths(config.logDir, config.streamFile);

  // The log directory: created if missing (as the monitor would), and a file written in .state/.
  try {
    mkdirSync(paths.state, { recursive: true });
    const probe = join(paths.state, `.check-${process.pid}`);
    writeFileSync(probe, "");
    rmSync(probe);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    problems.push(`log directory ${config.logDir} is not writable (${e.code ?? e.message})`);
  }
  plan.push({ part: "log dir", detail: config.logDir });
  // A directory where a log file belongs: awl watch and the monitor fail on it at once (EISDIR).
  for (const file of [paths.stream, paths.errors, paths.metrics, paths.alerts]) {
    try {
      if (!statSync(file).isFile()) problems.push(`${file} is not a file`);
    } catch {
      // Missing: written when there is something to write.
    }
  }

  const a = config.analyzer;
  if (a.enabled) {
    plan.push({
      part: "analyzer",
      detail: `on: error loop at ${a.errorLoopThreshold}, tool loop at ${a.toolLoopThreshold}, provider errors at ${a.providerErrorThreshold}, stuck after ${a.stuckMinutes} min, restarts at ${a.restartThreshold}, poll ${a.pollIntervalMs} ms`,
    });
    if (a.pollIntervalMs > a.stuckMinutes * 60_000) {
      problems.push(`analyzer.pollIntervalMs (${a.pollIntervalMs} ms) is longer than AGENT_STUCK_MINUTES (${a.stuckMinutes} min): stuck sessions would be seen late`);
    }
  } else {
    plan.push({ part: "analyzer", detail: "off (AGENT_WORK_ANALYZER_ENABLED=false): only alerts written by another awl watch are acted on" });
  }

  const tg = config.notify.telegram;
  if (tg?.botToken && !tg.chatId) problems.push("Telegram: the bot token is set but no chat id (AWL_TELEGRAM_CHAT_ID)");
  if (!tg?.botToken && tg?.chatId) problems.push("Telegram: the chat id is set but no bot token (AWL_TELEGRAM_BOT_TOKEN)");
  if (tg?.botToken && /\s/.test(tg.botToken)) problems.push("Telegram: the bot token contains white space");
  const wh = config.notify.webhook;
  if (wh?.secret && !wh.url) problems.push("webhook: a secret is set but no URL (AWL_WEBHOOK_URL)");
  if (wh?.url && !isHttp(wh.url)) problems.push(`webhook: the URL must be http:// or https:// (got ${redactUrl(wh.url)})`);
  if (tg?.apiBase && !isHttp(tg.apiBase)) problems.push(`Telegram: the API base must be http:// or https:// (got ${redactUrl(tg.apiBase)})`);
  const channels = configuredChannels(config);
  for (const r of config.notify.routes ?? []) {
    if (!channels.includes(r.channel)) problems.push(`notify.routes: a route to ${r.channel}, which is not configured`);
  }
  if (channels.includes("telegram")) plan.push({ part: "telegram", detail: `chat ${tg!.chatId}, token set, via ${tg!.apiBase ?? "https://api.telegram.org"}` });
  if (channels.includes("webhook")) plan.push({ part: "webhook", detail: `${redactUrl(wh!.url!)}${wh!.secret ? ", signed" : ", unsigned"}` });
  if (channels.length === 0) plan.push({ part: "notify", detail: "no channel configured: alerts are written, nothing is sent" });
  else {
    // An empty list is not "no routes given": selectChannels sends an alert nowhere.
    const given = config.notify.routes;
    const routes = !given
      ? `every channel ← warning and above`
      : given.length
        ? given.map((r) => `${r.channel} ← ${r.minSeverity ?? "warning"}+${r.types ? ` ${r.types.join("/")}` : ""}`).join("; ")
        : "none: no alert is sent (notify.routes is empty)";
    const age = config.notify.maxAgeMinutes === 0 ? "any age" : `last event within ${config.notify.maxAgeMinutes} min`;
    plan.push({ part: "routes", detail: `${routes}; cooldown ${config.notify.cooldownMinutes} min per task and type; ${age}` });
  }

  const hook = config.hooks.onAlert;
  if (hook) {
    const r = resolveCommand(hook.command[0]!, opts.env, opts.cwd);
    if (r.problem) problems.push(`hooks.onAlert: ${r.problem}`);
    plan.push({ part: "hook", detail: `on_alert runs ${r.path ?? hook.command[0]} (${hook.command.length - 1} argument${hook.command.length === 2 ? "" : "s"}), timeout ${hook.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS} ms` });
  }

  const rep = config.reports;
  if (rep.weekly) {
    const next = new Date(nextWeeklySlot(opts.now ?? Date.now(), rep.day, rep.hour));
    plan.push({
      part: "weekly report",
      detail: `${DAYS[rep.day]} ${String(rep.hour).padStart(2, "0")}:00 local, next ${next.toISOString()}; ${channels.length ? `summary sent to ${channels.join(", ")}` : "written only (no channel)"}`,
    });
  } else plan.push({ part: "weekly report", detail: "off (AGENT_ANALYTICS_WEEKLY_REPORT=false)" });
  const rot = config.rotation;
  plan.push({ part: "rotation", detail: `checked every ${Math.round(rot.checkIntervalMs / 1000)} s: at ${rot.maxSizeMb} MB or ${rot.maxAgeHours} h; retention ${config.retention.streamDays} d stream, ${config.retention.sessions} sessions` });
  return { problems, plan };
}

function isHttp(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

/** A URL without its credentials, query or fragment (they may carry a token). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}${u.search || u.username || u.password ? " (credentials/query hidden)" : ""}`;
  } catch {
    return "<invalid URL>";
  }
}
