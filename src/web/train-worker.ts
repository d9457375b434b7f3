/**
 * The library's worker, a browser's module Web Worker or Node's worker_threads. Its first message says
 * what it serves: one training job (`trainInWorker`: events, then the result or the error) or a learner
 * (`learnerInWorker`: calls answered in order, vitals streamed).
 */
import { runTrainingJob, type TrainingJob } from "./training-job.js";
import { serveLearner, type LearnerStart } from "./learner-server.js";
import { errorMessage, parentPort } from "./worker-channel.js";

/** The first message a worker gets. */
export type WorkerStartMessage = { kind: "train"; job: TrainingJob } | ({ kind: "learner" } & LearnerStart);

/** What a training worker posts: an event, the result, or the error that ended the job. */
export type TrainMessage =
  | { type: "epoch"; event: unknown }
  | { type: "batch"; event: unknown }
  | { type: "health"; event: unknown }
  | { type: "done"; result: unknown }
  | { type: "error"; message: string; name: string };

const port = parentPort();
/** Where the messages after the first go (a learner's calls); a training job takes none. */
let next: ((message: unknown) => void) | null = null;
let started = false;
port.listen((message) => {
  if (started) {
    next?.(message);
    return;
  }
  started = true;
  const start = message as WorkerStartMessage;
  if (start.kind === "learner") {
    next = serveLearner(start, port);
    return;
  }
  runTrainingJob(start.job, {
    onEpoch: (event) => port.post({ type: "epoch", event } satisfies TrainMessage),
    onBatch: (event) => port.post({ type: "batch", event } satisfies TrainMessage),
    onHealth: (event) => port.post({ type: "health", event } satisfies TrainMessage),
  }).then(
    (result) =>
      port.post({ type: "done", result } satisfies TrainMessage, [result.model.buffer as ArrayBuffer]),
    (err: unknown) => port.post({ type: "error", ...errorMessage(err) } satisfies TrainMessage),
  );
});
