// A writer process for the concurrency and crash tests: appends `count` events, alternating
// between a shared attempt and its own, `group` events per append call, and yields to the event
// loop every `yieldEvery` events (as a recorder fed by an agent's output does). count=0 appends
// until killed.
import { setImmediate as turn } from "node:timers/promises";
import type { EventInput } from "../../../src/schema/index.js";
import { LogWriter } from "../../../src/store/writer.js";

const [logDir, worker, countText, yieldText = "500", groupText = "1"] = process.argv.slice(2);
const count = Number(countText);
const yieldEvery = Number(yieldText);
const group = Number(groupText);
const w = new LogWriter({ logDir: logDir!, lock: { timeoutMs: 120_000 } });
process.stdout.write("ready\n");
let batch: EventInput[] = [];
for (let i = 0; count === 0 || i < count; i++) {
  const attempt = i % 2 === 0 ? "shared" : `own-${worker}`;
  const type = i % 7 === 3 ? "error" : "tool_call";
  batch.push(
    type === "error"
      ? { attempt_id: attempt, event_type: "error", data: { error_message: `boom ${worker}:${i}`, worker, i } }
      : { attempt_id: attempt, event_type: "tool_call", data: { tool_name: "Bash", tool_params: { worker, i } } },
  );
  if (batch.length >= group) {
    w.append(batch);
    batch = [];
  }
  if (i % yieldEvery === yieldEvery - 1) await turn();
}
w.append(batch);
w.close();
