// SpikeKit: one import for the whole library.
//
// `import SpikeKit` brings in every module of the package:
//
// | module | owns | may import |
// |---|---|---|
// | SpikeKitFormats | file formats read and written (HDF5, gzip/zlib, PNG/PNM, .npy, safetensors, SVG/CSV), `Tensor`, `SpikeKitError`, atomic file writes; built with Swift's checks on | Foundation |
// | SpikeKitKernels | the numeric primitives of the time loops: Philox, SIMD math, spike decisions and surrogates, packed connections and their products; the value types they switch on (escape noise, surrogate, activity shape, connection geometry); the only module built `-Ounchecked` | SpikeKitFormats |
// | SpikeKitEngine | neurons, layers, network descriptions and model files, the simulator (forward, losses, BPTT), noise, training (the general `Trainer` and its callbacks, optimizers, checkpoints, initialization), data sets and batching, spike statistics | SpikeKitFormats, SpikeKitKernels |
// | SpikeKitTheory | Perceptron MLPs, exact expectations, gradient estimators, the paper's analyses | SpikeKitEngine |
// | SpikeKitExperiments | the paper's experiments: spike-train matching, SHD/Randman classification | SpikeKitEngine |
// | SpikeKitVerification | verification cases against independent references | SpikeKitEngine, SpikeKitTheory |
//
// A program that needs only the readers can depend on the product `SpikeKitFormats` alone.

@_exported import SpikeKitFormats
@_exported import SpikeKitKernels
@_exported import SpikeKitEngine
@_exported import SpikeKitTheory
@_exported import SpikeKitExperiments
@_exported import SpikeKitVerification
