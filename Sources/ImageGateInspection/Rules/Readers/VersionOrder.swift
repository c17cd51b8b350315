/// The order of version strings as package managers and `blscfg` sort
/// them: runs of digits compare as numbers, runs of letters as text, a
/// `~` sorts before anything (a pre-release). A plain reading of
/// `rpmvercmp`'s rules, for ordering entries only; a verdict on a
/// package's version needs the package manager's own comparison.
package enum VersionOrder {
    package static func compare(_ a: String, _ b: String) -> Int {
        var left = Substring(a), right = Substring(b)
        func isSeparator(_ c: Character) -> Bool { !(c.isASCII && (c.isLetter || c.isNumber)) && c != "~" }
        while true {
            left = left.drop(while: isSeparator)
            right = right.drop(while: isSeparator)
            if left.first == "~" || right.first == "~" {
                if left.first != "~" { return 1 }
                if right.first != "~" { return -1 }
                left = left.dropFirst()
                right = right.dropFirst()
                continue
            }
            guard let l = left.first, let r = right.first else { return left.isEmpty ? (right.isEmpty ? 0 : -1) : 1 }
            let numeric = l.isNumber
            if numeric != r.isNumber { return numeric ? 1 : -1 }
            let leftRun = left.prefix { numeric ? $0.isNumber && $0.isASCII : $0.isLetter && $0.isASCII }
            let rightRun = right.prefix { numeric ? $0.isNumber && $0.isASCII : $0.isLetter && $0.isASCII }
            left = left.dropFirst(leftRun.count)
            right = right.dropFirst(rightRun.count)
            if numeric {
                let l = leftRun.drop { $0 == "0" }, r = rightRun.drop { $0 == "0" }
                if l.count != r.count { return l.count < r.count ? -1 : 1 }
                if l != r { return l < r ? -1 : 1 }
            } else if leftRun != rightRun {
                return leftRun < rightRun ? -1 : 1
            }
        }
    }

    /// Newest first; equal versions by `ties`, in order.
    static func newerFirst(_ a: String, _ b: String, ties: (String, String)) -> Bool {
        let order = compare(a, b)
        return order == 0 ? ties.0 < ties.1 : order > 0
    }
}
