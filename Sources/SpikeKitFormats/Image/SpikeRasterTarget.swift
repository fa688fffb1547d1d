/// A binary spike raster used as a training target (SPEC section 5): `neurons` output neurons over `steps` time
/// steps, made from a 1-bit picture whose rows are neurons and whose columns are time steps, a black pixel being a
/// spike.
///
/// Row 0 of the picture (the top) is neuron 0 and column 0 is the first time step, so drawing the raster with
/// neuron 0 at the top (as `RasterPicture` does) shows the picture upright.
public struct SpikeRasterTarget: Sendable, Equatable {
    /// Number of neurons (picture rows).
    public let neurons: Int
    /// Number of time steps (picture columns).
    public let steps: Int
    /// Target spikes, 0 or 1, time-major: `spikes[n * neurons + i]` is neuron `i` at step `n`.
    public let spikes: [Float]

    /// A target from its spikes, laid out `[steps][neurons]`.
    /// - Throws: `SpikeKitError.invalidConfiguration` when a dimension is not positive, `shapeMismatch` when
    ///   `spikes.count != neurons * steps`, and `invalidConfiguration` when a value is not 0 or 1.
    public init(neurons: Int, steps: Int, spikes: [Float]) throws {
        guard neurons > 0, steps > 0 else {
            throw SpikeKitError.invalidConfiguration("a spike target needs at least one neuron and one step, got \(neurons) × \(steps)")
        }
        guard spikes.count == neurons * steps else {
            throw SpikeKitError.shapeMismatch("\(spikes.count) target values for \(neurons) neurons × \(steps) steps")
        }
        guard spikes.allSatisfy({ $0 == 0 || $0 == 1 }) else {
            throw SpikeKitError.invalidConfiguration("target spikes must be 0 or 1")
        }
        self.neurons = neurons
        self.steps = steps
        self.spikes = spikes
    }

    /// The target drawn by an image: rows are neurons, columns are time steps, black is a spike.
    ///
    /// An image that is already 1-bit (every pixel 0 or 1) and exactly `steps` wide and `neurons` high is used as
    /// it is. Any other image is first scaled to that size by area averaging (`GrayImage.resized`) and then
    /// reduced to 1 bit: by Floyd–Steinberg dithering when `dither` is true (so gray levels become spike
    /// densities), by a threshold at 0.5 otherwise.
    /// - Throws: `SpikeKitError.invalidConfiguration` when `neurons` or `steps` is not positive or too large.
    public init(image: GrayImage, neurons: Int, steps: Int, dither: Bool = true) throws {
        guard neurons > 0, steps > 0 else {
            throw SpikeKitError.invalidConfiguration("a spike target needs at least one neuron and one step, got \(neurons) × \(steps)")
        }
        var bits = image
        if !(image.width == steps && image.height == neurons && image.isBinary) {
            let scaled = try image.resized(width: steps, height: neurons)
            bits = dither ? scaled.dithered() : scaled.thresholded()
        }
        var spikes = [Float](repeating: 0, count: neurons * steps)
        for i in 0 ..< neurons {
            for n in 0 ..< steps where bits.pixels[i * steps + n] < 0.5 { spikes[n * neurons + i] = 1 }
        }
        self.neurons = neurons
        self.steps = steps
        self.spikes = spikes
    }

    /// Reads an image file (PNG, PGM or PPM) and makes the target of `init(image:neurons:steps:dither:)`.
    /// - Throws: the errors of `GrayImage.load(path:)` and of that initializer.
    public init(path: String, neurons: Int, steps: Int, dither: Bool = true) throws {
        try self.init(image: GrayImage.load(path: path), neurons: neurons, steps: steps, dither: dither)
    }

    /// The target value (0 or 1) of neuron `neuron` at time step `step`.
    public subscript(step step: Int, neuron neuron: Int) -> Float { spikes[step * neurons + neuron] }

    /// The fraction of (neuron, step) cells that hold a spike.
    public var spikeFraction: Double { Double(spikes.reduce(0, +)) / Double(spikes.count) }

    /// The target as a 1-bit picture, `steps` wide and `neurons` high, spikes black.
    public var image: GrayImage {
        var pixels = [Float](repeating: 1, count: neurons * steps)
        for n in 0 ..< steps {
            for i in 0 ..< neurons where spikes[n * neurons + i] != 0 { pixels[i * steps + n] = 0 }
        }
        return GrayImage(unchecked: steps, neurons, pixels)
    }
}
