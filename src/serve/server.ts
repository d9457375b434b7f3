/**
 * The learning service: a durable learner behind HTTP (Node's own `http`). `POST /observe` answers the
 * predictions made before learning once the rows are in the write-ahead log and learnt; `POST /predict`
 * answers from the weights as they are between steps; `GET /vitals` and `GET /metrics` (Prometheus text)
 * show the learner's vital signs; `POST /checkpoint` checkpoints now. One learning loop (the durable
 * learner's queue) applies requests in arrival order; past `maxQueueRows` waiting rows a request is
 * answered 503 with Retry-After. A bad request is a 400/413 naming the row and the problem, and nothing
 * of it is logged or learnt. It binds 127.0.0.1 unless told otherwise; with a token, every request that
 * writes needs `Authorization: Bearer <token>`. `GET /` is a live dashboard page (dashboard.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Learner } from "../learner/learner.js";
import { ConfigError, DataError } from "../tensor/errors.js";
import { DASHBOARD_CSP, dashboardPage } from "./dashboard.js";
import { DurableLearner, type DurableOptions } from "./durable.js";
import { bearerMatches, HttpError, parseJson, readBody, sendJson, sendText } from "./http-io.js";
import { METRICS_CONTENT_TYPE, prometheusText } from "./metrics.js";
import { LogError } from "./wal.js";

/** Options of `serve`: where it listens, the token, the queue bound, and the durable learner's options. */
export interface ServeOptions extends DurableOptions {
  /** Default 8470; 0 picks a free port. */
  port?: number;
  /** Default 127.0.0.1 (this machine only). */
  host?: string;
  /** The folder of the log and checkpoints; needed when a plain Learner is given. */
  dir?: string;
  /** When set, POST /observe and /checkpoint need `Authorization: Bearer <token>`. */
  token?: string;
  /** With a token: /predict, /vitals and /metrics need it too (default false: they stay open). */
  protectReads?: boolean;
  /** A body over this many bytes is answered 413 (default 1 MiB). */
  maxBodyBytes?: number;
  /** Rows waiting to be learnt past which a request is answered 503 (default 65,536). */
  maxQueueRows?: number;
  /** Milliseconds between the dashboard's readings of /vitals (default 1000). */
  dashboardInterval?: number;
}

/** A running service. */
export interface Service {
  url: string;
  port: number;
  durable: DurableLearner;
  server: Server;
  /** Stop taking requests, learn what is queued, checkpoint, close. */
  close(): Promise<void>;
}

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

/**
 * Serve a learner over HTTP; resolves once it listens.
 *
 * @example
 * const service = await serve(Learner.create({ task: "classification" }), { dir: "runs/live", port: 0 });
 * // curl -d '{"x": [1, 2], "y": "a"}' service.url + "/observe"
 * await service.close();
 */
export async function serve(learner: Learner | DurableLearner, options: ServeOptions = {}): Promise<Service> {
  const durable = learner instanceof Learner ? await durableOf(learner, options) : learner;
  const limit = options.maxBodyBytes ?? 1 << 20;
  const maxQueue = options.maxQueueRows ?? 65_536;
  const requests = new Map<number, number>();

  const observe: Route = async (req, res) => {
    const rows = rowsOf(parseJson(await readBody(req, limit)), true);
    if (durable.queuedRows + rows.length > maxQueue)
      throw new HttpError(503, `the queue is full (${durable.queuedRows} rows waiting); retry shortly`, {
        "Retry-After": "1",
      });
    const answer = await durable.observe(rows as { x: unknown; y: unknown }[]).catch((e) => {
      if (e instanceof DataError) throw e; // refused before logging
      throw new HttpError(503, `the rows could not be logged: ${(e as Error).message}`, {
        "Retry-After": "5",
      });
    });
    sendJson(res, 200, answer);
  };
  const predict: Route = async (req, res) => {
    const rows = rowsOf(parseJson(await readBody(req, limit)), false);
    const at = (i: number) => (rows.length > 1 ? `row ${i + 1} of ${rows.length}` : "the row");
    sendJson(res, 200, { predictions: rows.map((r, i) => durable.predict(r.x, at(i))) });
  };
  const page = dashboardPage({ interval: options.dashboardInterval });
  const routes: Record<string, { method: string; write: boolean; run: Route }> = {
    "/observe": { method: "POST", write: true, run: observe },
    "/predict": { method: "POST", write: false, run: predict },
    "/checkpoint": {
      method: "POST",
      write: true,
      run: async (_req, res) => sendJson(res, 200, { seq: await durable.checkpoint() }),
    },
    "/vitals": {
      method: "GET",
      write: false,
      run: (_req, res) => sendJson(res, 200, { ...durable.learner.vitals(), service: counts() }),
    },
    "/metrics": {
      method: "GET",
      write: false,
      run: (_req, res) =>
        sendText(res, METRICS_CONTENT_TYPE, prometheusText(durable.learner.vitals(), counts())),
    },
    // The dashboard holds no data: it is open even with protectReads; its script sends the token to /vitals.
    "/": {
      method: "GET",
      write: false,
      run: (_req, res) => {
        res.writeHead(200, {
          "Content-Type": "text/html; charset=utf-8",
          "Content-Security-Policy": DASHBOARD_CSP,
          "Cache-Control": "no-store",
        });
        res.end(page);
      },
    },
  };
  const counts = () => ({
    seq: durable.lastSeq,
    queuedRows: durable.queuedRows,
    logBytes: durable.logBytesNow,
    fsyncs: durable.fsyncs,
    requests,
  });

  const server = createServer(async (req, res) => {
    res.on("finish", () => requests.set(res.statusCode, (requests.get(res.statusCode) ?? 0) + 1));
    try {
      const path = (req.url ?? "/").split("?")[0];
      const route = routes[path];
      if (!route) throw new HttpError(404, `no ${path} here; try ${Object.keys(routes).join(", ")}`);
      if (req.method !== route.method)
        throw new HttpError(405, `${path} takes ${route.method}`, { Allow: route.method });
      if (options.token && (route.write || (options.protectReads && path !== "/")))
        if (!bearerMatches(req.headers.authorization, options.token))
          throw new HttpError(401, "this request needs Authorization: Bearer <token>", {
            "WWW-Authenticate": "Bearer",
          });
      await route.run(req, res);
    } catch (e) {
      const [status, message, headers] =
        e instanceof HttpError
          ? [e.status, e.message, e.headers]
          : e instanceof DataError || e instanceof ConfigError
            ? [400, e.message, {}]
            : e instanceof LogError
              ? [503, e.message, { "Retry-After": "5" }]
              : [500, `internal error: ${(e as Error).message}`, {}];
      if (!res.headersSent) sendJson(res, status, { error: message }, headers);
      if (status === 413) req.resume();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8470, options.host ?? "127.0.0.1", () => resolve());
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    port,
    durable,
    server,
    close: async () => {
      const closed = new Promise((r) => server.close(r));
      server.closeIdleConnections();
      await durable.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

async function durableOf(learner: Learner, options: ServeOptions): Promise<DurableLearner> {
  if (!options.dir)
    throw new ConfigError("serve: a plain Learner needs options.dir, the folder of its log and checkpoints", {
      field: "dir",
    });
  return DurableLearner.create(options.dir, learner, options);
}

const ROW_SHAPE = '{"x": [numbers] | {name: number}, "y": label}';

/** The rows of a request body: one row object or an array of them; each checked for its keys. */
function rowsOf(body: unknown, labelled: boolean): { x: unknown; y?: unknown }[] {
  const list = Array.isArray(body) ? body : [body];
  if (list.length === 0) throw new HttpError(400, "the body is an empty array; expected at least one row");
  const keys = labelled ? ["x", "y"] : ["x"];
  return list.map((r, i) => {
    const which = list.length > 1 ? `row ${i + 1} of ${list.length}` : "the row";
    if (r === null || typeof r !== "object" || Array.isArray(r))
      throw new HttpError(
        400,
        `${which}: expected an object ${labelled ? ROW_SHAPE : '{"x": …}'}, got ${JSON.stringify(r)?.slice(0, 40)}`,
      );
    for (const k of keys)
      if (!(k in r))
        throw new HttpError(
          400,
          `${which}: "${k}" is missing; expected ${labelled ? ROW_SHAPE : '{"x": …}'}`,
        );
    const extra = Object.keys(r).find((k) => !keys.includes(k));
    if (extra !== undefined)
      throw new HttpError(
        400,
        `${which}: unknown key "${extra}"; expected ${keys.join(", ")}${labelled ? "" : " (POST /observe takes labels)"}`,
      );
    return r as { x: unknown; y?: unknown };
  });
}
