import SpikeKitFormats
import Foundation

/// The network output of one sample as a user loss reads it: the last layer's output at every step, `[T][N]` in
/// canonical order (`values[t * units + i]`): its spikes (0/1) for a spiking last layer, its membrane U[n] for a
/// readout.
public struct LossOutput: Sendable {
    public let steps: Int
    public let units: Int
    /// Whether `values` are spikes (a spiking last layer) or a readout's membrane.
    public let isSpiking: Bool
    public let values: [Float]

    public init(steps: Int, units: Int, isSpiking: Bool, values: [Float]) {
        self.steps = steps
        self.units = units
        self.isSpiking = isSpiking
        self.values = values
    }

    /// The output of unit `i` at step `t`.
    public subscript(t: Int, i: Int) -> Float { values[t * units + i] }
}

/// A loss written outside the library. Given one sample's output (all steps) and its target it returns the
/// sample's loss L_b and dL_b/d(output)[n] at every step, `[T][N]` in canonical order; the engine averages over
/// the batch (a batch's loss is the mean of the L_b, its gradient dL_b/d(output) · 1/B, formed as
/// `Float(gradient) · Float(1/B)`) and back-propagates the gradient through BPTT exactly like a built-in loss's:
/// for a spiking last layer dL/dS[n] flows through the surrogate derivative, for a readout dL/dU[n] through its
/// membrane.
///
/// It is called once per sample from the engine's worker threads (hence `Sendable`); it must not keep state
/// between calls that changes its results.
public protocol SampleLoss: Sendable {
    /// The loss's name in progress lines and metrics files.
    var name: String { get }
    /// Whether the loss reads class labels (`.label`) or target spike trains (`.spikes`).
    var usesLabels: Bool { get }
    /// L_b and dL_b/d(output), `steps × units` values, for one sample.
    func evaluate(_ output: LossOutput, target: SampleTarget) throws -> (loss: Double, gradient: [Double])
}

/// A `SampleLoss` as a value of `LossFunction` (`.user(UserLoss(myLoss))`). Two are equal when they were made by
/// the same `init` call (or are copies of one value): equality is identity, not the loss's formula.
public struct UserLoss: Sendable, Equatable {
    public let loss: any SampleLoss
    private let identity: Identity

    private final class Identity: Sendable {}

    public init(_ loss: any SampleLoss) {
        self.loss = loss
        identity = Identity()
    }

    public static func == (a: UserLoss, b: UserLoss) -> Bool { a.identity === b.identity }

    /// Evaluates the loss on sample data in the engine's internal layout and writes `gradient · invB` into `drive`
    /// (internal order). `canonical(q)` maps an internal unit index to its canonical one.
    func evaluate(steps T: Int, units N: Int, isSpiking: Bool, spikes: UnsafePointer<UInt8>, trace: UnsafePointer<Float>,
                  canonical: (Int) -> Int, target: SampleTarget, invB: Float, drive: UnsafeMutablePointer<Float>) throws -> Double {
        var values = [Float](repeating: 0, count: T * N)
        for t in 0 ..< T {
            for q in 0 ..< N { values[t * N + canonical(q)] = isSpiking ? Float(spikes[t * N + q]) : trace[t * N + q] }
        }
        let (l, g) = try loss.evaluate(LossOutput(steps: T, units: N, isSpiking: isSpiking, values: values), target: target)
        guard g.count == T * N else {
            throw SpikeKitError.shapeMismatch("user loss \(loss.name) returned \(g.count) gradient values, expected \(T) × \(N)")
        }
        guard l.isFinite, g.allSatisfy(\.isFinite) else {
            throw SpikeKitError.nonFiniteValues("user loss \(loss.name) returned NaN or infinite values")
        }
        for t in 0 ..< T {
            for q in 0 ..< N { drive[t * N + q] = Float(g[t * N + canonical(q)]) * invB }
        }
        return l
    }
}
