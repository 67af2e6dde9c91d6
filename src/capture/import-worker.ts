import { parentPort, workerData } from "node:worker_threads";
import { LogWriter } from "../store/writer.js";
import { type ClaimAttempt, emptySummary, importFile } from "./import-file.js";
import type { FromWorker, Remembered, ToWorker, WorkerSetup } from "./import-pool.js";

/**
 * One import thread: asks for a file, imports it with its own writer, reports the file's
 * summary, and asks again until told to stop. A failure ends the whole import, as it would
 * in one thread.
 */

const port = parentPort;
if (!port) throw new Error("import-worker.ts runs as a worker thread");
const setup = workerData as WorkerSetup;
const inbox: ToWorker[] = [];
let waiting: ((m: ToWorker) => void) | undefined;
port.on("message", (m: ToWorker) => {
  if (waiting) {
    const w = waiting;
    waiting = undefined;
    w(m);
  } else inbox.push(m);
});
const receive = (): Promise<ToWorker> => {
  const m = inbox.shift();
  return m ? Promise.resolve(m) : new Promise((r) => (waiting = r));
};
const send = (m: FromWorker) => port.postMessage(m);

const claim: ClaimAttempt = async (attemptId) => {
  send({ type: "claim", attemptId });
  const m = await receive();
  if (m.type !== "granted" || m.attemptId !== attemptId) throw new Error(`import thread: expected the claim of ${attemptId}, got ${m.type}`);
  return () => send({ type: "release", attemptId });
};

const writer = new LogWriter({ logDir: setup.logDir, streamFile: setup.streamFile, enabled: setup.enabled });
try {
  for (;;) {
    send({ type: "next" });
    const m = await receive();
    if (m.type !== "file") break;
    const summary = emptySummary();
    const remember: Remembered[] = [];
    await importFile(m.path, m.before, { writer, stateDir: setup.stateDir, remember: (path, state, resume) => remember.push({ path, state, resume }), summary, claim });
    send({ type: "done", path: m.path, summary, remember });
  }
} catch (err) {
  send({ type: "failed", message: err instanceof Error ? err.message : String(err) });
} finally {
  writer.close();
  port.close();
}
