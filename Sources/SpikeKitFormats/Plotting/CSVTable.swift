import Foundation

/// A small CSV writer (RFC 4180): a header and rows of text or numbers. Numbers are written with the shortest
/// representation that reads back to the same Double (Swift's `description`), so no precision is lost.
///
/// ```swift
/// var table = CSVTable(columns: ["samples", "relative_error"])
/// table.append([10, 0.31])
/// try table.write(to: "out/error.csv")
/// ```
public struct CSVTable: Sendable, Equatable {
    /// One cell.
    public enum Cell: Sendable, Equatable, ExpressibleByStringLiteral, ExpressibleByFloatLiteral,
        ExpressibleByIntegerLiteral {
        case text(String)
        case number(Double)

        public init(stringLiteral value: String) { self = .text(value) }
        public init(floatLiteral value: Double) { self = .number(value) }
        public init(integerLiteral value: Int) { self = .number(Double(value)) }

        var rendered: String {
            switch self {
            case .number(let v):
                if v == v.rounded(), abs(v) < 1e15 { return String(Int(v)) }
                return "\(v)"
            case .text(let s):
                guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
                return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            }
        }
    }

    /// Column names.
    public var columns: [String]
    /// Rows, each with one cell per column.
    public private(set) var rows: [[Cell]] = []

    public init(columns: [String]) { self.columns = columns }

    /// Appends a row of cells.
    /// - Precondition: one cell per column.
    public mutating func append(_ row: [Cell]) {
        precondition(row.count == columns.count, "CSV row has \(row.count) cells for \(columns.count) columns")
        rows.append(row)
    }

    /// Appends a row of numbers.
    public mutating func append(numbers: [Double]) { append(numbers.map(Cell.number)) }

    /// The CSV text, header first, lines ending in `\n`.
    public var text: String {
        var out = columns.map { Cell.text($0).rendered }.joined(separator: ",") + "\n"
        for r in rows { out += r.map(\.rendered).joined(separator: ",") + "\n" }
        return out
    }

    /// Writes the table atomically to `path` (parent folders are created).
    public func write(to path: String) throws { try AtomicFile.write(text, to: path) }
}
