// AssemblyScript entry point of the wasm backend's kernels (compiled by scripts/build-wasm.mjs).
export * from "./gemm";
export * from "./gemv";
export * from "./fewrows";
export * from "./vector";
export * from "./adam";
export * from "./linear";
export * from "./distance";
export * from "./spectrum";
export * from "./conv";
export * from "./conv-fields";
export * from "./peak";
export * from "./norm";
export * from "./elementwise";
export * from "./stages";
export { probeFusedMadd } from "./simd";
