/**
 * Inside the library's worker: a learner that answers calls posted to it (`learnerInWorker` is the
 * other end). Calls are answered in the order they came, each with its id; every `vitalsEvery`
 * labelled rows the learner's vitals are posted unasked.
 */
import { loadWasmBackend, useBackend } from "../backend/index.js";
import { Learner, type LearnerConfig, type Label, type Row } from "../learner/index.js";
import { learnerFromBytes, learnerToBytes } from "../io/learner-bytes.js";
import { errorMessage, type Port } from "./worker-channel.js";

/** How the worker's learner starts: from a config or from `toBytes()`'s bytes, on which backend. */
export interface LearnerStart {
  learner: LearnerConfig | Uint8Array;
  /** `"auto"` (default: wasm where it loads), `"wasm"` or `"js"`. */
  backend?: string;
  threads?: number;
  /** Post the vitals every this many labelled rows (default: never unasked). */
  vitalsEvery?: number;
}

/** A call to the worker's learner. */
export interface LearnerCall {
  id: number;
  method: "observe" | "observeMany" | "predict" | "vitals" | "toBytes";
  args: unknown[];
}

/** What the worker's learner posts: ready (or failed to start), a call's reply, or vitals. */
export type LearnerMessage =
  | { type: "ready" }
  | { type: "reply"; id: number; result?: unknown; error?: { name: string; message: string } }
  | { type: "vitals"; vitals: unknown };

/** Start the learner and return the handler of the calls that follow. */
export function serveLearner(start: LearnerStart, port: Port): (message: unknown) => void {
  let learner: Learner | null = null;
  let rows = 0;
  const every = start.vitalsEvery ?? 0;
  const ready = (async () => {
    if (start.backend !== "js") await loadWasmBackend();
    useBackend(start.backend ?? "auto", { threads: start.threads ?? 1 });
    learner =
      start.learner instanceof Uint8Array ? learnerFromBytes(start.learner) : Learner.create(start.learner);
  })();
  const counted = (): void => {
    rows += 1;
    if (every > 0 && rows % every === 0)
      port.post({ type: "vitals", vitals: learner!.vitals() } satisfies LearnerMessage);
  };
  const answer = (call: LearnerCall): unknown => {
    const l = learner!;
    switch (call.method) {
      case "observe": {
        const p = l.observe(call.args[0] as Row, call.args[1] as Label);
        counted();
        return p;
      }
      case "observeMany": {
        const [xs, ys] = call.args as [Row[], Label[]];
        return xs.map((x, i) => {
          const p = l.observe(x, ys[i]!);
          counted();
          return p;
        });
      }
      case "predict":
        return l.predict(call.args[0] as Row);
      case "vitals":
        return l.vitals();
      case "toBytes":
        return learnerToBytes(l);
    }
  };
  let chain = ready.then(
    () => port.post({ type: "ready" } satisfies LearnerMessage),
    (err: unknown) => port.post({ type: "reply", id: 0, error: errorMessage(err) } satisfies LearnerMessage),
  );
  return (message) => {
    const call = message as LearnerCall;
    chain = chain.then(() => {
      try {
        port.post({ type: "reply", id: call.id, result: answer(call) } satisfies LearnerMessage);
      } catch (err) {
        port.post({ type: "reply", id: call.id, error: errorMessage(err) } satisfies LearnerMessage);
      }
    });
  };
}
