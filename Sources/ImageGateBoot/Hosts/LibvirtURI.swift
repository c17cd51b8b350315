import ImageGateModel

/// The libvirt URIs ImageGate opens: QEMU's driver over a transport that
/// carries no program of its own, with query parameters libvirt documents
/// for its remote driver. `+ext` (a program libvirt runs), `command=` and
/// `netcat=` (a program run on either end) and any parameter not listed are
/// refused, wherever a URI comes from: the command line, a queue manifest,
/// or a kept run's record read back from disk.
public enum LibvirtURI {
    static let transports: Set<String> = ["", "tcp", "ssh", "libssh", "libssh2", "tls", "unix"]
    static let parameters: Set<String> = [
        "name", "socket", "keyfile", "no_verify", "no_tty", "pkipath", "known_hosts", "known_hosts_verify",
        "sshauth", "mode", "proxy", "tls_priority", "root",
    ]

    /// A bad-input error naming `uri` and what is wrong with it, if anything.
    public static func check(_ uri: String) throws {
        func refuse(_ why: String) -> ImageGateError { .badInput("\(TerminalText.sanitize(uri)): \(why)") }
        guard uri.count <= 1024, !uri.contains(where: { $0.isWhitespace || $0.isNewline || $0.asciiValue.map { $0 < 0x20 } == true }),
              let separator = uri.range(of: "://") else {
            throw refuse("not a libvirt URI (qemu:///system, qemu+tcp://HOST/system, qemu+ssh://USER@HOST/system, …)")
        }
        let scheme = uri[..<separator.lowerBound].lowercased()
        let parts = scheme.split(separator: "+", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.first == "qemu" else { throw refuse("not a QEMU URI (qemu://… or qemu+TRANSPORT://…)") }
        let transport = parts.count > 1 ? String(parts[1]) : ""
        guard transports.contains(transport) else {
            throw refuse("transport '\(transport)' is refused (one of tcp, ssh, libssh, libssh2, tls, unix)")
        }
        guard let query = uri.firstIndex(of: "?").map({ uri[uri.index(after: $0)...] }) else { return }
        // libvirt splits the query on ';' as well as '&', and unescapes
        // each name: neither may smuggle a parameter past the list.
        for item in query.split(whereSeparator: { $0 == "&" || $0 == ";" }) {
            let name = String(item.prefix { $0 != "=" })
            guard !name.contains("%") else { throw refuse("parameter '\(name)' is refused (escaped)") }
            guard parameters.contains(name) else { throw refuse("parameter '\(name)' is refused") }
            if name == "root", !uri.hasPrefix("qemu:///embed") { throw refuse("root= belongs to the embedded driver (qemu:///embed)") }
        }
    }
}
