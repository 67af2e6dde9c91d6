import { type ChildProcess, spawn } from "node:child_process";
import { appendFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AlertActionRecord } from "../../src/schema/alert.js";
import { logPaths } from "../../src/store/paths.js";
import { readLines } from "../../src/store/reader.js";
import { makeAlert } from "../helpers/alerts.js";
import { TSX } from "../helpers/awl.js";
import { type FakeBotApi, startFakeBotApi } from "../helpers/fake-bot-api.js";
import { useTmpDir } from "../helpers/tmp.js";

const tmp = useTmpDir();
const WORKER = join(import.meta.dirname, "workers", "pipeline.ts");
const TOKEN = "777:outbox-test";
const children: ChildProcess[] = [];
let api: FakeBotApi | undefined;
afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  await api?.close();
  api = undefined;
});

/** Starts the pipeline process; resolves `events(type)` when it printed that event n times. */
function startPipeline(dir: string, apiBase: string) {
  const child = spawn(process.execPath, ["--import", TSX, WORKER], {
    cwd: dir,
    env: { PATH: process.env.PATH, AGENT_WORK_LOG_DIR: dir, AWL_TELEGRAM_BOT_TOKEN: TOKEN, AWL_TELEGRAM_CHAT_ID: "5", AWL_TELEGRAM_API_BASE: apiBase, AWL_TEST_BACKOFF_MS: "100" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  const seen: string[] = [];
  const waiters: { type: string; n: number; resolve: () => void; reject: (e: Error) => void }[] = [];
  let buf = "";
  child.stdout!.on("data", (d: Buffer) => {
    buf += d;
    const lines = buf.split("\n");
    buf = lines.pop()!;
    for (const l of lines) {
      seen.push((JSON.parse(l) as { type: string }).type);
      for (const w of waiters.splice(0)) if (seen.filter((t) => t === w.type).length >= w.n) w.resolve();
      else waiters.push(w);
    }
  });
  const exited = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      for (const w of waiters.splice(0)) w.reject(new Error(`pipeline exited (${code ?? signal}) before "${w.type}"`));
      resolve();
    }),
  );
  return {
    child,
    exited,
    event: (type: string, n = 1) =>
      new Promise<void>((resolve, reject) => (seen.filter((t) => t === type).length >= n ? resolve() : waiters.push({ type, n, resolve, reject }))),
  };
}

async function actionRecords(dir: string): Promise<AlertActionRecord[]> {
  const out: AlertActionRecord[] = [];
  for await (const batch of readLines(logPaths(dir).alerts)) for (const l of batch) if (JSON.parse(l).record_type === "action") out.push(JSON.parse(l));
  return out;
}

function raise(dir: string, id: string) {
  appendFileSync(logPaths(dir).alerts, `${JSON.stringify(makeAlert({ alert_id: id, task_id: `task-${id}`, timestamp: new Date().toISOString(), last_seen: new Date().toISOString() }))}\n`);
}

describe("notification outbox across kill -9", () => {
  it("killed after the alert was read and queued, before anything was sent: after a restart the message is sent exactly once", { timeout: 60_000 }, async () => {
    const dir = tmp();
    // A port with nothing listening yet: the first process cannot have sent anything.
    const probe = await startFakeBotApi();
    const port = Number(new URL(probe.url).port);
    await probe.close();
    const apiBase = `http://127.0.0.1:${port}`;

    const first = startPipeline(dir, apiBase);
    await first.event("ready");
    raise(dir, "K1");
    await first.event("queued");
    first.child.kill("SIGKILL");
    await first.exited;
    expect(readdirSync(join(logPaths(dir).state, "outbox", "pending"))).toHaveLength(1);

    api = await startFakeBotApi({ token: TOKEN, port });
    const second = startPipeline(dir, apiBase);
    await second.event("sent");
    second.child.kill("SIGTERM");
    await second.exited;
    expect(api.messages()).toHaveLength(1);

    // A third start finds it delivered: nothing is sent again.
    const third = startPipeline(dir, apiBase);
    await third.event("ready");
    raise(dir, "K2-other-task-marker"); // proves the third process is running and sending
    await third.event("sent");
    third.child.kill("SIGTERM");
    await third.exited;
    expect(api.received).toHaveLength(2);
    const ok = (await actionRecords(dir)).filter((r) => r.status === "ok");
    expect(ok.map((r) => r.alert_id).sort()).toEqual(["K1", "K2-other-task-marker"]);
  });

  it("killed after the Bot API received the request but before the outbox was updated: sent again after the restart (the documented at-least-once window)", { timeout: 60_000 }, async () => {
    const dir = tmp();
    let victim: ChildProcess | undefined;
    api = await startFakeBotApi({
      token: TOKEN,
      // The moment the request arrives, the sender dies: it can never learn that it was delivered.
      onRequest: () => victim?.kill("SIGKILL"),
    });
    api.script({ hangMs: 5000 });
    const first = startPipeline(dir, api.url);
    victim = first.child;
    await first.event("ready");
    raise(dir, "W1");
    await first.exited;
    victim = undefined;
    expect(api.received).toHaveLength(1);

    const second = startPipeline(dir, api.url);
    await second.event("sent");
    second.child.kill("SIGTERM");
    await second.exited;
    // Telegram has no idempotency key: the one request in flight at the kill is repeated, once.
    expect(api.received).toHaveLength(2);
    expect(api.messages()).toHaveLength(1); // the first one never completed on our side
    expect((await actionRecords(dir)).filter((r) => r.alert_id === "W1")).toMatchObject([{ action: "notify", status: "ok" }]);
  });
});
