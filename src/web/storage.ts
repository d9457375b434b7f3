/**
 * Bytes in a browser's storage: model files (`encodeModel`) and learners (`learner.toBytes()`) are
 * bytes, so saving either is saving bytes. IndexedDB (every browser, main thread and workers) or the
 * origin private file system (OPFS); fetched from a URL; offered as a download. Each function checks
 * for what it needs when called, so importing them costs Node nothing; there they throw a clear error.
 */
import { HomeostatError } from "../tensor/errors.js";

/** Where `saveBytes` keeps bytes: IndexedDB (default) or the origin private file system. */
export type BrowserStore = "indexeddb" | "opfs";

/** The IndexedDB database and object store that hold saved bytes, one record per name. */
const DB = { name: "homeostat", store: "bytes" } as const;

function need<T>(thing: T | undefined, what: string): T {
  if (thing === undefined || thing === null)
    throw new HomeostatError(`${what} is not available in this runtime (a browser API)`);
  return thing;
}

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(new HomeostatError(`IndexedDB: ${r.error?.message ?? "request failed"}`));
  });
}

async function withStore<T>(mode: IDBTransactionMode, f: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const idb = need((globalThis as { indexedDB?: IDBFactory }).indexedDB, "IndexedDB");
  const open = idb.open(DB.name, 1);
  open.onupgradeneeded = () => open.result.createObjectStore(DB.store);
  const db = await request(open);
  try {
    const tx = db.transaction(DB.store, mode);
    const result = await request(f(tx.objectStore(DB.store)));
    await new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onerror = () =>
        reject(new HomeostatError(`IndexedDB: ${tx.error?.message ?? "transaction failed"}`));
    });
    return result;
  } finally {
    db.close();
  }
}

async function opfsRoot(): Promise<FileSystemDirectoryHandle> {
  const storage = (globalThis as { navigator?: { storage?: StorageManager } }).navigator?.storage;
  return need(storage?.getDirectory ? storage : undefined, "the origin private file system").getDirectory();
}

/**
 * Keep `bytes` under `name` in the browser (IndexedDB by default, or OPFS), replacing what was there.
 * Resolves once stored: the transaction has committed, or the file is closed.
 *
 * @example
 * await saveBytes("my-learner", learner.toBytes());
 * const again = Learner.fromBytes((await loadBytes("my-learner"))!);
 */
export async function saveBytes(
  name: string,
  bytes: Uint8Array,
  store: BrowserStore = "indexeddb",
): Promise<void> {
  if (store === "opfs") {
    const file = await (await opfsRoot()).getFileHandle(name, { create: true });
    const out = await file.createWritable();
    await out.write(bytes as Uint8Array<ArrayBuffer>);
    await out.close();
    return;
  }
  await withStore("readwrite", (s) => s.put(bytes.slice(), name));
}

/**
 * The bytes saved under `name` (`saveBytes`), or null when there are none.
 *
 * @example
 * const bytes = await loadBytes("my-model");
 * if (bytes) console.log(decodeModel(bytes).model.parameterCount());
 */
export async function loadBytes(name: string, store: BrowserStore = "indexeddb"): Promise<Uint8Array | null> {
  if (store === "opfs") {
    try {
      const file = await (await opfsRoot()).getFileHandle(name);
      return new Uint8Array(await (await file.getFile()).arrayBuffer());
    } catch (err) {
      if ((err as { name?: string }).name === "NotFoundError") return null;
      throw err;
    }
  }
  const found = await withStore("readonly", (s) => s.get(name) as IDBRequest<Uint8Array | undefined>);
  return found ?? null;
}

/**
 * Forget the bytes saved under `name`; nothing happens when there are none.
 *
 * @example
 * await deleteBytes("my-model");
 */
export async function deleteBytes(name: string, store: BrowserStore = "indexeddb"): Promise<void> {
  if (store === "opfs") {
    await (await opfsRoot()).removeEntry(name).catch((err: { name?: string }) => {
      if (err.name !== "NotFoundError") throw err;
    });
    return;
  }
  await withStore("readwrite", (s) => s.delete(name));
}

/**
 * Fetch a model file or a learner's bytes from `url` (relative to the page); a clear error names the
 * URL and status when the response is not OK.
 *
 * @example
 * const { model } = decodeModel(await fetchBytes("./models/digits.hmst"));
 */
export async function fetchBytes(url: string | URL, init?: RequestInit): Promise<Uint8Array> {
  const response = await fetch(url, init);
  if (!response.ok)
    throw new HomeostatError(`fetch ${String(url)}: ${response.status} ${response.statusText}`);
  return new Uint8Array(await response.arrayBuffer());
}

/**
 * Offer `bytes` as a file download: a Blob and its object URL; where there is a document, a click on a
 * hidden link saves it as `filename`. Returns the URL (revoke it with `URL.revokeObjectURL` once done).
 *
 * @example
 * downloadBytes(encodeModel(model), "model.hmst");
 */
export function downloadBytes(bytes: Uint8Array, filename: string): string {
  const url = URL.createObjectURL(
    new Blob([bytes as Uint8Array<ArrayBuffer>], { type: "application/octet-stream" }),
  );
  const doc = (globalThis as { document?: Document }).document;
  if (doc) {
    const a = doc.createElement("a");
    a.href = url;
    a.download = filename;
    a.style.display = "none";
    doc.body.append(a);
    a.click();
    a.remove();
  }
  return url;
}
