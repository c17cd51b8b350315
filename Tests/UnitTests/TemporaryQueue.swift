import Foundation
@testable import ImageGateQueue

/// A queue in a temporary folder: empty image files, a manifest listing
/// them, and a history, for tests that write nights into it by hand.
final class TemporaryQueue {
    let dir: String
    let manifest: QueueManifest
    let history: QueueHistory

    /// `entries`: (vendor, product) of each image, named a, b, c… in order;
    /// checked statically only unless `boot`.
    init(_ name: String, entries: [(vendor: String, product: String)], boot: Bool = true) throws {
        dir = NSTemporaryDirectory() + name + "-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var yaml = "entries:\n"
        for (index, entry) in entries.enumerated() {
            let image = String(UnicodeScalar(UInt8(97 + index))) + ".qcow2"
            FileManager.default.createFile(atPath: dir + "/" + image, contents: Data())
            yaml += "  - {vendor: \(entry.vendor), product: \(entry.product), version: '1', image: \(image)\(boot ? "" : ", boot: false")}\n"
        }
        try yaml.write(toFile: dir + "/queue.yaml", atomically: true, encoding: .utf8)
        manifest = try QueueManifest.load(path: dir + "/queue.yaml")
        history = try QueueHistory(path: dir + "/queue.sqlite")
    }

    func remove() { try? FileManager.default.removeItem(atPath: dir) }
}
