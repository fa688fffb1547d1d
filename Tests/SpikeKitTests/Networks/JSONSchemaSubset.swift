import Foundation

/// A JSON value, decoded exactly (booleans are not numbers).
enum JSONValue: Decodable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let d = try? c.decode(Double.self) { self = .number(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSONValue].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSONValue].self)) }
    }

    static func parse(_ data: Data) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: data) }

    var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number(let d): return d == d.rounded() ? "integer" : "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}

/// A validator for the subset of JSON Schema (draft 2020-12) that docs/model.schema.json uses: `type`, `required`,
/// `properties`, `items`, `enum`, `const`, `minimum`, `maximum`, `exclusiveMinimum`,
/// `exclusiveMaximum`, `minItems`, `maxItems`,
/// `$ref` to `#/$defs/<name>`, `allOf`, `oneOf`, `if`/`then`. Annotations (`description`, `default`, `title`,
/// `$schema`, `$id`) are ignored; any other keyword is reported as unsupported, so the schema cannot silently
/// use more than this checks.
struct JSONSchemaSubset {
    let root: JSONValue
    static let annotations: Set<String> = ["description", "default", "title", "$schema", "$id", "$defs"]
    static let keywords: Set<String> = ["type", "required", "properties", "items", "enum", "const", "minimum", "maximum",
                                        "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems", "$ref", "allOf", "oneOf", "if", "then"]

    /// The problems of `value` against the root schema (empty: valid), each with its JSON path.
    func errors(_ value: JSONValue) -> [String] { errors(value, schema: root, path: "$") }

    func errors(_ v: JSONValue, schema: JSONValue, path: String) -> [String] {
        guard case .object(let s) = schema else { return ["\(path): schema is not an object"] }
        var out: [String] = []
        for k in s.keys where !Self.keywords.contains(k) && !Self.annotations.contains(k) {
            out.append("\(path): unsupported schema keyword '\(k)'")
        }
        if case .string(let ref)? = s["$ref"] {
            let prefix = "#/$defs/"
            guard ref.hasPrefix(prefix), case .object(let root) = root, case .object(let defs)? = root["$defs"],
                  let target = defs[String(ref.dropFirst(prefix.count))] else { return out + ["\(path): unresolved $ref \(ref)"] }
            out += errors(v, schema: target, path: path)
        }
        if let t = s["type"] {
            let allowed: [String]
            switch t {
            case .string(let n): allowed = [n]
            case .array(let a): allowed = a.compactMap { if case .string(let n) = $0 { return n } else { return nil } }
            default: allowed = []
            }
            let actual = v.typeName
            if !(allowed.contains(actual) || (actual == "integer" && allowed.contains("number"))) {
                out.append("\(path): expected \(allowed.joined(separator: " or ")), got \(actual)")
            }
        }
        if case .array(let options)? = s["enum"], !options.contains(v) { out.append("\(path): \(v) is not one of \(options)") }
        if let c = s["const"], c != v { out.append("\(path): expected \(c)") }
        if case .number(let x) = v {
            if case .number(let m)? = s["minimum"], x < m { out.append("\(path): \(x) < minimum \(m)") }
            if case .number(let m)? = s["maximum"], x > m { out.append("\(path): \(x) > maximum \(m)") }
            if case .number(let m)? = s["exclusiveMinimum"], x <= m { out.append("\(path): \(x) <= exclusive minimum \(m)") }
            if case .number(let m)? = s["exclusiveMaximum"], x >= m { out.append("\(path): \(x) >= exclusive maximum \(m)") }
        }
        if case .object(let o) = v {
            if case .array(let req)? = s["required"] {
                for case .string(let k) in req where o[k] == nil { out.append("\(path): missing required '\(k)'") }
            }
            if case .object(let props)? = s["properties"] {
                for (k, sub) in props { if let x = o[k] { out += errors(x, schema: sub, path: "\(path).\(k)") } }
            }
        }
        if case .array(let a) = v {
            if case .number(let n)? = s["minItems"], Double(a.count) < n { out.append("\(path): fewer than \(Int(n)) items") }
            if case .number(let n)? = s["maxItems"], Double(a.count) > n { out.append("\(path): more than \(Int(n)) items") }
            if let item = s["items"] { for (i, x) in a.enumerated() { out += errors(x, schema: item, path: "\(path)[\(i)]") } }
        }
        if case .array(let all)? = s["allOf"] { for sub in all { out += errors(v, schema: sub, path: path) } }
        if case .array(let one)? = s["oneOf"] {
            let matching = one.filter { errors(v, schema: $0, path: path).isEmpty }.count
            if matching != 1 { out.append("\(path): matches \(matching) of the oneOf schemas, not exactly one") }
        }
        if let cond = s["if"], errors(v, schema: cond, path: path).isEmpty, let then = s["then"] {
            out += errors(v, schema: then, path: path)
        }
        return out
    }
}
