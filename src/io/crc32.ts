/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, the one zlib, PNG and gzip use), written out in
 * plain TypeScript so model files can be checked in a browser too, where `node:zlib` does not exist.
 *
 * It uses the "slicing-by-8" table method (eight 256-entry tables, eight bytes per step): a
 * multi-megabyte model file is checked on every load, and the byte-at-a-time loop is several times
 * slower for the same result.
 */

const POLYNOMIAL = 0xedb88320;

/** TABLES[k * 256 + b]: the CRC contribution of byte b followed by k zero bytes. */
const TABLES: Uint32Array = buildTables();

function buildTables(): Uint32Array {
  const tables = new Uint32Array(8 * 256);
  for (let byte = 0; byte < 256; byte++) {
    let c = byte;
    for (let bit = 0; bit < 8; bit++) c = c & 1 ? POLYNOMIAL ^ (c >>> 1) : c >>> 1;
    tables[byte] = c;
  }
  for (let byte = 0; byte < 256; byte++) {
    let c = tables[byte];
    for (let k = 1; k < 8; k++) {
      c = tables[c & 0xff] ^ (c >>> 8);
      tables[k * 256 + byte] = c;
    }
  }
  return tables;
}

/**
 * The CRC-32 of `bytes`, as an unsigned 32-bit integer. `seed` is the CRC of the bytes that came
 * before, so a long stream can be checked in pieces (the same convention as zlib's `crc32(data, value)`).
 *
 * @example
 * crc32(new TextEncoder().encode("123456789")).toString(16); // "cbf43926"
 * const a = new Uint8Array([1, 2]), b = new Uint8Array([3]);
 * crc32(b, crc32(a)) === crc32(new Uint8Array([1, 2, 3])); // true
 */
export function crc32(bytes: Uint8Array, seed = 0): number {
  const t = TABLES;
  const n = bytes.length;
  let crc = ~seed;
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const low = crc ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24));
    crc =
      t[1792 + (low & 0xff)] ^
      t[1536 + ((low >>> 8) & 0xff)] ^
      t[1280 + ((low >>> 16) & 0xff)] ^
      t[1024 + (low >>> 24)] ^
      t[768 + bytes[i + 4]] ^
      t[512 + bytes[i + 5]] ^
      t[256 + bytes[i + 6]] ^
      t[bytes[i + 7]];
  }
  for (; i < n; i++) crc = t[(crc ^ bytes[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}
