import SpikeKitFormats
import Foundation

/// Names the field when a model file gives a number that is not a whole number where an integer is needed.
/// Foundation's JSON decoder reports such a value (for example `"delay": 2.5` or `"units": 1e30`) only as "The given
/// data was not valid JSON.", without the field.
extension NetworkDescription {
    /// The integer fields of layers, recurrent connections and time-constant initialisations.
    static let integerFields: Set<String> = ["units", "channels", "kernel", "stride", "padding", "delay", "seed"]

    /// "field 'delay' at .layers[0] must be a whole number, got 2.5" for the first integer field of `data` (a JSON
    /// model) that holds a number without an Int value; nil when there is none or `data` is not JSON.
    static func integerFieldProblem(in data: Data) -> String? {
        guard let root = try? JSONSerialization.jsonObject(with: data) else { return nil }
        func check(_ v: Any, key: String, path: String) -> String? {
            if let o = v as? [String: Any] {
                for k in o.keys.sorted() {
                    if let m = check(o[k]!, key: k, path: path + "." + k) { return m }
                }
            } else if let a = v as? [Any] {
                for (i, e) in a.enumerated() {
                    if let m = check(e, key: key == "shape" ? "shape" : "", path: path + "[\(i)]") { return m }
                }
            } else if let n = v as? NSNumber, integerFields.contains(key) || (key == "shape" && path.hasPrefix(".input")) {
                let x = n.doubleValue
                if !(x.isFinite && x.rounded() == x && abs(x) < 9.2e18) {
                    let parent = path.split(separator: ".").dropLast().joined(separator: ".")
                    let name = path.split(separator: ".").last.map(String.init) ?? key
                    return "field '\(name)'\(parent.isEmpty ? "" : " at .\(parent)") must be a whole number, got \(n)"
                }
            }
            return nil
        }
        return check(root, key: "", path: "")
    }
}
