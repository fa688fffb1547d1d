/// A dataset in an `HDF5File`: its shape, its element type and functions that read its values.
///
/// Reading functions convert the stored values: `readIntegers()` for integer data, `readFloats()` for floats (and
/// integers), `readStrings()` for fixed or variable-length strings, `readVLenFloats()` / `readVLenIntegers()` for
/// variable-length sequences (one array per element). A function that does not fit the datatype throws
/// `HDF5Error` of kind `.typeMismatch`.
public struct HDF5Dataset: Sendable {
    /// The path the dataset was opened with.
    public let path: String
    /// The dataset's dataspace (dimensions and maximum dimensions).
    public let dataspace: HDF5Dataspace
    /// The element type.
    public let datatype: HDF5Datatype

    let reader: HDF5Reader
    let storage: HDF5Storage
    let filters: [HDF5Filter]
    let headerAddress: Int

    /// The dimensions (empty for a scalar).
    public var shape: [Int] { dataspace.dimensions }
    /// The number of elements.
    public var count: Int { dataspace.elementCount }

    init(path: String, header: HDF5ObjectHeader, reader: HDF5Reader) throws {
        self.path = path
        self.reader = reader
        self.headerAddress = header.address
        let src = reader.source
        guard let space = header.first(HDF5Message.dataspace), let type = header.first(HDF5Message.datatype),
              let layout = header.first(HDF5Message.layout) else {
            throw src.error(.malformed, at: header.address, expected: "a dataset header (dataspace, datatype and layout messages)",
                            found: "messages \(header.messages.map(\.type))")
        }
        dataspace = try reader.dataspace(space)
        datatype = try reader.datatype(type)
        storage = try reader.storage(layout)
        filters = try header.first(HDF5Message.filterPipeline).map { try reader.filters($0) } ?? []
    }

    /// The size of one stored element in bytes.
    var elementSize: Int { reader.storedSize(datatype) }

    /// The raw bytes of all elements in row-major order (`count * elementSize` bytes).
    func rawData() throws -> [UInt8] {
        let src = reader.source
        let size = elementSize
        guard size > 0 else {
            throw src.error(.malformed, at: headerAddress, expected: "a positive element size", found: "\(size)")
        }
        let (total, overflow) = count.multipliedReportingOverflow(by: size)
        guard !overflow, total <= reader.allocationLimit else {
            throw src.error(.malformed, at: headerAddress, expected: "a dataset of at most \(reader.allocationLimit) bytes",
                            found: "\(count) elements of \(size) bytes")
        }
        switch storage {
        case .compact(let offset, let stored):
            guard stored >= total else {
                throw src.error(.malformed, at: offset, expected: "\(total) bytes of compact data", found: "\(stored) bytes")
            }
            return try src.slice(offset, total, "compact data")
        case .contiguous(let address, let stored, let field):
            guard let address else { return [UInt8](repeating: 0, count: total) }
            guard stored >= total else {
                throw src.error(.malformed, at: field, expected: "\(total) bytes of contiguous data", found: "\(stored) bytes")
            }
            return try reader.bytes(at: address, length: total, what: "contiguous data", from: field)
        case .chunked(let btree, let chunk, let chunkElementSize, let field):
            guard chunkElementSize == size else {
                throw src.error(.malformed, at: field, expected: "chunk element size \(size)", found: "\(chunkElementSize)")
            }
            return try reader.chunkedData(btree: btree, field: field, chunk: chunk, elementSize: size, dims: shape,
                                          filters: filters, totalBytes: total)
        }
    }
}
