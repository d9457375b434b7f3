/**
 * ONNX graphs as other tools write them, for the import tests: a builder of foreign graphs (float
 * attributes by name, weights as float_data, no Homeostat metadata), a mixed-op fixture, and a real
 * PyTorch 1.13 export.
 */
import { ProtoWriter } from "../../src/io/protobuf.js";
import { Rng } from "../../src/tensor/rng.js";

export interface NodeDef {
  op: string;
  inputs: string[];
  output: string;
  attrs?: Record<string, number | string>;
  value?: number;
  domain?: string;
}

/** A graph input or output: its name, element type (1, float32, by default) and dims (a string is symbolic). */
export interface ValueDef {
  name: string;
  elemType?: number;
  dims: (number | string)[];
}

/**
 * An ONNX model as another exporter might write it: float attributes by name, weights as float_data,
 * no Homeostat metadata. By default one input "x" of [N, inputDim] (F when not given) and one output,
 * the last node's; `inputs` and `outputs` replace them.
 */
export function foreignOnnx(
  nodes: NodeDef[],
  inits: [string, number[], Float32Array][],
  opts: { inputDim?: number; opset?: number; inputs?: ValueDef[]; outputs?: ValueDef[] } = {},
): Uint8Array {
  const FLOAT_ATTRS = ["alpha", "beta", "gamma", "epsilon", "value_float"];
  const w = new ProtoWriter();
  w.int(1, 9).message(7, (g) => {
    nodes.forEach((n, i) =>
      g.message(1, (m) => {
        for (const input of n.inputs) m.string(1, input);
        m.string(2, n.output).string(3, `n${i}`).string(4, n.op);
        if (n.domain) m.string(7, n.domain);
        for (const [k, v] of Object.entries(n.attrs ?? {})) {
          m.message(5, (a) => {
            a.string(1, k);
            if (typeof v === "string") a.string(4, v).int(20, 3);
            else if (FLOAT_ATTRS.includes(k)) a.float(2, v).int(20, 1);
            else a.int(3, v).int(20, 2);
          });
        }
        if (n.value !== undefined)
          m.message(5, (a) =>
            a
              .string(1, "value")
              .int(20, 4)
              .message(5, (t) => t.int(2, 1).packedFloats(4, [n.value!])),
          );
      }),
    );
    for (const [name, dims, data] of inits)
      g.message(5, (t) => t.packedInts(1, dims).int(2, 1).string(8, name).packedFloats(4, data));
    const info = (v: ValueDef) => (w: ProtoWriter) =>
      w.string(1, v.name).message(2, (t) =>
        t.message(1, (tt) =>
          tt.int(1, v.elemType ?? 1).message(2, (s) => {
            for (const d of v.dims)
              s.message(1, (x) => (typeof d === "string" ? x.string(2, d) : x.int(1, d)));
          }),
        ),
      );
    const inputs = opts.inputs ?? [{ name: "x", dims: ["N", opts.inputDim || "F"] }];
    const outputs = opts.outputs ?? [{ name: nodes[nodes.length - 1].output, dims: ["N", "F"] }];
    for (const v of inputs) g.message(11, info(v));
    for (const v of outputs) g.message(12, info(v));
  });
  w.message(8, (o) => o.string(1, "").int(2, opts.opset ?? 17));
  return w.finish();
}

export const randn = (n: number, seed: number): Float32Array => {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
};

export const FOREIGN_NODES: NodeDef[] = [
  { op: "MatMul", inputs: ["x", "W1"], output: "h1" },
  { op: "Add", inputs: ["b1", "h1"], output: "h2" },
  { op: "Relu", inputs: ["h2"], output: "h3" },
  { op: "Gemm", inputs: ["h3", "W2", "b2"], output: "h4" },
  { op: "Gelu", inputs: ["h4"], output: "h5" },
  { op: "Constant", inputs: [], output: "rsqrt2", value: Math.SQRT1_2 },
  { op: "Mul", inputs: ["h5", "rsqrt2"], output: "g1" },
  { op: "Erf", inputs: ["g1"], output: "g2" },
  { op: "Add", inputs: ["g2", "one"], output: "g3" },
  { op: "Mul", inputs: ["h5", "g3"], output: "g4" },
  { op: "Mul", inputs: ["g4", "half"], output: "g5" },
  { op: "LayerNormalization", inputs: ["g5", "scale"], output: "h6", attrs: { axis: -1, epsilon: 1e-5 } },
  { op: "Identity", inputs: ["h6"], output: "h7" },
  { op: "Dropout", inputs: ["h7"], output: "h8" },
  { op: "Gemm", inputs: ["h8", "W3"], output: "h9", attrs: { transB: 1 } },
  { op: "LeakyRelu", inputs: ["h9"], output: "h10", attrs: { alpha: 0.01 } },
  { op: "Softmax", inputs: ["h10"], output: "y", attrs: { axis: 1 } },
];
export const FOREIGN_INITS: [string, number[], Float32Array][] = [
  ["W1", [4, 6], randn(24, 1)],
  ["b1", [6], randn(6, 2)],
  ["W2", [6, 5], randn(30, 3)],
  ["b2", [5], randn(5, 4)],
  ["one", [], Float32Array.of(1)],
  ["half", [], Float32Array.of(0.5)],
  ["scale", [5], randn(5, 5)],
  ["W3", [3, 5], randn(15, 6)],
];

/**
 * A real PyTorch 1.13 export (Debian python3-torch), made by this script with /usr/bin/python3:
 *
 *   import torch, io
 *   torch.manual_seed(0)
 *   m = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.GELU(), torch.nn.LayerNorm(6), torch.nn.Linear(6, 5), torch.nn.LeakyReLU(0.01), torch.nn.Dropout(0.1), torch.nn.Linear(5, 3, bias=False), torch.nn.ELU(), torch.nn.Linear(3, 3), torch.nn.Softmax(dim=-1))
 *   m.eval()
 *   with torch.no_grad():
 *       for p in m.parameters(): p.normal_(0, 0.7)
 *   torch.onnx.export(m, torch.zeros(2, 4), "/tmp/torch_mlp.onnx", opset_version=17, input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
 *   print("ok")
 *
 * PyTorch writes gelu as Div/Erf/Add/Mul/Mul with Constant nodes in between, and a bias-free Linear as MatMul.
 */
export const TORCH_MLP_ONNX = [
  "CAgSB3B5dG9yY2gaBjEuMTMuMDrfDwpmCgF4CggwLndlaWdodAoGMC5iaWFzEhAvMC9HZW1tX291dHB1dF8wGgcvMC9HZW1tIgRHZW1tKg8KBW",
  "FscGhhFQAAgD+gAQEqDgoEYmV0YRUAAIA/oAEBKg0KBnRyYW5zQhgBoAECCkMSFC8xL0NvbnN0YW50X291dHB1dF8wGgsvMS9Db25zdGFudCII",
  "Q29uc3RhbnQqFAoFdmFsdWUqCBABSgTzBLU/oAEECkYKEC8wL0dlbW1fb3V0cHV0XzAKFC8xL0NvbnN0YW50X291dHB1dF8wEg8vMS9EaXZfb3",
  "V0cHV0XzAaBi8xL0RpdiIDRGl2Ci8KDy8xL0Rpdl9vdXRwdXRfMBIPLzEvRXJmX291dHB1dF8wGgYvMS9FcmYiA0VyZgpHEhYvMS9Db25zdGFu",
  "dF8xX291dHB1dF8wGg0vMS9Db25zdGFudF8xIghDb25zdGFudCoUCgV2YWx1ZSoIEAFKBAAAgD+gAQQKRwoPLzEvRXJmX291dHB1dF8wChYvMS",
  "9Db25zdGFudF8xX291dHB1dF8wEg8vMS9BZGRfb3V0cHV0XzAaBi8xL0FkZCIDQWRkCkEKEC8wL0dlbW1fb3V0cHV0XzAKDy8xL0FkZF9vdXRw",
  "dXRfMBIPLzEvTXVsX291dHB1dF8wGgYvMS9NdWwiA011bApHEhYvMS9Db25zdGFudF8yX291dHB1dF8wGg0vMS9Db25zdGFudF8yIghDb25zdG",
  "FudCoUCgV2YWx1ZSoIEAFKBAAAAD+gAQQKSwoPLzEvTXVsX291dHB1dF8wChYvMS9Db25zdGFudF8yX291dHB1dF8wEhEvMS9NdWxfMV9vdXRw",
  "dXRfMBoILzEvTXVsXzEiA011bAqZAQoRLzEvTXVsXzFfb3V0cHV0XzAKCDIud2VpZ2h0CgYyLmJpYXMSHi8yL0xheWVyTm9ybWFsaXphdGlvbl",
  "9vdXRwdXRfMBoVLzIvTGF5ZXJOb3JtYWxpemF0aW9uIhJMYXllck5vcm1hbGl6YXRpb24qFAoEYXhpcxj///////////8BoAECKhEKB2Vwc2ls",
  "b24VrMUnN6ABAQqDAQoeLzIvTGF5ZXJOb3JtYWxpemF0aW9uX291dHB1dF8wCggzLndlaWdodAoGMy5iaWFzEhAvMy9HZW1tX291dHB1dF8wGg",
  "cvMy9HZW1tIgRHZW1tKg8KBWFscGhhFQAAgD+gAQEqDgoEYmV0YRUAAIA/oAEBKg0KBnRyYW5zQhgBoAECClMKEC8zL0dlbW1fb3V0cHV0XzAS",
  "FS80L0xlYWt5UmVsdV9vdXRwdXRfMBoMLzQvTGVha3lSZWx1IglMZWFreVJlbHUqDwoFYWxwaGEVCtcjPKABAQpPChUvNC9MZWFreVJlbHVfb3",
  "V0cHV0XzAKD29ubng6Ok1hdE11bF8yNxISLzYvTWF0TXVsX291dHB1dF8wGgkvNi9NYXRNdWwiBk1hdE11bApDChIvNi9NYXRNdWxfb3V0cHV0",
  "XzASDy83L0VsdV9vdXRwdXRfMBoGLzcvRWx1IgNFbHUqDwoFYWxwaGEVAACAP6ABAQp0Cg8vNy9FbHVfb3V0cHV0XzAKCDgud2VpZ2h0CgY4Lm",
  "JpYXMSEC84L0dlbW1fb3V0cHV0XzAaBy84L0dlbW0iBEdlbW0qDwoFYWxwaGEVAACAP6ABASoOCgRiZXRhFQAAgD+gAQEqDQoGdHJhbnNCGAGg",
  "AQIKQAoQLzgvR2VtbV9vdXRwdXRfMBIBeRoKLzkvU29mdG1heCIHU29mdG1heCoUCgRheGlzGP///////////wGgAQISCXRvcmNoX2ppdCpyCA",
  "YIBBABQggwLndlaWdodEpge/StPyLWDT+gQ2i8e66cvj14kz8FvnO/CPx2PhJSuj64eyw/p0h6PkEgJb8nHyG9Em37vjbGOT/5Wti+nCdlv2ig",
  "sT2tulA/8nclP3KaeD8jaHY/amnsPk7Mqj5PHza/KiYIBhABQgYwLmJpYXNKGLerjL9Ur1w/A+t5P4/cUT/lXps+iWObvyooCAYQAUIIMi53ZW",
  "lnaHRKGH9rb7+19x4/NJ4JPyDBIz2LiCA+8tLFPiomCAYQAUIGMi5iaWFzShjycM++XEBLPHz8vD0CvjY/piWgvj4Boj4qigEIBQgGEAFCCDMu",
  "d2VpZ2h0SnhKmVa+bZkGvhiqqz+yXfc+QwbQv45lVr/TOg0+UvpSv83Joj2D90U/ywN6v1VIqj7W0RG/h58lP8XITb7xEzc/OSu3vs6Mmb+mzr",
  "a+ojOqvg0D4777gYO/1rTZPtsZxL65NEW//gsBvx/UCDyajHM+ttc8vqN1ZT8qIggFEAFCBjMuYmlhc0oUbZOyP4Pvfr6iGw4+mWiMP7g0UL8q",
  "NggDCAMQAUIIOC53ZWlnaHRKJFTnB75jSQi+cBNzP8iKAz8xdxA/accEP9Mv2j7lRMe+GkzEPioaCAMQAUIGOC5iaWFzSgxzGZ0+mvjhPCcqVb",
  "8qVQgFCAMQAUIPb25ueDo6TWF0TXVsXzI3Sjy6EZY+q3mWv5Kjc76BHBk/wNPQPr3YOz6RM1U/THBUvpedF75U4Uo/TWUUPxvW8D5B5GQ+AQdr",
  "vS3yvr5aGAoBeBITChEIARINCgcSBWJhdGNoCgIIBGIYCgF5EhMKEQgBEg0KBxIFYmF0Y2gKAggDQgIQEQ==",
].join("");
