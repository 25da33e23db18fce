/// <reference types="@webgpu/types" preserve="true" />
/**
 * @file The package's types for TypeScript before 7 (its `types@<7` export): the public entry
 * with `@webgpu/types`, whose WebGPU declarations older DOM libraries lack. TypeScript 7's DOM
 * library declares them itself, and the two sets collide, so its consumers get `index.ts`.
 */
export * from "./index.js";
