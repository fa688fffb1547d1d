import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
import SpikeKitTheory
import Foundation

/// The outcome of checking one verification case (SPEC section 9): the largest absolute and relative errors over
/// every compared array and value, and whether all of them were within the case's tolerance.
public struct CaseReport: Sendable, Equatable {
    public var name: String
    public var maxAbsoluteError: Double
    public var maxRelativeError: Double
    public var tolerance: Double
    /// The compared quantity with the largest relative error (for a failing case's message).
    public var worst: String

    public init(name: String, maxAbsoluteError: Double, maxRelativeError: Double, tolerance: Double, worst: String) {
        self.name = name
        self.maxAbsoluteError = maxAbsoluteError
        self.maxRelativeError = maxRelativeError
        self.tolerance = tolerance
        self.worst = worst
    }

    /// Whether every compared quantity is within tolerance (NaN errors fail).
    public var passed: Bool { maxRelativeError <= tolerance }

    /// `<name>: max_abs_err=<e> max_rel_err=<r> PASS|FAIL` (with the worst quantity named on failure).
    public var line: String {
        let base = "\(name): max_abs_err=\(format(maxAbsoluteError)) max_rel_err=\(format(maxRelativeError)) "
        return base + (passed ? "PASS" : "FAIL (worst: \(worst))")
    }

    private func format(_ v: Double) -> String {
        v.isFinite ? String(format: "%.3e", v) : "\(v)"
    }
}

/// Accumulates comparisons of computed against expected values into a `CaseReport`.
public struct ErrorAccumulator: Sendable {
    public private(set) var maxAbsoluteError = 0.0
    public private(set) var maxRelativeError = 0.0
    public private(set) var worst = "-"

    public init() {}

    /// Compares arrays: abs = max |got - expected|, rel = abs / max(max |expected|, 1e-12). A shape or length
    /// mismatch or a NaN counts as an infinite error.
    public mutating func compare(_ label: String, got: [Double], expected: [Double]) {
        guard got.count == expected.count else {
            record(label, abs: .infinity, rel: .infinity)
            return
        }
        var maxAbs = 0.0, scale = 0.0
        for (g, e) in zip(got, expected) {
            let d = Swift.abs(g - e)
            if d.isNaN { maxAbs = .infinity } else { maxAbs = Swift.max(maxAbs, d) }
            scale = Swift.max(scale, Swift.abs(e))
        }
        record(label, abs: maxAbs, rel: maxAbs / Swift.max(scale, 1e-12))
    }

    /// Compares one value: rel = |got - expected| / max(|expected|, 1e-12).
    public mutating func compare(_ label: String, got: Double, expected: Double) {
        let d = Swift.abs(got - expected)
        let a = d.isNaN ? Double.infinity : d
        record(label, abs: a, rel: a / Swift.max(Swift.abs(expected), 1e-12))
    }

    private mutating func record(_ label: String, abs: Double, rel: Double) {
        maxAbsoluteError = Swift.max(maxAbsoluteError, abs)
        if rel > maxRelativeError || worst == "-" {
            if rel >= maxRelativeError { worst = label }
            maxRelativeError = Swift.max(maxRelativeError, rel)
        }
    }

    public func report(name: String, tolerance: Double) -> CaseReport {
        CaseReport(name: name, maxAbsoluteError: maxAbsoluteError, maxRelativeError: maxRelativeError,
                   tolerance: tolerance, worst: worst)
    }
}
