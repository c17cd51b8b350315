import CLibvirt

/// A failed libvirt call: libvirt's own error, copied on the calling thread
/// right after the call failed.
public struct LibvirtError: Error, CustomStringConvertible, Sendable {
    /// libvirt's `virErrorNumber` (e.g. 27 for `VIR_ERR_XML_ERROR`).
    public let code: Int32
    /// libvirt's `virErrorDomain`: which part of libvirt raised it.
    public let domain: Int32
    /// libvirt's human-readable message.
    public let message: String
    /// The wrapper operation that failed, e.g. `virDomainCreateXML`.
    public let operation: String

    public init(code: Int32, domain: Int32, message: String, operation: String) {
        self.code = code
        self.domain = domain
        self.message = message
        self.operation = operation
    }

    /// Copies libvirt's thread-local last error. Must run on the thread of
    /// the failing call, before any other libvirt call.
    static func last(_ operation: String) -> LibvirtError {
        guard let error = virGetLastError() else {
            return LibvirtError(code: -1, domain: 0, message: "unknown libvirt error", operation: operation)
        }
        let message = error.pointee.message.map { String(cString: $0) } ?? "unknown libvirt error"
        let copy = LibvirtError(code: error.pointee.code, domain: error.pointee.domain,
                                message: message, operation: operation)
        virResetLastError()
        return copy
    }

    public var description: String { "\(operation): \(message)" }

    /// libvirt refused the operation in the object's current state (e.g.
    /// a volume still being created or copied).
    public var isOperationInvalid: Bool { code == VIR_ERR_OPERATION_INVALID.rawValue }

    /// The domain the handle named no longer exists (a transient domain
    /// that ended).
    public var isNoDomain: Bool { code == VIR_ERR_NO_DOMAIN.rawValue }
}

/// The one helper through which every fallible libvirt call goes: runs the
/// call, and on failure copies the thread-local error at once.
@inline(__always)
func check<T>(_ operation: String, _ call: () -> T?) throws -> T {
    virResetLastError()
    guard let value = call() else { throw LibvirtError.last(operation) }
    return value
}

/// ``check(_:_:)`` for a lookup: nil when libvirt answers `notFound`
/// (no such domain, pool or volume), any other failure thrown.
@inline(__always)
func lookup(_ operation: String, notFound: virErrorNumber, _ call: () -> OpaquePointer?) throws -> Handle? {
    virResetLastError()
    if let found = call() { return found.sendable }
    let error = LibvirtError.last(operation)
    if error.code == notFound.rawValue { return nil }
    throw error
}

/// Same as ``check(_:_:)`` for calls that return an `int` (-1 on failure).
@inline(__always)
@discardableResult
func check(_ operation: String, _ call: () -> Int32) throws -> Int32 {
    virResetLastError()
    let status = call()
    if status < 0 { throw LibvirtError.last(operation) }
    return status
}
