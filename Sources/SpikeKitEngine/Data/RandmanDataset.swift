import SpikeKitFormats
import SpikeKitKernels

/// Generated Randman data (Zenke & Vogels 2021; see `Randman`): `samplesPerClass` labelled samples per class, each
/// `steps` × `units`, classes named `class 0`, `class 1`, ...
public enum RandmanDataset {
    /// Generates the data of `configuration` (reproducible from its seed).
    /// - Throws: `SpikeKitError.invalidConfiguration` for an invalid configuration.
    public static func generate(_ configuration: Randman.Configuration) throws -> SpikeTrainDataset {
        let r = try Randman.generate(configuration)
        let c = r.configuration
        return try SpikeTrainDataset(samples: r.spikes, labels: r.labels, steps: c.steps, units: c.units, dt: c.dt,
                                     classNames: (0 ..< c.classes).map { "class \($0)" })
    }
}
