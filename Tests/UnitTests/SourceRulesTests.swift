import Foundation
import TestSupport
import XCTest

/// Rules the sources keep, read from the sources themselves.
final class SourceRulesTests: XCTestCase {
    /// Every `try?` says why its failure does not matter: a comment on its
    /// line or in the few lines above (the statement it belongs to).
    /// Anything else is a typed, logged failure.
    func testEveryTryQuestionMarkSaysWhy() throws {
        let root = PackageRoot.path + "/Sources"
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String }.filter { $0.hasSuffix(".swift") } ?? []
        XCTAssertGreaterThan(files.count, 100)
        let pattern = try NSRegularExpression(pattern: #"(?<![A-Za-z])try\?"#)
        var unexplained: [String] = []
        for file in files {
            let lines = try String(contentsOfFile: root + "/" + file, encoding: .utf8).components(separatedBy: "\n")
            for (index, line) in lines.enumerated() where pattern.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil {
                let context = lines[max(0, index - 4)...index]
                if !context.contains(where: { $0.contains("//") }) { unexplained.append("\(file):\(index + 1): \(line.trimmingCharacters(in: .whitespaces))") }
            }
        }
        XCTAssertEqual(unexplained, [], "try? without a reason")
    }
}
