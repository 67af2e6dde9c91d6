// A writer process for the rotation test: appends as fast as it can for `ms` milliseconds,
// alternating between a shared attempt and its own (batches of `group`), yielding to the event
// loop every `yieldEvery` events, then prints how many events it wrote to each attempt.
import { setImmediate as turn } from "node:timers/promises";
import type { EventInput } from "../../../src/schema/index.js";
import { LogWriter } from "../../../src/store/writer.js";

const [logDir, worker, msText, groupText = "1", yieldText = "50"] = process.argv.slice(2);
const until = Date.now() + Number(msText);
const group = Number(groupText);
const yieldEvery = Number(yieldText);
const w = new LogWriter({ logDir: logDir!, lock: { timeoutMs: 120_000 } });
const counts = { shared: 0, own: 0 };
let batch: EventInput[] = [];
for (let i = 0; Date.now() < until; i++) {
  const shared = i % 2 === 0;
  const attempt = shared ? "shared" : `own-${worker}`;
  batch.push(
    i % 7 === 3
      ? { attempt_id: attempt, event_type: "error", data: { error_message: `boom ${worker}:${i}`, worker, i } }
      : { attempt_id: attempt, event_type: "tool_call", data: { tool_name: "Bash", tool_params: { worker, i } } },
  );
  if (shared) counts.shared++;
  else counts.own++;
  if (batch.length >= group) {
    w.append(batch);
    batch = [];
  }
  if (i % yieldEvery === yieldEvery - 1) await turn();
}
w.append(batch);
w.close();
process.stdout.write(`${JSON.stringify(counts)}\n`);
