import SpikeKitFormats
import SpikeKitKernels
import SpikeKitEngine
import SpikeKitTheory
/// Dispatches a verification case folder to the checker for its kind.
public enum CaseRunner {
    /// Verifies the case in `folder`.
    /// - Throws: a `SpikeKitError` naming the file and the problem when the case cannot be read, or when its kind
    ///   is not supported.
    public static func verify(folder: String, threads: Int? = nil) throws -> CaseReport {
        switch try NetworkCase.kind(ofCaseAt: folder) {
        case nil, "network"?:
            return try NetworkCase.load(folder: folder).verify(threads: threads)
        case "perceptron-exact"?:
            return try verifyPerceptronCase(folder: folder)
        case let k?:
            throw SpikeKitError.malformedFile(path: folder + "/case.json", message: "unsupported kind \"\(k)\"")
        }
    }
}
