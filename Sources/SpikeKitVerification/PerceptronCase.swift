import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
import SpikeKitTheory
import Foundation

/// The `case.json` of a `perceptron-exact` verification case (../shared/reference/README.md, "Perceptron cases").
struct PerceptronCaseDescription: Decodable {
    struct Layer: Decodable {
        var kind: String?
        var units: Int
        var weights: String
        var bias: String
    }

    struct Expected: Decodable {
        var meanOutput: Double
        var deterministicOutput: Double
        var exactGrads: [String: String]
        var stochasticSgMeanGrads: [String: String]
        var deterministicSgGrads: [String: String]

        enum CodingKeys: String, CodingKey {
            case meanOutput = "mean_output", deterministicOutput = "deterministic_output", exactGrads = "exact_grads"
            case stochasticSgMeanGrads = "stochastic_sg_mean_grads", deterministicSgGrads = "deterministic_sg_grads"
        }
    }

    var name: String
    var kind: String
    var beta: Double
    var x: String
    var layers: [Layer]
    var tolerance: Double?
    var expected: Expected
}

/// Checks one `perceptron-exact` verification case against SpikeKit's exact enumeration (SPEC sections 3 and 9).
///
/// The case describes a Perceptron MLP with sigmoid(β) escape noise in every layer, θ = 0, one output unit and input
/// `x`. Compared, with the case's tolerance (1e-9): `E[y]` and `dE[y]/dθ` (exact enumeration), the mean over all
/// paths of the stochastic surrogate gradient with the matched surrogate (exact, not sampled), and the deterministic
/// network's output and surrogate gradient.
/// - Parameter folder: the case folder holding `case.json` and its `.npy` files.
/// - Returns: the report whose `line` is `<name>: max_abs_err=.. max_rel_err=.. PASS|FAIL`.
/// - Throws: `SpikeKitError.io` for a missing file, `.malformedFile` naming the file for a `case.json` that does not
///   follow the schema or an array of the wrong shape.
public func verifyPerceptronCase(folder: String) throws -> CaseReport {
    let url = URL(fileURLWithPath: folder)
    let jsonPath = url.appendingPathComponent("case.json").path
    let data = try AtomicFile.read(jsonPath)
    struct Kind: Decodable { var kind: String? }
    if let kind = try? JSONDecoder().decode(Kind.self, from: data), kind.kind != "perceptron-exact" {
        throw SpikeKitError.malformedFile(
            path: jsonPath, message: "kind is \(kind.kind.map { "\"\($0)\"" } ?? "absent"), expected \"perceptron-exact\"")
    }
    let desc: PerceptronCaseDescription
    do {
        desc = try JSONDecoder().decode(PerceptronCaseDescription.self, from: data)
    } catch let error as DecodingError {
        throw SpikeKitError.malformedFile(path: jsonPath, message: "not a perceptron-exact case: \(describe(error))")
    }
    guard desc.beta.isFinite, desc.beta > 0 else {
        throw SpikeKitError.malformedFile(path: jsonPath, message: "beta must be a positive number, got \(desc.beta)")
    }
    guard !desc.layers.isEmpty else {
        throw SpikeKitError.malformedFile(path: jsonPath, message: "layers is empty")
    }
    func array(_ file: String, count: Int? = nil) throws -> [Double] {
        let path = url.appendingPathComponent(file).path
        let a = try NpyArray.read(path: path)
        if let count, a.count != count {
            throw SpikeKitError.malformedFile(path: path, message: "holds \(a.count) values (shape \(a.shape)), expected \(count)")
        }
        return a.doubles
    }
    let spike: SpikeFunction
    do {
        spike = try SpikeFunction(escape: .sigmoid(beta: desc.beta), surrogate: .matched)
    } catch {
        throw SpikeKitError.malformedFile(path: jsonPath, message: "\(error)")
    }
    let x = try array(desc.x)
    var layers: [PerceptronLayer] = []
    var fan = x.count
    for (l, layer) in desc.layers.enumerated() {
        if let kind = layer.kind, kind != "perceptron" {
            throw SpikeKitError.malformedFile(path: jsonPath, message: "layer \(l) has kind \"\(kind)\", expected \"perceptron\"")
        }
        guard layer.units > 0 else {
            throw SpikeKitError.malformedFile(path: jsonPath, message: "layer \(l) has \(layer.units) units")
        }
        let w = try array(layer.weights, count: layer.units * fan)
        let b = try array(layer.bias, count: layer.units)
        layers.append(try PerceptronLayer(inputs: fan, outputs: layer.units, weights: w, bias: b, spike: spike))
        fan = layer.units
    }
    let network: PerceptronMLP
    do {
        network = try PerceptronMLP(input: x, layers: layers, threshold: 0)
    } catch {
        throw SpikeKitError.malformedFile(path: jsonPath, message: "\(error)")
    }

    let exact = try network.exactExpectation()
    let sgMean = try network.pathExpectation { network.surrogateGradient(along: $0) }
    let detGrad = network.deterministicSurrogateGradient

    var acc = ErrorAccumulator()
    acc.compare("mean_output", got: exact.mean, expected: desc.expected.meanOutput)
    acc.compare("deterministic_output", got: network.deterministicOutput, expected: desc.expected.deterministicOutput)
    let groups: [(String, [String: String], [Double])] = [
        ("exact_grads", desc.expected.exactGrads, exact.gradient),
        ("stochastic_sg_mean_grads", desc.expected.stochasticSgMeanGrads, sgMean),
        ("deterministic_sg_grads", desc.expected.deterministicSgGrads, detGrad),
    ]
    for (key, files, got) in groups {
        var offset = 0
        for (l, layer) in desc.layers.enumerated() {
            let nw = layers[l].outputs * layers[l].inputs
            for (param, count, start) in [(layer.weights, nw, offset), (layer.bias, layer.units, offset + nw)] {
                guard let file = files[param] else {
                    throw SpikeKitError.malformedFile(path: jsonPath, message: "expected.\(key) has no entry for \(param)")
                }
                acc.compare("\(key).\(param)", got: Array(got[start..<(start + count)]), expected: try array(file, count: count))
            }
            offset += nw + layer.units
        }
    }
    return acc.report(name: desc.name, tolerance: desc.tolerance ?? 1e-9)
}

private func describe(_ error: DecodingError) -> String {
    func path(_ c: [CodingKey]) -> String { c.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".") }
    switch error {
    case .keyNotFound(let key, let ctx): return "missing key \"\(path(ctx.codingPath + [key]))\""
    case .typeMismatch(_, let ctx), .valueNotFound(_, let ctx): return "wrong type at \"\(path(ctx.codingPath))\""
    case .dataCorrupted(let ctx): return ctx.codingPath.isEmpty ? "invalid JSON" : "invalid value at \"\(path(ctx.codingPath))\""
    @unknown default: return "\(error)"
    }
}
