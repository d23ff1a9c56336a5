/** The image writer: a pure library (no @actions/*) from layer entries to an OCI archive. */
export { writeImage } from './image.js'
export { DEFAULT_GZIP_LEVEL } from './layer.js'
export { parseImageRef, qualifiedName, type ImageRef } from './tags.js'
export { scanDirectory, treeToLayerEntries, type ScanOptions } from './tree.js'
export type {
  ImageConfigSpec,
  LayerEntry,
  LayerSpec,
  Platform,
  PlatformImage,
  WriteImageOptions,
  WrittenImage,
  WrittenLayer,
  WrittenManifest
} from './types.js'
