import Foundation
import Guestfs
import ImageGate
import ImageGateBoot
import ImageGateInspection
import ImageGateModel
import ImageGateQueue

/// One entry point for libFuzzer; `IMAGEGATE_FUZZ_TARGET` picks the parser.
/// Each target feeds the bytes to a parser of guest (or operator) input and
/// asks nothing of the result: a crash, a hang (libFuzzer's `-timeout`),
/// or unbounded memory (`-rss_limit_mb`) is the finding.
enum FuzzTarget: String, CaseIterable {
    case initramfs, fstab, osRelease = "os-release", dpkgStatus = "dpkg-status", console, scenario, guestFacts = "guest-facts"
    case terminalFilter = "terminal-filter", terminalText = "terminal-text", xmlEscape = "xml-escape"
    case listeningSockets = "listening-sockets", keptRecord = "kept-record", bundleManifest = "bundle-manifest"
    case libvirtURI = "libvirt-uri", registryValue = "registry-value"
    case initramfsCompressed = "initramfs-compressed", journalEntry = "journal-entry", sshdConfig = "sshd-config"
    case volumeTimes = "volume-times", dataDisk = "data-disk", profile, checkReport = "check-report", staticRules = "static-rules"
    case postMortem = "post-mortem", failureSignature = "failure-signature", fileName = "file-name"
    case bootChain = "boot-chain", cloudConfig = "cloud-config"

    static let selected: FuzzTarget = {
        let name = ProcessInfo.processInfo.environment["IMAGEGATE_FUZZ_TARGET"] ?? ""
        guard let target = FuzzTarget(rawValue: name) else {
            FileHandle.standardError.write(Data("set IMAGEGATE_FUZZ_TARGET to one of: \(allCases.map(\.rawValue).joined(separator: " "))\n".utf8))
            exit(2)
        }
        return target
    }()

    func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        switch self {
        case .initramfs:
            _ = try? InitramfsArchive.listPlain(bytes)
        case .fstab:
            let fstab = Fstab(parsing: text)
            _ = fstab.localMounts
        case .osRelease:
            _ = OSRelease(parsing: text).identity(debianVersion: "12.5")
        case .dpkgStatus:
            _ = DpkgStatus.installedPackages(text)
        case .console:
            var limits = ConsoleLog.Limits()
            limits.keptLines = 64
            limits.lineScalars = 256
            var log = ConsoleLog(limits: limits)
            // In two chunks, split where the input says, as reads split it.
            let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
            log.feed(String(decoding: bytes[..<cut], as: UTF8.self), at: 1)
            log.feed(String(decoding: bytes[cut...], as: UTF8.self), at: 2)
            _ = FactsBlocks(log, nonce: "00112233445566778899aabbccddeeff", complete: bytes.count % 2 == 0)
        case .scenario:
            _ = try? Scenario.parse(text, source: "fuzz.yaml")
        case .guestFacts:
            _ = try? GuestFacts.decode(Data(bytes), channel: "fuzz")
        case .terminalFilter:
            // In two chunks, split where the input says, as a console's reads split it.
            var filter = TerminalControlFilter()
            let cut = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
            _ = filter.filter(Array(bytes[..<cut])) + filter.filter(Array(bytes[cut...]))
        case .terminalText:
            _ = TerminalText.sanitize(text)
        case .xmlEscape:
            _ = XML.escape(text)
        case .listeningSockets:
            _ = ListeningSockets(listening: text).judge(port: 22)
        case .keptRecord:
            _ = try? JSONDecoder().decode(KeptRun.self, from: Data(bytes))
        case .bundleManifest:
            _ = try? JSONDecoder().decode(ReproductionBundle.Manifest.self, from: Data(bytes))
        case .libvirtURI:
            _ = try? LibvirtURI.check(text)
        case .registryValue:
            // The first byte picks the value's type, as hivex reports it.
            _ = RegistryValue(type: Int64(bytes.first ?? 0) % 12, bytes: Array(bytes.dropFirst())).description
        case .initramfsCompressed:
            // Through the decompressors (gzip, zstd, xz, ...), bounded in
            // bytes and time, as a guest's initramfs is read.
            Self.wait { _ = try? await InitramfsArchive.list(bytes, limits: Self.initramfsLimits) }
        case .journalEntry:
            // Fields as the journal hands them: NAME=value per line.
            var fields: [String: [UInt8]] = [:]
            for line in bytes.split(separator: 10) {
                guard let equals = line.firstIndex(of: 61) else { continue }
                fields[String(decoding: line[..<equals], as: UTF8.self)] = Array(line[(equals + 1)...])
            }
            _ = PostMortem.journalLine(fields)
        case .sshdConfig:
            for line in text.split(separator: "\n") { _ = SSHDConfig.words(String(line)) }
        case .dataDisk:
            // The input is the disk: every read past its end is a short read.
            Self.wait {
                _ = await DataDiskReading.read { offset, count in
                    guard offset < UInt64(bytes.count), UInt64(bytes.count) - offset >= UInt64(count) else { return nil }
                    return Array(bytes[Int(offset)..<(Int(offset) + count)])
                }
            }
        case .staticRules:
            // A guest tree: NUL-separated files, each its path on its first
            // line, then its text; every static rule reads it, as the
            // static phase reads a guest (systemd units, authorized_keys,
            // accounts, GRUB, modules.dep, network profiles, cloud-init).
            var files: [String: String] = [:]
            for part in bytes.split(separator: 0) {
                let text = String(decoding: part, as: UTF8.self)
                let path = String(text.prefix { $0 != "\n" })
                guard path.hasPrefix("/") else { continue }
                files[path] = String(text.dropFirst(path.count + 1))
            }
            let context = RuleContext(fs: InMemoryFilesystem(files: files), facts: Self.staticRulesGuest)
            Self.wait { for rule in RuleCatalogue.all { _ = await rule.evaluate(context) } }
        case .bootChain:
            // NUL-separated: grub.cfg, grubenv beside it, then BootLoaderSpec
            // entries; the rules that read GRUB's menu judge it.
            let parts = bytes.split(separator: 0, omittingEmptySubsequences: false).prefix(34).map { String(decoding: $0, as: UTF8.self) }
            var files = ["/boot/grub/grub.cfg": parts[0], "/boot/grub/i386-pc/normal.mod": "", "/boot/grub/i386-pc/moddep.lst": "normal: crypto\n"]
            if parts.count > 1 { files["/boot/grub/grubenv"] = parts[1] }
            for (index, entry) in parts.dropFirst(2).enumerated() { files["/boot/loader/entries/e\(index).conf"] = entry }
            Self.judge(files, rules: ["LNX-BOOT-CHAIN", "LNX-GRUB-CFG", "LNX-CLOUD-INIT"])
        case .cloudConfig:
            // NUL-separated: cloud.cfg, then drop-ins in cloud.cfg.d, merged
            // as cloud-init merges them.
            let parts = bytes.split(separator: 0, omittingEmptySubsequences: false).prefix(33).map { String(decoding: $0, as: UTF8.self) }
            var files = ["/etc/cloud/cloud.cfg": parts[0], "/etc/cloud/ds-identify.cfg": parts.last ?? ""]
            for (index, dropIn) in parts.dropFirst().enumerated() { files["/etc/cloud/cloud.cfg.d/\(10 + index)-fuzz.cfg"] = dropIn }
            Self.judge(files, rules: ["LNX-CLOUD-INIT", "SEC-AUTHORIZED-KEYS", "SEC-PASSWORD-HASH"])
        case .profile:
            _ = try? PlatformProfile.parse(text, source: "fuzz.yaml")
        case .checkReport:
            // A bundle's recorded report, decoded and compared with itself, as a replay compares it.
            if let report = try? JSONDecoder().decode(CheckReport.self, from: Data(bytes)) {
                _ = ReplayComparison(recorded: report, replayed: report)
            }
        case .volumeTimes:
            _ = VolumeTimes(xml: text)
        case .postMortem:
            // The stopped guest's logs as the appliance read them: every
            // file the post-mortem collects holds the input, its lines are
            // the journal too, and every boot rule failed, so each is diagnosed.
            let files = PostMortem.paths.map {
                PostMortem.GuestFile(path: $0, text: text, truncated: bytes.count % 2 == 1, firstLine: bytes.count % 5)
            }
            let journal = text.split(separator: "\n").prefix(3000).enumerated().map {
                PostMortem.JournalLine(source: "fuzz.service", priority: $0.offset % 8, message: String($0.element), number: $0.offset + 1)
            }
            let findings = BootRules.allIDs.map {
                Finding(rule: $0, severity: .error, title: $0, outcome: .fail, required: "", found: text, evidence: [])
            }
            _ = Diagnosis.diagnose(findings, from: PostMortem(files: files, journal: journal))
        case .failureSignature:
            // A failure's evidence lines; the first names the instances' hostnames.
            let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let hostnames = lines.first.map { $0.split(separator: " ").map(String.init) } ?? []
            let signature = FailureSignature(rule: "BOOT-NETWORK", evidence: Array(lines.dropFirst()), found: text, hostnames: hostnames)
            precondition(FailureSignature.isID(signature.id), "signature ID \(signature.id)")
        case .fileName:
            // What lands in a folder of ImageGate's own never leaves it.
            // Checked on bytes, as the kernel reads a path.
            let slash = UInt8(ascii: "/")
            func isDot(_ part: ArraySlice<UInt8>) -> Bool { part.elementsEqual(".".utf8) || part.elementsEqual("..".utf8) }
            let name = Array(FileName.safe(text).utf8)
            precondition(!name.isEmpty && !name.contains(slash) && !isDot(name[...]), "FileName.safe gave \(name)")
            let path = Array(FileName.inside(text).utf8)
            precondition(path.first == slash && !path.split(separator: slash).contains(where: isDot), "FileName.inside gave \(path)")
            // A symlink's target resolved in the guest never climbs above its root.
            let joined = Array(GuestPath.join("/etc/ssh", text).utf8)
            precondition(joined.first == slash && !joined.split(separator: slash).contains(where: isDot), "GuestPath.join gave \(joined)")
        }
    }
}

extension FuzzTarget {
    /// The static-rules target's guest: a Debian 12 with one kernel.
    static let staticRulesGuest = OSFacts(family: "linux", distro: "debian", majorVersion: 12, minorVersion: 5, productName: "12.5",
                                    packages: ["cloud-init": "22.4.2-1+deb12u1", "python3": "3.11.2-1+b1", "auditd": "1:3.0.9-1"],
                                    kernels: ["6.1.0-56-cloud-amd64"], volumes: [.init(device: "/dev/sda1", filesystem: "ext4", mbrID: 0x83)])

    static let initramfsLimits: InitramfsArchive.Limits = {
        var limits = InitramfsArchive.Limits()
        limits.decompressedBytes = 8 << 20
        limits.timeout = .seconds(5)
        limits.scratch = NSTemporaryDirectory()
        return limits
    }()

    /// The catalogue's `rules` over a guest of `files`.
    static func judge(_ files: [String: String], rules: Set<String>) {
        let context = RuleContext(fs: InMemoryFilesystem(files: files), facts: staticRulesGuest)
        wait { for rule in RuleCatalogue.all where rules.contains(rule.id) { _ = await rule.evaluate(context) } }
    }

    /// Runs `body` to its end from libFuzzer's synchronous callback.
    static func wait(_ body: @escaping @Sendable () async -> Void) {
        let done = DispatchSemaphore(value: 0)
        Task {
            await body()
            done.signal()
        }
        done.wait()
    }
}

/// libFuzzer's callback: one input.
func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    FuzzTarget.selected.run(bytes)
    return 0
}

/// libFuzzer's driver (in the runtime `-sanitize=fuzzer` links).
@_silgen_name("LLVMFuzzerRunDriver")
func runFuzzerDriver(_ argc: UnsafeMutablePointer<Int32>,
                     _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                     _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32
