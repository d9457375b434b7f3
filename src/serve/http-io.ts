/**
 * The small pieces of HTTP the service needs, on Node's own `http`: a body read within a size limit,
 * JSON parsed with a message a client can act on, a bearer token compared in constant time, and
 * answers as JSON.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";

/** An answer other than 200: its status, the message, and headers (Retry-After, Allow). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * The request's body as text; more than `limit` bytes is a 413 (the rest is not read).
 *
 * @example
 * const text = await readBody(req, 1 << 20);
 */
export function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const tooBig = () =>
    new HttpError(413, `the body is over the limit of ${limit} bytes`, { Connection: "close" });
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooBig());
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners("data");
        req.resume();
        reject(tooBig());
      } else parts.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(parts).toString("utf8")));
    req.on("error", reject);
  });
}

/** The body as JSON, or a 400 that quotes the parser's complaint. */
export function parseJson(text: string): unknown {
  if (text.trim() === "") throw new HttpError(400, "the body is empty; expected JSON");
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, `the body is not JSON: ${(e as Error).message}`);
  }
}

/**
 * Whether the Authorization header carries `token`. Both sides are hashed first, so the comparison
 * takes the same time whatever the header's length or content.
 *
 * @example
 * bearerMatches("Bearer s3cret", "s3cret"); // true
 */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = /^Bearer (.+)$/i.exec(header ?? "")?.[1] ?? "";
  const digest = (s: string) => createHash("sha256").update(s).digest();
  return timingSafeEqual(digest(given), digest(token)) && given.length > 0;
}

/** Send `body` as JSON with `status`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    "Content-Type": "application/json; charset=utf-8",
    "Content-Length": Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** Send plain text (the metrics). */
export function sendText(res: ServerResponse, contentType: string, text: string): void {
  res.writeHead(200, { "Content-Type": contentType, "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}
