/**
 * A frozen backbone run by ONNX Runtime: the user's own `InferenceSession` (onnxruntime-web or
 * onnxruntime-node), for ONNX graphs Homeostat's import does not read or where ONNX Runtime's WebGPU
 * or native kernels are wanted. Homeostat does not depend on ONNX Runtime: the session and its Tensor
 * class are passed in and used through the few members below. Embeddings are asynchronous, as
 * `session.run` is.
 */
import { ConfigError, ModelFileError } from "../tensor/errors.js";
import { crc32 } from "./crc32.js";

/** The members of an ONNX Runtime tensor that are read: its values and dims. */
export interface OrtTensorLike {
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** The members of an ONNX Runtime `InferenceSession` that are used. */
export interface OrtSessionLike {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensorLike>>;
}

/** Options of `OnnxRuntimeBackbone.create`. */
export interface OnnxRuntimeOptions {
  /** ONNX Runtime's Tensor class (`ort.Tensor`): feeds are made with `new Tensor("float32", data, dims)`. */
  Tensor: new (
    type: "float32",
    data: Float32Array,
    dims: readonly number[],
  ) => unknown;
  /** The model file's bytes, as given to `InferenceSession.create`: the backbone's fingerprint is their CRC-32. */
  bytes: Uint8Array;
  /** One sample's dims as the graph reads it, without the batch axis ([1, 28, 28] for a PyTorch digit model). */
  inputShape: readonly number[];
  /** The output to use as the embedding (default: the session's only output). */
  output?: string;
}

/**
 * A backbone whose embeddings ONNX Runtime computes: rows in (as the graph reads them), one vector per
 * row out. `hash` fingerprints the model's bytes (`onnx-` CRC-32 and length), so a learner saved on it
 * refuses another model.
 *
 * @example
 * import * as ort from "onnxruntime-web"; // or onnxruntime-node: your dependency, not Homeostat's
 * const session = await ort.InferenceSession.create(bytes); // bytes: the .onnx file's contents
 * const backbone = await OnnxRuntimeBackbone.create(session, { Tensor: ort.Tensor, bytes, inputShape: [1, 28, 28] });
 * const head = BackboneLearner.create(backbone, { task: "classification", seed: 1 });
 * const pixels = new Array<number>(784).fill(0); // one image as the graph reads it, channels first
 * await head.observeAsync(pixels, "3");
 */
export class OnnxRuntimeBackbone {
  private constructor(
    private readonly session: OrtSessionLike,
    private readonly o: OnnxRuntimeOptions & { output: string },
    readonly inputDim: number,
    readonly outputDim: number,
    readonly hash: string,
  ) {}

  /** Check the session on one row of zeros: its output must be one vector per row. */
  static async create(session: OrtSessionLike, options: OnnxRuntimeOptions): Promise<OnnxRuntimeBackbone> {
    const { inputShape, bytes } = options;
    if (!(bytes instanceof Uint8Array) || bytes.length === 0)
      throw new ConfigError("OnnxRuntimeBackbone: bytes must be the model file's contents", {
        field: "bytes",
      });
    if (
      !(
        Array.isArray(inputShape) &&
        inputShape.length >= 1 &&
        inputShape.every((d) => Number.isInteger(d) && d >= 1)
      )
    )
      throw new ConfigError(
        `OnnxRuntimeBackbone: inputShape must list positive sizes (one sample, no batch axis), got ${JSON.stringify(inputShape)}`,
        { field: "inputShape" },
      );
    if (session.inputNames.length !== 1)
      throw new ConfigError(
        `OnnxRuntimeBackbone: the model has ${session.inputNames.length} inputs; expected one`,
        {
          field: "session",
        },
      );
    const output = options.output ?? (session.outputNames.length === 1 ? session.outputNames[0] : undefined);
    if (output === undefined || !session.outputNames.includes(output))
      throw new ConfigError(
        `OnnxRuntimeBackbone: choose the output with options.output (the model's outputs: ${session.outputNames.join(", ")})`,
        { field: "output" },
      );
    const inputDim = inputShape.reduce((a, d) => a * d, 1);
    const o = { ...options, output };
    const probe = await run(session, o, new Float32Array(inputDim), 1);
    const hash = `onnx-${crc32(bytes).toString(16).padStart(8, "0")}-${bytes.length}`;
    return new OnnxRuntimeBackbone(session, o, inputDim, probe.length, hash);
  }

  /** Embeddings of `rows` rows packed in `x` (rows·inputDim values): rows·outputDim values. */
  async embed(x: Float32Array, rows: number): Promise<Float32Array> {
    if (x.length !== rows * this.inputDim)
      throw new ConfigError(`OnnxRuntimeBackbone: ${x.length} values for ${rows} rows of ${this.inputDim}`, {
        field: "rows",
      });
    return run(this.session, this.o, x, rows);
  }

  /** One row's embedding. */
  async embedRow(row: ArrayLike<number>): Promise<Float64Array> {
    if (row.length !== this.inputDim)
      throw new ConfigError(
        `OnnxRuntimeBackbone: a row of ${row.length} values; the backbone reads ${this.inputDim}`,
        {
          field: "row",
        },
      );
    return Float64Array.from(await this.embed(Float32Array.from(row), 1));
  }
}

/** One session.run on `rows` rows; the output must be [rows, features] (or [rows, features, 1, 1]). */
async function run(
  session: OrtSessionLike,
  o: OnnxRuntimeOptions & { output: string },
  x: Float32Array,
  rows: number,
): Promise<Float32Array> {
  const feed = new o.Tensor("float32", x, [rows, ...o.inputShape]);
  const y = (await session.run({ [session.inputNames[0]]: feed }))[o.output];
  const dims = y?.dims ?? [];
  if (!(y?.data instanceof Float32Array) || dims[0] !== rows || dims.slice(2).some((d) => d !== 1))
    throw new ModelFileError(
      `ONNX backbone: output "${o.output}" is ${y?.data instanceof Float32Array ? "float32" : "not float32"} [${dims.join(", ")}] for ${rows} rows; a backbone's output must be one vector per row, [rows, features] (end the graph with a Flatten, GlobalAveragePool or Gemm)`,
      { field: o.output },
    );
  return y.data;
}
