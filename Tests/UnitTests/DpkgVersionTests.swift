import Foundation
@testable import ImageGateInspection
import TestSupport
import XCTest

/// Debian version order as dpkg's own: the same answer as
/// `dpkg --compare-versions` on thousands of pairs of real versions (this
/// machine's installed packages and its apt lists), and on the cases
/// deb-version(5) spells out.
final class DpkgVersionTests: XCTestCase {
    func testTheCasesDebVersionSpellsOut() {
        func order(_ a: String, _ b: String) -> Int { DpkgVersion.compare(DpkgVersion(a), DpkgVersion(b)) }
        XCTAssertEqual(order("1.0~rc1", "1.0"), -1, "~ sorts before the end")
        XCTAssertEqual(order("1.0~~", "1.0~"), -1)
        XCTAssertEqual(order("1.0a", "1.0+"), -1, "letters before other characters")
        XCTAssertEqual(order("1:0.1", "9.9"), 1, "the epoch first")
        XCTAssertEqual(order("1.0", "1.0-0"), 0, "no revision is revision 0")
        XCTAssertEqual(order("1.002", "1.2"), 0, "digits as numbers")
        XCTAssertEqual(order("2.30-12", "2.30-2"), 1)
        XCTAssertEqual(order("1.2.3-1+deb12u1", "1.2.3-1"), 1)
        XCTAssertEqual(order("1.2.3-1~bpo11+1", "1.2.3-1"), -1)
    }

    /// Versions this machine knows, paired with their neighbours in our
    /// order and with others at random (seeded): 2,500 pairs, each asked of dpkg.
    func testRealVersionPairsAgreeWithDpkg() throws {
        // Every distinct version of the installed packages and of the apt
        // lists, every fourth one kept (each list holds tens of thousands).
        let collect = #"{ grep -h '^Version: ' /var/lib/dpkg/status; for f in /var/lib/apt/lists/*_Packages.lz4; do [ -e "$f" ] && lz4 -dc "$f"; done | grep '^Version: ' | awk 'NR % 4 == 0'; } | cut -c10- | sort -u"#
        let versions = try Shell.run("bash", ["-c", collect]).stdout.split(separator: "\n").map(String.init)
        let sorted = versions.map(DpkgVersion.init).sorted()
        XCTAssertGreaterThan(sorted.count, 500, "too few versions on this machine to judge by")
        // 1,500 neighbours (the closest calls), spread over the whole order, then random pairs.
        let step = max(1, sorted.count / 1_500)
        var pairs: [(DpkgVersion, DpkgVersion)] = stride(from: 0, to: sorted.count - 1, by: step).map { (sorted[$0], sorted[$0 + 1]) }
        var generator = SplitMix(seed: 20261207)
        while pairs.count < 2_500 {
            pairs.append((sorted[Int(generator.next() % UInt64(sorted.count))], sorted[Int(generator.next() % UInt64(sorted.count))]))
        }
        let input = NSTemporaryDirectory() + "dpkg-pairs-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: input) }
        try pairs.map { "\($0.0.description) \($0.1.description)" }.joined(separator: "\n").appending("\n").write(toFile: input, atomically: true, encoding: .utf8)
        let script = #"while read -r a b; do if dpkg --compare-versions "$a" lt "$b"; then echo '<'; elif dpkg --compare-versions "$a" eq "$b"; then echo '='; else echo '>'; fi; done < "$1""#
        let answers = try Shell.run("bash", ["-c", script, "pairs", input]).stdout.split(separator: "\n")
        XCTAssertEqual(answers.count, pairs.count)
        var disagreements: [String] = []
        for ((a, b), answer) in zip(pairs, answers) {
            let ours = DpkgVersion.compare(a, b)
            let mine = ours < 0 ? "<" : ours == 0 ? "=" : ">"
            if mine != answer { disagreements.append("\(a) \(b): dpkg \(answer), ours \(mine)") }
        }
        XCTAssertEqual(disagreements, [], "\(disagreements.count) of \(pairs.count) pairs")
    }
}

/// A small seeded generator, so the pairs are the same every run.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
