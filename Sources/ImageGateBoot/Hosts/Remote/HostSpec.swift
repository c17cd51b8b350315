import Foundation
import ImageGateModel

/// A libvirt host as a reviewer names it: `URI[=capacity]` (how many boots
/// it takes at once). A `=` inside the URI's query stays the URI's:
/// `qemu+ssh://h/system?keyfile=k` has no capacity, `…?keyfile=k=2` has 2.
public struct HostSpec: Sendable, Equatable, Codable {
    public var uri: String
    public var capacity: Int?

    public init(uri: String, capacity: Int? = nil) {
        self.uri = uri
        self.capacity = capacity
    }

    public init(parsing text: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var uri = trimmed, capacity: Int?
        if let equals = trimmed.lastIndex(of: "="), trimmed.contains("://") {
            let head = String(trimmed[..<equals]), tail = trimmed[trimmed.index(after: equals)...]
            let lastQueryPart = head.split(whereSeparator: { $0 == "?" || $0 == "&" }).last.map(String.init) ?? head
            let isQueryValue = head.contains("?") && !lastQueryPart.contains("=")
            if !isQueryValue {
                guard let number = Int(tail), (1...64).contains(number) else {
                    throw ImageGateError.badInput("\(TerminalText.sanitize(text)): the capacity after = must be a number of boots from 1 to 64")
                }
                uri = head
                capacity = number
            }
        }
        try LibvirtURI.check(uri)
        self.uri = uri
        self.capacity = capacity
    }

    /// `a,b=2,c` as a list.
    public static func list(_ text: String) throws -> [HostSpec] {
        let specs = try text.split(separator: ",").map { try HostSpec(parsing: String($0)) }
        guard !specs.isEmpty else { throw ImageGateError.badInput("--hosts: no host given") }
        guard Set(specs.map(\.uri)).count == specs.count else { throw ImageGateError.badInput("--hosts: a host is named twice") }
        return specs
    }
}
