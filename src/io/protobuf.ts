/**
 * The protocol-buffers wire format, just enough of it to write and read ONNX files without a
 * dependency. A message is a flat run of (field number, wire type, value) records; nested messages are
 * length-delimited byte strings, so the reader below never recurses: a caller that wants a sub-message
 * opens a new reader over the bytes it is handed.
 *
 * The reader is written for hostile input: every read is bounds-checked, every loop consumes at least one
 * byte, a length prefix larger than what remains is refused before anything is allocated, and the only
 * exception it throws is `ModelFileError`.
 */
import { ModelFileError } from "../tensor/errors.js";

export const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

/**
 * Builds one message. Integers are written as (signed) int64 varints, the encoding ONNX uses for
 * every integer field; negative values take ten bytes, as the format requires.
 *
 * @example
 * const w = new ProtoWriter();
 * w.int(1, 8).string(2, "homeostat").message(7, (g) => g.string(2, "graph"));
 * const bytes = w.finish();
 */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(extra: number): void {
    if (this.len + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private rawVarint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`protobuf: cannot encode ${value} as a varint`);
    this.ensure(10);
    // Two's complement over 64 bits: split into 32-bit halves so negative numbers come out right.
    let lo = value >>> 0;
    let hi = Math.floor(value / 4294967296) >>> 0;
    while (hi !== 0 || lo > 0x7f) {
      this.buf[this.len++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    this.buf[this.len++] = lo;
  }

  private tag(field: number, wire: number): void {
    this.rawVarint(field * 8 + wire);
  }

  /** An int32/int64/enum/bool field. */
  int(field: number, value: number): this {
    this.tag(field, WIRE.varint);
    this.rawVarint(value);
    return this;
  }

  /** A `float` field (fixed32, IEEE little-endian). */
  float(field: number, value: number): this {
    this.tag(field, WIRE.fixed32);
    this.ensure(4);
    new DataView(this.buf.buffer).setFloat32(this.len, value, true);
    this.len += 4;
    return this;
  }

  /** A `double` field (fixed64). */
  double(field: number, value: number): this {
    this.tag(field, WIRE.fixed64);
    this.ensure(8);
    new DataView(this.buf.buffer).setFloat64(this.len, value, true);
    this.len += 8;
    return this;
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, WIRE.bytes);
    this.rawVarint(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.len);
    this.len += value.length;
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, utf8.encode(value));
  }

  /** A nested message, built by `build` on a fresh writer. */
  message(field: number, build: (w: ProtoWriter) => void): this {
    const inner = new ProtoWriter();
    build(inner);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated int64 field. */
  packedInts(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const v of values) inner.rawVarint(v);
    return this.bytes(field, inner.finish());
  }

  /** A packed repeated float field. */
  packedFloats(field: number, values: ArrayLike<number>): this {
    const out = new Uint8Array(values.length * 4);
    const view = new DataView(out.buffer);
    for (let i = 0; i < values.length; i++) view.setFloat32(i * 4, values[i], true);
    return this.bytes(field, out);
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

/** One record of a message: its field number, wire type, and where its value starts. */
export interface ProtoField {
  field: number;
  wire: number;
}

/**
 * Reads one message's records in order. `what` names the message in errors ("model.onnx: graph.node[3]").
 *
 * @example
 * const r = new ProtoReader(bytes, "model.onnx");
 * for (let f = r.next(); f; f = r.next()) {
 *   if (f.field === 1 && f.wire === WIRE.varint) irVersion = r.int();
 *   else r.skip(f.wire);
 * }
 */
export class ProtoReader {
  private pos = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(message: string): never {
    throw new ModelFileError(`${this.what}: ${message}`);
  }

  /** The next record's tag, or null at the end of the message. */
  next(): ProtoField | null {
    if (this.pos >= this.bytes.length) return null;
    const at = this.pos;
    const tag = this.int();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field < 1 || field > 536870911) this.fail(`invalid field number ${field} at byte ${at}`);
    return { field, wire };
  }

  /** A varint read as a signed 64-bit integer; values beyond ±2⁵³ lose precision (callers range-check). */
  int(): number {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.bytes.length) this.fail(`truncated varint at byte ${this.pos}`);
      const b = this.bytes[this.pos++];
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if ((b & 0x80) === 0) {
        lo >>>= 0;
        return (hi | 0) * 4294967296 + lo; // hi as signed: two's complement int64
      }
    }
    return this.fail(`varint longer than 10 bytes at byte ${this.pos}`);
  }

  private take(n: number): number {
    if (n > this.bytes.length - this.pos)
      this.fail(`field needs ${n} bytes at byte ${this.pos}, only ${this.bytes.length - this.pos} remain`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  float(): number {
    return this.view.getFloat32(this.take(4), true);
  }

  double(): number {
    return this.view.getFloat64(this.take(8), true);
  }

  /** A length-delimited value, as a view into the input (nothing is copied). */
  bytesField(): Uint8Array {
    const n = this.int();
    if (n < 0) this.fail(`length prefix ${n} at byte ${this.pos} is negative`);
    if (n > this.bytes.length - this.pos) {
      this.fail(
        `length prefix ${n} at byte ${this.pos} exceeds the ${this.bytes.length - this.pos} bytes that remain`,
      );
    }
    const at = this.take(n);
    return this.bytes.subarray(at, at + n);
  }

  string(): string {
    return utf8Decoder.decode(this.bytesField());
  }

  /** A repeated int64 field, packed (wire type 2) or one value per record (wire type 0). */
  ints(wire: number): number[] {
    if (wire === WIRE.varint) return [this.int()];
    const inner = new ProtoReader(this.expectBytes(wire), this.what);
    const out: number[] = [];
    while (inner.pos < inner.bytes.length) out.push(inner.int()); // each value consumes ≥ 1 byte
    return out;
  }

  /** A repeated float field, packed (wire type 2) or one value per record (wire type 5). */
  floats(wire: number): Float32Array {
    if (wire === WIRE.fixed32) return Float32Array.of(this.float());
    const b = this.expectBytes(wire);
    if (b.length % 4 !== 0) this.fail(`packed floats of ${b.length} bytes, not a multiple of 4`);
    const out = new Float32Array(b.length / 4);
    new Uint8Array(out.buffer).set(b); // bit-exact copy (little-endian hosts)
    return out;
  }

  private expectBytes(wire: number): Uint8Array {
    if (wire !== WIRE.bytes) this.fail(`expected a length-delimited field, got wire type ${wire}`);
    return this.bytesField();
  }

  /** Step over a value that the caller does not need. Groups (wire types 3, 4) are refused. */
  skip(wire: number): void {
    switch (wire) {
      case WIRE.varint:
        this.int();
        return;
      case WIRE.fixed64:
        this.take(8);
        return;
      case WIRE.bytes:
        this.bytesField();
        return;
      case WIRE.fixed32:
        this.take(4);
        return;
      default:
        this.fail(`unsupported wire type ${wire} at byte ${this.pos}`);
    }
  }
}
