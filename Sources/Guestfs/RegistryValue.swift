import Foundation

/// A registry hive's node (key) or value, as the appliance's open hive
/// names it; valid until the hive is closed.
public struct HiveNode: Hashable, Sendable {
    public let handle: Int64
}

public struct HiveValueHandle: Hashable, Sendable {
    public let handle: Int64
}

/// A registry value's data, decoded by its type: strings from UTF-16LE
/// (up to the first NUL), numbers from their byte order.
public enum RegistryValue: Sendable, Equatable, CustomStringConvertible {
    case string(String)
    case expandString(String)
    case multiString([String])
    case dword(UInt32)
    case qword(UInt64)
    case binary([UInt8])
    /// Any other type (REG_NONE, REG_LINK, resource lists...) with its raw bytes.
    case other(type: Int64, [UInt8])

    /// REG_SZ 1, REG_EXPAND_SZ 2, REG_BINARY 3, REG_DWORD 4,
    /// REG_DWORD_BIG_ENDIAN 5, REG_MULTI_SZ 7, REG_QWORD 11.
    public init(type: Int64, bytes: [UInt8]) {
        switch type {
        case 1: self = .string(Self.utf16(bytes).first ?? "")
        case 2: self = .expandString(Self.utf16(bytes).first ?? "")
        case 3: self = .binary(bytes)
        case 4 where bytes.count >= 4: self = .dword(Self.integer(bytes.prefix(4), bigEndian: false))
        case 5 where bytes.count >= 4: self = .dword(Self.integer(bytes.prefix(4), bigEndian: true))
        case 7: self = .multiString(Self.utf16(bytes).filter { !$0.isEmpty })
        case 11 where bytes.count >= 8:
            self = .qword(bytes.prefix(8).reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
        default: self = .other(type: type, bytes)
        }
    }

    /// The text of a string value (the first of a multi-string).
    public var text: String? {
        switch self {
        case .string(let s), .expandString(let s): return s
        case .multiString(let list): return list.first
        default: return nil
        }
    }

    /// The number of a DWORD or QWORD value.
    public var number: UInt64? {
        switch self {
        case .dword(let n): return UInt64(n)
        case .qword(let n): return n
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .string(let s): return "\"\(s)\""
        case .expandString(let s): return "expand \"\(s)\""
        case .multiString(let list): return list.map { "\"\($0)\"" }.joined(separator: ", ")
        case .dword(let n): return "dword \(n) (0x\(String(n, radix: 16)))"
        case .qword(let n): return "qword \(n)"
        case .binary(let bytes): return "binary, \(bytes.count) bytes"
        case .other(let type, let bytes): return "type \(type), \(bytes.count) bytes"
        }
    }

    /// UTF-16LE text split at each NUL (an odd last byte is dropped).
    static func utf16(_ bytes: [UInt8]) -> [String] {
        let units = stride(from: 0, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
        return units.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF16.self) }
    }

    static func integer(_ bytes: ArraySlice<UInt8>, bigEndian: Bool) -> UInt32 {
        let ordered = bigEndian ? Array(bytes) : bytes.reversed()
        return ordered.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }
}
