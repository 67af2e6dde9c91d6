import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { useTmpDir } from "../../test/helpers/tmp.js";
import { ConfigError, ENV_VARS } from "./env.js";
import { loadConfig } from "./load.js";
import type { AwlConfig } from "./schema.js";

const tmp = useTmpDir();

function get(config: AwlConfig, path: string): unknown {
  return path.split(".").reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], config);
}

// For every variable of SPEC §5: values that must be accepted (with what they mean) and values that must be refused.
const cases: Record<string, { good: [string, unknown][]; bad: string[] }> = {
  AGENT_WORK_LOGGING_ENABLED: { good: [["false", false], ["TRUE", true], ["0", false], ["yes", true], [" off ", false]], bad: ["maybe", "2", "enabled"] },
  AGENT_WORK_LOG_DIR: { good: [["/var/log/awl", "/var/log/awl"]], bad: ["bad\0dir"] },
  AGENT_WORK_STREAM_FILE: { good: [["stream.jsonl", "stream.jsonl"], ["agent_work-2.jsonl", "agent_work-2.jsonl"]], bad: ["../x.jsonl", "a/b.jsonl", ".hidden", "sp ace.jsonl"] },
  AGENT_SESSION_LOG_RETENTION: { good: [["100", 100], ["1", 1]], bad: ["0", "-5", "ten", "1.5", "1e3"] },
  AGENT_WORK_LOG_MAX_SIZE_MB: { good: [["500", 500]], bad: ["0", "500MB", "-1"] },
  AGENT_WORK_ANALYZER_ENABLED: { good: [["false", false], ["on", true]], bad: ["nope"] },
  AGENT_WORK_ANALYZER_POLL_INTERVAL_MS: { good: [["5000", 5000], ["10", 10]], bad: ["5", "5s", "600001"] },
  AGENT_ERROR_LOOP_THRESHOLD: { good: [["4", 4], ["2", 2]], bad: ["1", "0", "four"] },
  AGENT_TOOL_LOOP_THRESHOLD: { good: [["10", 10]], bad: ["1", "x"] },
  AGENT_PROVIDER_ERROR_THRESHOLD: { good: [["3", 3], ["1", 1]], bad: ["0", "many"] },
  AWL_INTERVENTIONS_ENABLED: { good: [["false", false], ["true", true]], bad: ["sometimes"] },
  AWL_INTERVENTIONS_MAX: { good: [["0", 0], ["2", 2], ["100", 100]], bad: ["-1", "101", "two"] },
  AGENT_STUCK_MINUTES: { good: [["15", 15], ["1", 1]], bad: ["0", "15m", "10081"] },
  AGENT_ANALYTICS_WEEKLY_REPORT: { good: [["false", false]], bad: ["weekly"] },
  AGENT_ANALYTICS_REPORT_DAY: { good: [["0", 0], ["6", 6]], bad: ["7", "-1", "sunday"] },
  AGENT_ANALYTICS_REPORT_HOUR: { good: [["9", 9], ["23", 23], ["0", 0]], bad: ["24", "9am"] },
  AWL_ROTATION_MAX_AGE_HOURS: { good: [["24", 24], ["1", 1]], bad: ["0", "1d"] },
  AWL_RETENTION_STREAM_DAYS: { good: [["30", 30]], bad: ["0", "a month"] },
  AWL_RETENTION_ERRORS_DAYS: { good: [["90", 90]], bad: ["-1"] },
  AWL_RETENTION_ALERTS_DAYS: { good: [["365", 365]], bad: ["forever"] },
  TELEGRAM_BOT_TOKEN: { good: [["123:abc", "123:abc"]], bad: ["two\nlines"] },
  TELEGRAM_CHAT_ID: { good: [["-100123", "-100123"]], bad: ["a\rb"] },
  AWL_TELEGRAM_BOT_TOKEN: { good: [["123456:ABC-def_ghi", "123456:ABC-def_ghi"]], bad: ["x\ny"] },
  AWL_TELEGRAM_CHAT_ID: { good: [["42", "42"], ["@channel", "@channel"]], bad: ["a\nb"] },
  AWL_TELEGRAM_API_BASE: { good: [["http://127.0.0.1:8081", "http://127.0.0.1:8081"]], bad: ["api.telegram.org", "ftp://x"] },
  AWL_WEBHOOK_URL: { good: [["https://hooks.example.com/awl", "https://hooks.example.com/awl"]], bad: ["not a url", "file:///etc/passwd"] },
  AWL_WEBHOOK_SECRET: { good: [["s3cr3t", "s3cr3t"]], bad: ["a\nb"] },
  AWL_NOTIFY_COOLDOWN_MINUTES: { good: [["0", 0], ["30", 30]], bad: ["-1", "30m"] },
  AWL_NOTIFY_MAX_AGE_MINUTES: { good: [["0", 0], ["60", 60], ["1440", 1440]], bad: ["-5", "1h"] },
  AWL_SERVE_PORT: { good: [["7777", 7777], ["0", 0], ["65535", 65535]], bad: ["65536", "-1", "http", "80.5"] },
  AWL_SERVE_TOKEN: { good: [["s3cret-token-0123456789", "s3cret-token-0123456789"], [" abcdefghijklmnop ", "abcdefghijklmnop"]], bad: ["short", "has a space in it ok"] },
};

describe("environment variables", () => {
  it("has a case table for every variable awl reads", () => {
    expect(Object.keys(cases).sort()).toEqual(ENV_VARS.map((v) => v.name).sort());
  });

  for (const v of ENV_VARS) {
    const c = cases[v.name]!;
    it.each(c.good)(`${v.name}=%j is accepted`, (raw, expected) => {
      const config = loadConfig({ env: { [v.name]: raw }, cwd: tmp() });
      expect(get(config, v.path)).toEqual(expected);
    });
    it.each(c.bad)(`${v.name}=%j is a one-line error naming the variable`, (raw) => {
      const run = () => loadConfig({ env: { [v.name]: raw }, cwd: tmp() });
      expect(run).toThrow(ConfigError);
      expect(run).toThrow(new RegExp(`^${v.name}=.*expected `));
      try {
        run();
      } catch (err) {
        expect((err as Error).message).not.toContain("\n");
      }
    });
  }

  it("resolves the log directory against the working directory", () => {
    const cwd = tmp();
    expect(loadConfig({ env: {}, cwd }).logDir).toBe(join(cwd, ".cache/agent-work-logs"));
    expect(loadConfig({ env: { AGENT_WORK_LOG_DIR: "logs" }, cwd }).logDir).toBe(join(cwd, "logs"));
  });
});

describe("notification secrets", () => {
  it("prefers AWL_TELEGRAM_* over TELEGRAM_* and never echoes a bad secret", () => {
    const c = loadConfig({ env: { TELEGRAM_BOT_TOKEN: "plain", AWL_TELEGRAM_BOT_TOKEN: "prefixed", TELEGRAM_CHAT_ID: "7" }, cwd: tmp() });
    expect(c.notify.telegram).toEqual({ botToken: "prefixed", chatId: "7" });
    expect(() => loadConfig({ env: { AWL_WEBHOOK_SECRET: "sec\nret" }, cwd: tmp() })).toThrow('AWL_WEBHOOK_SECRET=<hidden> (environment)');
  });

  it("reads routes and the on_alert hook from the config file, and refuses bad ones", () => {
    const cwd = tmp();
    writeFileSync(
      join(cwd, "awl.config.json"),
      JSON.stringify({ notify: { routes: [{ channel: "telegram", minSeverity: "error", types: ["error_loop"] }] }, hooks: { onAlert: { command: ["/bin/echo", "x"], timeoutMs: 500 } } }),
    );
    const c = loadConfig({ env: {}, cwd });
    expect(c.notify.routes).toEqual([{ channel: "telegram", minSeverity: "error", types: ["error_loop"] }]);
    expect(c.notify.cooldownMinutes).toBe(30);
    expect(c.notify.maxAgeMinutes).toBe(60);
    expect(c.hooks.onAlert).toEqual({ command: ["/bin/echo", "x"], timeoutMs: 500 });
    writeFileSync(join(cwd, "awl.config.json"), JSON.stringify({ notify: { routes: [{ channel: "sms" }] } }));
    expect(() => loadConfig({ env: {}, cwd })).toThrow(/notify\.routes/);
    writeFileSync(join(cwd, "awl.config.json"), JSON.stringify({ hooks: { onAlert: { command: "rm -rf ~" } } }));
    expect(() => loadConfig({ env: {}, cwd })).toThrow(/hooks\.onAlert\.command/);
  });
});

describe("precedence: flags > environment > .env > config file > defaults", () => {
  it("takes each layer over the ones below it", () => {
    const cwd = tmp();
    writeFileSync(join(cwd, "awl.config.json"), JSON.stringify({ logDir: "from-file", analyzer: { errorLoopThreshold: 5, toolLoopThreshold: 11 }, reports: { hour: 7 } }));
    writeFileSync(join(cwd, ".env"), "AGENT_ERROR_LOOP_THRESHOLD=6\nAGENT_TOOL_LOOP_THRESHOLD=12\nexport AGENT_WORK_LOG_DIR=from-dotenv\n");
    const env = { AGENT_TOOL_LOOP_THRESHOLD: "13" };
    const c = loadConfig({ env, cwd });
    expect(c.reports.hour).toBe(7); // file
    expect(c.analyzer.errorLoopThreshold).toBe(6); // .env over file
    expect(c.analyzer.toolLoopThreshold).toBe(13); // environment over .env
    expect(c.logDir).toBe(join(cwd, "from-dotenv"));
    expect(loadConfig({ env, cwd, flags: { logDir: "from-flag" } }).logDir).toBe(join(cwd, "from-flag"));
    expect(c.reports.day).toBe(0); // default
    expect(c.sources).toEqual({ configFile: join(cwd, "awl.config.json"), dotenv: join(cwd, ".env") });
  });

  it("resolves a config file's logDir against the file's own folder", () => {
    const cwd = tmp();
    mkdirSync(join(cwd, "conf"));
    writeFileSync(join(cwd, "conf", "awl.json"), JSON.stringify({ logDir: "logs" }));
    expect(loadConfig({ env: {}, cwd, flags: { config: join(cwd, "conf", "awl.json") } }).logDir).toBe(join(cwd, "conf", "logs"));
  });

  it.each([
    [{ analyzer: { errorLoopThreshold: 1 } }, /analyzer\.errorLoopThreshold/],
    [{ reports: { day: 9 } }, /reports\.day/],
    [{ logdir: "typo" }, /Unrecognized key/],
    [{ analyzer: { treshold: 3 } }, /Unrecognized key/],
    [{ streamFile: "../escape.jsonl" }, /streamFile: must be a plain file name/],
    [{ analyzer: { contextWindowRatio: 1.5 } }, /analyzer\.contextWindowRatio/],
    [{ analyzer: { costBudgetUsd: { default: -1 } } }, /analyzer\.costBudgetUsd\.default/],
    [{ analyzer: { costBudgetUsd: { byModel: { opus: "5" } } } }, /analyzer\.costBudgetUsd\.byModel/],
    [{ analyzer: { contextWindows: { "my-model": 0 } } }, /analyzer\.contextWindows/],
    [{ analyzer: { restartThreshold: 0 } }, /analyzer\.restartThreshold/],
  ])("refuses a bad config file %j", (file, message) => {
    const cwd = tmp();
    writeFileSync(join(cwd, "awl.config.json"), JSON.stringify(file));
    expect(() => loadConfig({ env: {}, cwd })).toThrow(message);
  });

  it("takes the analyzer's detector settings from the config file, keeping defaults for the rest", () => {
    const cwd = tmp();
    const analyzer = { restartThreshold: 4, contextWindowRatio: 0.8, contextWindows: { "my-model": 32000 }, costBudgetUsd: { byModel: { opus: 20 } } };
    writeFileSync(join(cwd, "awl.config.json"), JSON.stringify({ analyzer }));
    const c = loadConfig({ env: {}, cwd });
    expect(c.analyzer).toMatchObject({ ...analyzer, stuckMinutes: 15, failedSessionErrorThreshold: 5, costBudgetUsd: { default: 10, byExecutor: {}, byModel: { opus: 20 } } });
  });

  it("names the file when it is not JSON, and refuses a missing explicit one", () => {
    const cwd = tmp();
    writeFileSync(join(cwd, "awl.config.json"), "{ nope");
    expect(() => loadConfig({ env: {}, cwd })).toThrow(/awl\.config\.json: .*JSON/);
    expect(() => loadConfig({ env: {}, cwd: tmp(), flags: { config: "/nonexistent/awl.json" } })).toThrow(/does not exist/);
  });

  it("names .env as the origin of a bad value from it", () => {
    const cwd = tmp();
    writeFileSync(join(cwd, ".env"), "AGENT_ANALYTICS_REPORT_HOUR=25\n");
    expect(() => loadConfig({ env: {}, cwd })).toThrow('AGENT_ANALYTICS_REPORT_HOUR="25" (.env): expected a whole number from 0 to 23');
  });
});

describe("interventions", () => {
  it("defaults to tool_loop only, two per run, the built-in template, and reads the config file", () => {
    const cwd = tmp();
    const d = loadConfig({ env: {}, cwd }).interventions;
    expect(d).toMatchObject({ enabled: true, types: ["tool_loop"], maxPerAttempt: 2, graceMs: 5000, promptVia: "auto", autofixRestart: false, followAlerts: true });
    expect(d.recoveryTemplate).toContain("{prompt}");
    writeFileSync(
      join(cwd, "awl.config.json"),
      JSON.stringify({ interventions: { types: ["tool_loop", "error_loop"], recoveryTemplate: "Loop: {type} {tool}. {{json}} {prompt}", promptVia: "stdin", autofixCommand: ["npm", "ci"], graceMs: 100 } }),
    );
    const c = loadConfig({ env: { AWL_INTERVENTIONS_MAX: "5" }, cwd }).interventions;
    expect(c).toMatchObject({ types: ["tool_loop", "error_loop"], promptVia: "stdin", autofixCommand: ["npm", "ci"], graceMs: 100, maxPerAttempt: 5, enabled: true });
  });

  it.each([
    [{ recoveryTemplate: "Stop {looping}" }, /interventions\.recoveryTemplate.*unknown placeholder/],
    [{ types: ["looping"] }, /interventions\.types/],
    [{ types: [] }, /interventions\.types/],
    [{ promptVia: "argv" }, /interventions\.promptVia/],
    [{ autofixCommand: "npm ci" }, /interventions\.autofixCommand/],
    [{ maxPerAttempt: -1 }, /interventions\.maxPerAttempt/],
    [{ restart: true }, /interventions/],
  ])("refuses %j", (interventions, error) => {
    const cwd = tmp();
    writeFileSync(join(cwd, "awl.config.json"), JSON.stringify({ interventions }));
    expect(() => loadConfig({ env: {}, cwd })).toThrow(error);
  });
});

describe("serve", () => {
  it("defaults to loopback on port 7777 without a token, and reads host, port and token from the config file", () => {
    const cwd = tmp();
    expect(loadConfig({ env: {}, cwd }).serve).toEqual({ host: "127.0.0.1", port: 7777 });
    writeFileSync(join(cwd, "awl.config.json"), JSON.stringify({ serve: { host: "0.0.0.0", port: 8080, token: "0123456789abcdef" } }));
    expect(loadConfig({ env: { AWL_SERVE_PORT: "9000" }, cwd }).serve).toEqual({ host: "0.0.0.0", port: 9000, token: "0123456789abcdef" });
  });

  it("never echoes a bad token in the error", () => {
    const secret = "leaky token";
    const run = () => loadConfig({ env: { AWL_SERVE_TOKEN: secret }, cwd: tmp() });
    expect(run).toThrow(/^AWL_SERVE_TOKEN=<hidden>/);
    try {
      run();
    } catch (err) {
      expect((err as Error).message).not.toContain("leaky");
    }
  });

  it("refuses a short token in the config file", () => {
    const cwd = tmp();
    writeFileSync(join(cwd, "awl.config.json"), JSON.stringify({ serve: { token: "short" } }));
    expect(() => loadConfig({ env: {}, cwd })).toThrow(/serve\.token/);
  });
});
