/**
 * @file One call from a weight file (safetensors or torch.save zip, told apart by content) to a
 * flat `name → tensor` state dict; see `flattenStateDict` in pth.ts for the unwrapping rules.
 */
import type { HostTensor } from "./host-tensor.js";
import { flattenStateDict, loadPth, type FlattenOptions } from "./pth.js";
import { loadSafetensors } from "./safetensors.js";
import { withFile } from "./source.js";

/**
 * Load a state dict from a `.safetensors` file or a torch.save zip checkpoint (told apart by
 * their first bytes, not the file name) and flatten it with `options`.
 */
export function loadStateDict(path: string, options: FlattenOptions = {}): Map<string, HostTensor> {
  const torchFile = withFile(path, (src) => {
    const b = src.size >= 4 ? src.read(0, 4) : new Uint8Array(0);
    // a zip (torch >= 1.6), or a bare pickle (legacy torch.save: loadPth explains it is unsupported)
    return (b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04) || b[0] === 0x80;
  });
  const obj = torchFile ? loadPth(path) : loadSafetensors(path).tensors;
  return flattenStateDict(obj, options);
}
