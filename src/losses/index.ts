export * from "./losses.js";
export * from "./penalties.js";
