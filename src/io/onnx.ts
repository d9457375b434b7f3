/**
 * ONNX export and import of a `Sequential`: the inference graph at opset 17 (IR version 8), written
 * and read with the small protobuf codec in `protobuf.ts`.
 *
 * Export: Dense → Gemm (transB=1) and its activation node, gelu composed as ½x(1 + erf(x/√2))
 * (Div, Erf, Add, Mul, Mul: opset 17 has no Gelu), LayerNorm → LayerNormalization (axis −1), Dropout
 * omitted. The model's own layer configs ride along in `metadata_props` ("homeostat.layers"), so that
 * an import restores what the graph alone cannot say (dropout, initialiser names, Dense(relu) versus
 * Dense → Activation(relu)); the graph stays authoritative and the hint is used only when it agrees.
 *
 * Import: a chain of Gemm or MatMul(+Add), Relu, Sigmoid, Tanh, LeakyRelu (α 0.01), Elu (α 1), Selu,
 * Softplus, Softmax (last axis), Gelu (opset 20, or the composed pattern PyTorch also writes),
 * LayerNormalization (last axis), Identity, Dropout and Constant nodes, float32 weights; and conv graphs,
 * channels first (PyTorch) or last (Homeostat's export), through `onnx-import-shaped.ts`. Anything else
 * is a `ModelFileError` naming the node and its op.
 */
export { exportOnnx } from "./onnx-export.js";
export { importOnnx } from "./onnx-import.js";
