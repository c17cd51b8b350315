/// Which ImageGate judged: written into every report and `imagegate --version`.
public enum ImageGateVersion {
    public static let current = "0.1.0"

    /// The git commit the sources were built from ("unknown" outside a git
    /// checkout), with "-modified" when they differed from it.
    public static let commit = SourceCommit.hash + (SourceCommit.modified ? "-modified" : "")

    /// `0.1.0 (commit 3f2a…, rule catalogue 9c1d…)`, each digest cut to 12
    /// characters: what `imagegate --version` prints.
    public static func line(catalogueDigest: String) -> String {
        let shortCommit = SourceCommit.hash.prefix(12) + (SourceCommit.modified ? "-modified" : "")
        return "\(current) (commit \(shortCommit), rule catalogue \(catalogueDigest.prefix(12)))"
    }
}
