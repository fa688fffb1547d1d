import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
import SpikeKitTheory
import Foundation

/// A network verification case (SPEC section 9, ../shared/reference/README.md): a network description, its
/// weights, inputs, optional supplied noise, a loss, and the expected loss, output, spikes and gradients computed
/// by an independent implementation.
public struct NetworkCase: Sendable {
    public var name: String
    public var folder: String
    public var description: NetworkDescription
    public var architecture: NetworkArchitecture
    public var steps: Int
    public var batch: Int
    public var tolerance: Double
    public var parameters: NetworkParameters
    public var inputs: [SpikeTrains]
    public var noise: NoiseSource
    /// The dropout masks of layers with dropout (`dropout_mask` files): a case runs in training mode.
    public var dropout: DropoutSource
    public var loss: LossFunction
    public var targets: Targets
    public var expectedLoss: Double
    public var expectedOutput: NpyArray
    public var expectedSpikes: [NpyArray]
    /// Expected gradients keyed by parameter name (`layer<i>.weight`, `layer<i>.recurrent`, `layer<i>.bias`,
    /// `layer<i>.log_tau_mem`, `layer<i>.log_tau_syn`, `layer<i>.threshold`).
    public var expectedGradients: [(name: String, array: NpyArray)]
    /// Real-valued input (`input.kind` current): the currents `[B, T, *input shape]` from `input.currents` (then
    /// `inputs` is empty).
    public var currents: Tensor? = nil

    private struct Header: Decodable {
        var name: String?
        var kind: String?
        var steps: Int
        var batch: Int
        var tolerance: Double?
        var loss: LossHeader
        var expected: Expected
    }

    private struct LossHeader: Decodable {
        var kind: String
        var target: String?
        var labels: String?
        var activityReg: ActivityRegularizer?
        var correctRate: Double?
        var incorrectRate: Double?
        var tauVR: Double?
        enum CodingKeys: String, CodingKey {
            case kind, target, labels, activityReg = "activity_reg", correctRate = "correct_rate", incorrectRate = "incorrect_rate"
            case tauVR = "tau_vr"
        }
    }

    private struct Expected: Decodable {
        var loss: Double
        var output: String
        var hiddenSpikes: [String]
        var grads: [String: String]
        enum CodingKeys: String, CodingKey { case loss, output, hiddenSpikes = "hidden_spikes", grads }
    }

    /// The `kind` field of a case folder's case.json (nil for network cases).
    public static func kind(ofCaseAt folder: String) throws -> String? {
        struct K: Decodable { var kind: String? }
        let path = (folder as NSString).appendingPathComponent("case.json")
        let data = try AtomicFile.read(path)
        do { return try JSONDecoder().decode(K.self, from: data).kind } catch {
            throw SpikeKitError.malformedFile(path: path, message: "not a JSON object (\(error))")
        }
    }

    /// Loads a case folder.
    /// - Throws: a `SpikeKitError` naming the file and the problem (missing file, bad JSON, wrong shape, NaN).
    public static func load(folder: String) throws -> NetworkCase {
        let jsonPath = (folder as NSString).appendingPathComponent("case.json")
        let data = try AtomicFile.read(jsonPath)
        let header: Header, description: NetworkDescription
        do {
            header = try JSONDecoder().decode(Header.self, from: data)
            description = try JSONDecoder().decode(NetworkDescription.self, from: data)
        } catch let e as SpikeKitError {
            throw SpikeKitError.malformedFile(path: jsonPath, message: e.description)
        } catch {
            throw SpikeKitError.malformedFile(path: jsonPath, message: "does not match the case schema (\(describe(error)))")
        }
        if let k = header.kind, k != "network" {
            throw SpikeKitError.malformedFile(path: jsonPath, message: "unsupported kind \"\(k)\"")
        }
        let architecture: NetworkArchitecture
        do { architecture = try NetworkArchitecture(description) } catch let e as SpikeKitError {
            throw SpikeKitError.malformedFile(path: jsonPath, message: e.description)
        }
        let B = header.batch, T = header.steps
        guard B > 0, T > 0 else { throw SpikeKitError.malformedFile(path: jsonPath, message: "steps and batch must be positive") }
        func file(_ name: String) -> String { (folder as NSString).appendingPathComponent(name) }
        func array(_ name: String, shape expected: [Int]?, finite: Bool = true) throws -> NpyArray {
            let a = try NpyArray.read(path: file(name))
            if let expected, a.shape != expected {
                throw SpikeKitError.malformedFile(path: file(name), message: "has shape \(a.shape), expected \(expected)")
            }
            if finite, !a.doubles.allSatisfy({ $0.isFinite }) {
                throw SpikeKitError.malformedFile(path: file(name), message: "holds NaN or infinite values")
            }
            return a
        }
        // Parameters.
        var ff: [Tensor] = [], rec: [Tensor?] = [], biases: [Tensor?] = []
        var nameOfFile: [String: String] = [:]
        for (i, (ld, la)) in zip(description.layers, architecture.layers).enumerated() {
            guard let w = ld.weights else {
                throw SpikeKitError.malformedFile(path: jsonPath, message: "layer \(i) names no weights file")
            }
            ff.append(try array(w, shape: la.feedForward.weightShape).tensor)
            nameOfFile[w] = "layer\(i).weight"
            if let g = la.recurrent {
                guard let rw = ld.recurrent?.weights else {
                    throw SpikeKitError.malformedFile(path: jsonPath, message: "layer \(i) names no recurrent weights file")
                }
                rec.append(try array(rw, shape: g.weightShape).tensor)
                nameOfFile[rw] = "layer\(i).recurrent"
            } else {
                rec.append(nil)
            }
            if let bf = ld.bias {
                biases.append(try array(bf, shape: la.biasShape).tensor)
                nameOfFile[bf] = "layer\(i).bias"
            } else {
                biases.append(nil)
            }
        }
        // Inputs: real-valued currents, or spikes.
        var currents: Tensor? = nil
        if description.input.isRealValued {
            guard let cf = description.input.currents else {
                throw SpikeKitError.malformedFile(path: jsonPath, message: "input of kind current names no currents file")
            }
            currents = try array(cf, shape: [B, T] + architecture.input.dimensions).tensor
        }
        let inputFile = description.input.spikes ?? ""
        if currents == nil, description.input.spikes == nil {
            throw SpikeKitError.malformedFile(path: jsonPath, message: "input names no spikes file")
        }
        let raster = currents == nil ? try array(inputFile, shape: [B, T] + architecture.input.dimensions).floats : []
        let perSample = T * architecture.input.count
        var inputs: [SpikeTrains] = []
        for b in 0 ..< (currents == nil ? B : 0) {
            do {
                inputs.append(try SpikeTrains(raster: raster[b * perSample ..< (b + 1) * perSample], steps: T,
                                              units: architecture.input.count))
            } catch let e as SpikeKitError {
                throw SpikeKitError.malformedFile(path: file(inputFile), message: e.description)
            }
        }
        // Noise.
        var supplied: [Int: [Float]] = [:]
        for (i, (ld, la)) in zip(description.layers, architecture.layers).enumerated() where la.spike?.escape.isStochastic == true {
            guard let nf = ld.noise else {
                throw SpikeKitError.malformedFile(path: jsonPath, message: "layer \(i) is stochastic but names no noise file")
            }
            supplied[i] = try array(nf, shape: [B, T] + la.shape.dimensions).floats
        }
        // Dropout keep masks (0 or 1).
        var masks: [Int: [Float]] = [:]
        for (i, (ld, la)) in zip(description.layers, architecture.layers).enumerated() where la.dropout > 0 {
            guard let mf = ld.dropoutMask else {
                throw SpikeKitError.malformedFile(path: jsonPath, message: "layer \(i) has dropout but names no dropout_mask file")
            }
            let m = try array(mf, shape: [B, T] + la.shape.dimensions)
            guard m.doubles.allSatisfy({ $0 == 0 || $0 == 1 }) else {
                throw SpikeKitError.malformedFile(path: file(mf), message: "a dropout mask holds values other than 0 and 1")
            }
            masks[i] = m.floats
        }
        // Loss.
        let loss: LossFunction, targets: Targets
        let lastShape = architecture.outputShape
        switch header.loss.kind {
        case "l2-spikes", "van-rossum":
            let kind = header.loss.kind
            guard let tf = header.loss.target else {
                throw SpikeKitError.malformedFile(path: jsonPath, message: "\(kind) loss names no target file")
            }
            let t = try array(tf, shape: [B, T] + lastShape.dimensions).floats
            if kind == "van-rossum" {
                guard let tau = header.loss.tauVR, tau.isFinite, tau > 0 else {
                    throw SpikeKitError.malformedFile(path: jsonPath, message: "the van-rossum loss needs tau_vr > 0 (seconds)")
                }
                loss = .vanRossum(tau: tau)
            } else {
                loss = .l2Spikes
            }
            targets = .spikes((0 ..< B).map { Array(t[$0 * T * lastShape.count ..< ($0 + 1) * T * lastShape.count]) })
        case "max-over-time-ce", "sum-over-time-ce", "mean-membrane-ce", "last-step-ce", "spike-count-mse":
            let kind = header.loss.kind, reg = header.loss.activityReg
            guard let lf = header.loss.labels else {
                throw SpikeKitError.malformedFile(path: jsonPath, message: "\(kind) loss names no labels file")
            }
            let l = try array(lf, shape: [B])
            let labels = l.doubles.map { Int($0) }
            for v in labels where !(0 ..< lastShape.count).contains(v) {
                throw SpikeKitError.malformedFile(path: file(lf), message: "label \(v) is outside 0..<\(lastShape.count)")
            }
            switch kind {
            case "sum-over-time-ce": loss = .sumOverTimeCrossEntropy(activityRegularizer: reg)
            case "mean-membrane-ce": loss = .meanMembraneCrossEntropy(activityRegularizer: reg)
            case "last-step-ce": loss = .lastStepCrossEntropy(activityRegularizer: reg)
            case "spike-count-mse":
                guard let c = header.loss.correctRate, let i = header.loss.incorrectRate, c.isFinite, i.isFinite else {
                    throw SpikeKitError.malformedFile(path: jsonPath, message: "spike-count-mse needs finite correct_rate and incorrect_rate")
                }
                loss = .spikeCountMSE(correctRate: c, incorrectRate: i, activityRegularizer: reg)
            default: loss = .maxOverTimeCrossEntropy(activityRegularizer: reg)
            }
            targets = .labels(labels)
        case let k:
            throw SpikeKitError.malformedFile(path: jsonPath, message:
                "unknown loss kind \"\(k)\" (expected l2-spikes, max-over-time-ce, sum-over-time-ce, mean-membrane-ce, last-step-ce or spike-count-mse)")
        }
        // Expected values.
        let outShape = [B, T] + lastShape.dimensions
        let expectedOutput = try array(header.expected.output, shape: outShape)
        let spiking = architecture.layers.filter(\.isSpiking)
        guard header.expected.hiddenSpikes.count == spiking.count else {
            throw SpikeKitError.malformedFile(path: jsonPath, message:
                "expected.hidden_spikes lists \(header.expected.hiddenSpikes.count) files for \(spiking.count) spiking layers")
        }
        let expectedSpikes = try zip(header.expected.hiddenSpikes, spiking).map { try array($0.0, shape: [B, T] + $0.1.shape.dimensions) }
        var grads: [(String, NpyArray)] = []
        // Learnable time constants start at the description's values (ρ = ln τ); their gradients are keyed by the
        // parameter name itself, as they have no file.
        let parameters = NetworkParameters(feedForward: ff, recurrent: rec, biases: biases,
                                           logTauMem: architecture.layers.map(\.initialLogTauMem),
                                           logTauSyn: architecture.layers.map(\.initialLogTauSyn),
                                           thresholds: architecture.initialThresholds)
        let parameterNames = Set(parameters.named.map(\.name))
        for (wf, gf) in header.expected.grads.sorted(by: { $0.key < $1.key }) {
            guard let pname = nameOfFile[wf] ?? (parameterNames.contains(wf) && !wf.hasSuffix(".weight") ? wf : nil) else {
                throw SpikeKitError.malformedFile(path: jsonPath, message: "expected.grads names \(wf), which is no weight file or parameter of the network")
            }
            grads.append((pname, try array(gf, shape: nil)))
        }
        var result = NetworkCase(
            name: header.name ?? (folder as NSString).lastPathComponent, folder: folder, description: description,
            architecture: architecture, steps: T, batch: B, tolerance: header.tolerance ?? 1e-4, parameters: parameters,
            inputs: inputs, noise: supplied.isEmpty ? .philox(seed: 0, iteration: 0) : .supplied(supplied),
            dropout: masks.isEmpty ? .off : .supplied(masks), loss: loss,
            targets: targets, expectedLoss: header.expected.loss, expectedOutput: expectedOutput,
            expectedSpikes: expectedSpikes, expectedGradients: grads)
        result.currents = currents
        return result
    }

    /// Computes the case with SpikeKit and compares every expected quantity.
    public func verify(threads: Int? = nil) throws -> CaseReport {
        let sim = Simulator(architecture: architecture, threads: threads)
        try sim.load(parameters)
        let r = try currents.map {
            try sim.run(currents: $0, loss: loss, targets: targets, noise: noise, dropout: dropout, gradients: true, record: true)
        } ?? sim.run(inputs: inputs, loss: loss, targets: targets, noise: noise, dropout: dropout, gradients: true, record: true)
        var acc = ErrorAccumulator()
        acc.compare("loss", got: r.loss, expected: expectedLoss)
        acc.compare("output", got: r.output!.scalars.map(Double.init), expected: expectedOutput.doubles)
        for (i, (got, exp)) in zip(r.spikes!, expectedSpikes).enumerated() {
            acc.compare("spikes of spiking layer \(i)", got: got.scalars.map(Double.init), expected: exp.doubles)
        }
        let computed = Dictionary(uniqueKeysWithValues: r.gradients!.named.map { ($0.name, $0.tensor) })
        for (name, exp) in expectedGradients {
            acc.compare("gradient of \(name)", got: computed[name]?.scalars.map(Double.init) ?? [], expected: exp.doubles)
        }
        return acc.report(name: name, tolerance: tolerance)
    }
}

/// A one-line account of a decoding error.
func describe(_ error: Error) -> String {
    switch error {
    case DecodingError.keyNotFound(let k, let c):
        return "missing key '\((c.codingPath + [k]).map(\.stringValue).joined(separator: "."))'"
    case DecodingError.typeMismatch(_, let c), DecodingError.valueNotFound(_, let c):
        return "wrong type at '\(c.codingPath.map(\.stringValue).joined(separator: "."))'"
    case DecodingError.dataCorrupted(let c):
        return c.codingPath.isEmpty ? "not valid JSON" : "bad value at '\(c.codingPath.map(\.stringValue).joined(separator: "."))'"
    default:
        return "\(error)"
    }
}
