/** @file The typed public op API. */
export * from "./creation.js";
export * from "./elementwise.js";
export * from "./reduce.js";
export * from "./movement.js";
export * from "./linalg.js";
