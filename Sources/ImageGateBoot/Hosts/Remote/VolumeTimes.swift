import Foundation
import ImageGateModel

/// A file volume's timestamps from its libvirt XML (`<timestamps>`), in
/// seconds since 1970 by the host's clock: comparable only with each
/// other, never with this machine's clock.
public struct VolumeTimes: Equatable, Sendable {
    /// When its bytes last changed (`mtime`).
    public var modified: Double?
    /// When it, or its metadata, last changed (`ctime`).
    public var changed: Double?

    public init(xml: String) {
        // The XML comes from the host: only its first 64 KiB are looked at.
        let text = String(xml.utf8.prefix(64 << 10)) ?? ""
        let block = text.range(of: "<timestamps>").flatMap { start in
            text.range(of: "</timestamps>", range: start.upperBound..<text.endIndex).map { text[start.upperBound..<$0.lowerBound] }
        } ?? ""
        modified = Self.value("mtime", in: block)
        changed = Self.value("ctime", in: block)
    }

    private static func value(_ tag: String, in block: Substring) -> Double? {
        guard let open = block.range(of: "<\(tag)>"),
              let close = block.range(of: "</\(tag)>", range: open.upperBound..<block.endIndex) else { return nil }
        return Double(block[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)).flatMap { $0.isFinite ? $0 : nil }
    }
}
