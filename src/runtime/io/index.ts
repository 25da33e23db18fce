/**
 * @file Weight file I/O: safetensors (read, write), PyTorch `torch.save` zip checkpoints (read,
 * without executing pickle code), and the host tensors both produce.
 */
export {
  type HostTensor,
  type HostDType,
  type HostData,
  type HostDataMap,
  HOST_DTYPES,
  ITEMSIZE,
  isHostTensor,
  toFloat32,
  toInt32,
  toNumberArray,
  float16BitsToNumber,
  bfloat16BitsToNumber,
} from "./host-tensor.js";
export { WeightFileError, type ByteSource, memorySource, fileSource } from "./source.js";
export {
  readSafetensors,
  readSafetensorsSource,
  loadSafetensors,
  loadSafetensorsHeader,
  writeSafetensors,
  serializeSafetensors,
  type SafetensorsFile,
  type SafetensorsEntry,
  type SafetensorsHeader,
  type TensorCollection,
} from "./safetensors.js";
export {
  readPth,
  loadPth,
  loadPthArchive,
  readPthArchive,
  flattenStateDict,
  pyAttributes,
  DEFAULT_UNWRAP,
  type FlattenOptions,
  type PthOptions,
  type PthArchive,
  type TorchStorage,
} from "./pth.js";
export { PyDict, PickleError, type PyValue, type PyKey, type PyCallable, type PyOpaque, type UnpickleStats } from "./pickle.js";
export { ZipReader, type ZipEntry, crc32 } from "./zip.js";
export {
  loadStateDict,
  readStateDict,
  openWeightSource,
  stateDictFromSource,
  formatFromName,
  formatFromBytes,
  sourceName,
  type WeightSource,
  type WeightFormat,
} from "./state-dict.js";
