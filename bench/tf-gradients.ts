/**
 * @file TF.js gradients in Node without the `@tensorflow/tfjs` union package. tfjs-core's Node
 * build (dist/tf-core.node.js, what `import "@tensorflow/tfjs-core"` loads) registers no
 * gradient functions: the union package does that by importing tfjs-core's
 * `dist/register_all_gradients`. That file is in tfjs-core's ES-module build, written for
 * bundlers (extensionless relative imports, `../gradients` naming both gradients.js and a
 * folder), so Node cannot load it as is. A resolve hook, limited to files under
 * tfjs-core/dist, makes `./x` mean `./x.js` when that file exists; the ES build then loads and
 * registers tfjs-core's own gradient configs into the registry it shares (through globalThis)
 * with the Node build's engine.
 */
import { register } from "node:module";

const hook = `
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? "";
  if (parent.includes("/@tensorflow/tfjs-core/dist/") && specifier.startsWith(".") && !specifier.endsWith(".js")) {
    const url = new URL(specifier + ".js", parent);
    if (existsSync(fileURLToPath(url))) return next(url.href, context);
  }
  return next(specifier, context);
}
`;

let done: Promise<void> | undefined;

/** Register tfjs-core's gradient functions (once). Call after importing @tensorflow/tfjs-core. */
export function registerTfGradients(): Promise<void> {
  done ??= (async () => {
    register(`data:text/javascript,${encodeURIComponent(hook)}`);
    await import("@tensorflow/tfjs-core/dist/register_all_gradients.js" as string);
  })();
  return done;
}
