import { parentPort, workerData } from "node:worker_threads";
import { LogWriter } from "../store/writer.js";
import { type ClaimAttempt, emptySummary, importFile } from "./import-file.js";
import { claimStripe, type FromWorker, type Remembered, type WorkerData } from "./import-pool.js";

/**
 * One import thread: takes the next file of the shared list, imports it with its own writer,
 * reports the file's summary, and takes the next, until the list is done. A failure ends the
 * whole import, as it would in one thread.
 */

const port = parentPort;
if (!port) throw new Error("import-worker.ts runs as a worker thread");
const data = workerData as WorkerData;
const cells = new Int32Array(data.shared);
const send = (m: FromWorker) => port.postMessage(m);

/**
 * Waits (blocking this thread, which has nothing else to do) until no other thread holds the
 * attempt's stripe. In short waits: a thread that died holding a claim fails the import, and
 * stopping this one must not wait for a wake-up that never comes.
 */
const claim: ClaimAttempt = async (attemptId) => {
  const cell = claimStripe(attemptId);
  while (Atomics.compareExchange(cells, cell, 0, 1) !== 0) Atomics.wait(cells, cell, 1, 100);
  return () => {
    Atomics.store(cells, cell, 0);
    Atomics.notify(cells, cell);
  };
};

const writer = new LogWriter({ logDir: data.logDir, streamFile: data.streamFile, enabled: data.enabled });
try {
  for (let i = Atomics.add(cells, 0, 1); i < data.files.length; i = Atomics.add(cells, 0, 1)) {
    const f = data.files[i];
    if (!f) break;
    const summary = emptySummary();
    const remember: Remembered[] = [];
    await importFile(f.path, f.before, { writer, stateDir: data.stateDir, remember: (path, state, resume) => remember.push({ path, state, resume }), summary, claim });
    send({ type: "done", path: f.path, summary, remember });
    // A turn of the event loop between files: what V8 and Node finish there (freed buffers) keeps the thread's memory down.
    await new Promise((resolve) => setImmediate(resolve));
  }
} catch (err) {
  send({ type: "failed", message: err instanceof Error ? err.message : String(err) });
} finally {
  writer.close();
  port.close();
}
