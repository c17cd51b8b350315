import Foundation
@testable import ImageGate
@testable import ImageGateBoot
@testable import ImageGateInspection
@testable import ImageGateModel
import ImageGateQueue
import TestSupport
import XCTest

/// The fuzzers' seed corpus (`make fuzz`), made from inputs the other tests
/// use, one folder per target under `.build/fuzz-corpus` — and each seed
/// run through its parser here, so a seed that breaks one fails `make test`.
final class FuzzCorpusTests: XCTestCase {
    static var corpus: String { PackageRoot.path + "/.build/fuzz-corpus" }

    /// A small check report, as a bundle records one.
    static var report: CheckReport {
        let finding = Finding(rule: "LNX-NO-SWAP", severity: .error, title: "No swap", outcome: .fail, required: "no swap", found: "a swap file",
                              evidence: [Evidence(path: "/etc/fstab", line: 3, "/swapfile none swap sw 0 0")], fix: "remove it")
        return CheckReport(generatedAt: "", language: "en", image: .init(path: "/images/vendor.qcow2", format: "qcow2", virtualSize: 1, sha256: "", sha256After: ""),
                           scenario: .init(name: "s", description: "", source: ""), accelerator: .kvm, verdict: GateVerdict([finding]),
                           staticInspection: nil, instances: [], findings: [finding], seconds: 1)
    }

    func testSeedsForEveryFuzzTargetParse() async throws {
        let scenarios = try FileManager.default.contentsOfDirectory(atPath: PackageRoot.path + "/Scenarios")
            .filter { $0.hasSuffix(".yaml") }
            .map { try Array(Data(contentsOf: URL(fileURLWithPath: PackageRoot.path + "/Scenarios/" + $0))) }
        let facts = #"{"hostname":"ig-1","interfaces":[],"routes":[],"mounts":[],"cloudInit":{"status":"done","errors":[]}}"#
        let seeds: [String: [[UInt8]]] = [
            "initramfs": [InitramfsArchiveTests.cpio([("init", "#!/bin/sh\n"), ("usr/lib/modules", "")])],
            "fstab": [Array("UUID=1111-aaaa / ext4 defaults 0 1\n/dev/vdb /data ext4 defaults,nofail 0 0\nPARTUUID=ab-02 /my\\040dir ext4 ro 0 0\n".utf8)],
            "os-release": [Array("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nNAME='A \\\"q\\\"'\n".utf8)],
            "dpkg-status": [Array("Package: openssh-server\nStatus: install ok installed\nVersion: 1:9.2p1-2+deb12u3\n\nPackage: held\nStatus: hold ok installed\nVersion: 4.4.3-P1-2\n".utf8)],
            "static-rules": [Array(RuleTests.clean.files.sorted { $0.key < $1.key }.map { "\($0.key)\n\($0.value)" }.joined(separator: "\u{0}").utf8)],
            "profile": [Array("queue_retries: 2\nwaivers:\n  - {rule: LNX-MONITOR-AGENT, reason: no agent yet}\n".utf8)],
            "check-report": [Array(try Self.report.json().utf8)],
            "data-disk": [DataDiskReadingTests.disk(mbrStart: 2048, mountCount: 1, label: "data"), [UInt8](repeating: 0, count: 600)],
            "console": [Array(ConsoleLogTests.healthy.joined().utf8),
                        Array("\(GuestProbe.beginMarker) \(facts) \(GuestProbe.endMarker)\r\n".utf8)],
            "scenario": scenarios,
            "guest-facts": [Array(facts.utf8)],
            "terminal-filter": [[7] + Array("login: \u{1B}]52;c;ZXZpbA==\u{07}\u{1B}kt\u{1B}\\\u{1B}[1;31mred\u{1B}[0m ŝ€审".utf8) + [0x9D, 0x41, 0x07, 0x9B]],
            "terminal-text": [Array("Debian\u{1B}]0;owned\u{07}\u{1B}[2J \u{202E}lmth.exe".utf8)],
            "xml-escape": [Array("\"\u{0301}><b>injected</b>&\u{0000}\u{FFFE}".utf8)],
            "listening-sockets": [Array("00000000:0016 0100007F:0CEA 00000000000000000000000000000000:0050 zz:1".utf8)],
            "kept-record": [Array(#"{"id":"abc","directory":"/x","vmName":"imagegate-boot-1.2-abc","uri":"qemu+ext:///system?command=/x","sshPort":22,"hostname":"h","image":"i","verdict":"pass","keptAt":"2026-01-01T00:00:00Z","folderOnly":true}"#.utf8)],
            "bundle-manifest": [Array(#"{"schema":"imagegate-bundle","schemaVersion":1,"tool":"imagegate","command":["imagegate"],"imagePath":"/x","imageSHA256":"00","verdict":"fail","createdAt":"t"}"#.utf8)],
            "libvirt-uri": [Array("qemu+ssh://root@h/system?keyfile=k&no_verify=1".utf8), Array("qemu+ext:///system?command=/x".utf8)],
            "initramfs-compressed": [try InitramfsArchiveTests.compressed(InitramfsArchiveTests.cpio([("init", "#!/bin/sh\n")]), "gzip", ["-c"])],
            "journal-entry": [Array("MESSAGE=Started \u{1B}]0;x\u{07}ssh\n_SYSTEMD_UNIT=ssh.service\nPRIORITY=3\n_SOURCE_MONOTONIC_TIMESTAMP=12345678\n".utf8)],
            "sshd-config": [Array("Include /etc/ssh/sshd_config.d/*.conf\nAuthorizedKeysFile \".ssh/my keys\" %h/.ssh/k_%U\nMatch User a\n PermitRootLogin=yes\n".utf8)],
            "volume-times": [Array("<volume><target><timestamps><atime>1.5</atime><mtime>1796219908.89</mtime><ctime>nan</ctime></timestamps></target></volume>".utf8)],
            "post-mortem": [Array("2026-12-07 10:00:01,123 - util.py[WARNING]: Running module bootcmd failed\nTraceback (most recent call last):\n  ProcessExecutionError: Unexpected error\n/dev/vdb1 /data ext4 defaults 0 2\n".utf8)],
            "failure-signature": [Array("mkt-vm-0001 mkt-vm-0002\nttyS0:412: [   12.345678] eth0: 52:54:00:3a:10:01 10.77.0.20/24 at 10:00:01 pid 276\n".utf8)],
            "file-name": [Array("../../etc/passwd/./x\u{0}é".utf8), Array("..".utf8)],
            "boot-chain": [Array((BootChainStageTests.debianGrub + "\u{0}saved_entry=1>1\n").utf8),
                           Array("set default=\"${saved_entry}\"\nblscfg\n\u{0}kernelopts=root=UUID=x ro\n\u{0}title T\nversion 5.14.0-70\nlinux /vmlinuz-5.14.0-70\ninitrd /initramfs.img $tuned_initrd\noptions $kernelopts\n".utf8)],
            "cloud-config": [Array((CloudConfigTests.cloudCfg + "\u{0}datasource_list: [ NoCloud, None ]\nnetwork:\n  config: disabled\n\u{0}users:\n  - name: s\n    ssh_authorized_keys: [ssh-ed25519 AAAA k]\n\u{0}policy: search,found=all\n").utf8)],
            "registry-value": [[1] + Array("C\u{0}:\u{0}\\\u{0}".utf8), [4, 1, 0, 0, 0], [7] + Array("a\u{0}\u{0}b\u{0}\u{0}\u{0}\u{0}".utf8)],
        ]
        for (target, inputs) in seeds {
            let folder = Self.corpus + "/" + target
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            for (index, bytes) in inputs.enumerated() {
                try Data(bytes).write(to: URL(fileURLWithPath: folder + "/seed-\(index)"))
            }
            XCTAssertFalse(inputs.isEmpty, target)
        }
        // Each seed parses (what the fuzzer starts from is valid input).
        XCTAssertFalse(try InitramfsArchive.listPlain(seeds["initramfs"]![0]).names.isEmpty)
        XCTAssertEqual(Fstab(parsing: String(decoding: seeds["fstab"]![0], as: UTF8.self)).localMounts.count, 2)
        XCTAssertNotNil(OSRelease(parsing: String(decoding: seeds["os-release"]![0], as: UTF8.self)).identity(debianVersion: "12.5"))
        XCTAssertEqual(DpkgStatus.installedPackages(String(decoding: seeds["dpkg-status"]![0], as: UTF8.self)).count, 2)
        for scenario in scenarios { XCTAssertNoThrow(try Scenario.parse(String(decoding: scenario, as: UTF8.self), source: "seed")) }
        XCTAssertEqual(ListeningSockets(listening: String(decoding: seeds["listening-sockets"]![0], as: UTF8.self)).sockets.count, 3)
        XCTAssertNotNil(try? JSONDecoder().decode(KeptRun.self, from: Data(seeds["kept-record"]![0])))
        XCTAssertNotNil(try? JSONDecoder().decode(ReproductionBundle.Manifest.self, from: Data(seeds["bundle-manifest"]![0])))
        XCTAssertNoThrow(try LibvirtURI.check(String(decoding: seeds["libvirt-uri"]![0], as: UTF8.self)))
        let unpacked = try await InitramfsArchive.list(seeds["initramfs-compressed"]![0])
        XCTAssertEqual(unpacked, ["init"])
        XCTAssertEqual(PostMortem.journalLine(["MESSAGE": Array("m\u{1B}]0;x\u{07}".utf8), "PRIORITY": Array("3".utf8)]).priority, 3)
        XCTAssertEqual(SSHDConfig.words(String(decoding: seeds["sshd-config"]![0], as: UTF8.self).components(separatedBy: "\n")[1])?.1.count, 2)
        XCTAssertNotNil(VolumeTimes(xml: String(decoding: seeds["volume-times"]![0], as: UTF8.self)).modified)
        XCTAssertEqual(try PlatformProfile.parse(String(decoding: seeds["profile"]![0], as: UTF8.self), source: "seed").queueRetries, 2)
        XCTAssertNotNil(try? JSONDecoder().decode(CheckReport.self, from: Data(seeds["check-report"]![0])))
        let reading = await DataDiskReading.read { offset, count in
            let disk = seeds["data-disk"]![0]
            return offset + UInt64(count) <= UInt64(disk.count) ? Array(disk[Int(offset)..<(Int(offset) + count)]) : nil
        }
        XCTAssertEqual(reading.label, "data")
        let log = String(decoding: seeds["post-mortem"]![0], as: UTF8.self)
        let failed = Finding(rule: "BOOT-CLOUD-INIT", severity: .error, title: "", outcome: .fail, required: "", found: "", evidence: [])
        let diagnosis = Diagnosis.diagnose([failed], from: PostMortem(files: [.init(path: "/var/log/cloud-init.log", text: log, truncated: false, firstLine: 1)]))
        XCTAssertTrue(diagnosis.first?.excerpts.contains { $0.text.contains("bootcmd") } ?? false, "\(diagnosis)")
        let evidence = String(decoding: seeds["failure-signature"]![0], as: UTF8.self).split(separator: "\n").map(String.init)
        let signature = FailureSignature(rule: "BOOT-NETWORK", evidence: Array(evidence.dropFirst()), found: "", hostnames: ["mkt-vm-0001"])
        XCTAssertEqual(signature.text, "ttyS0:<line>: [<t>] eth0: <mac> <ip> at <time> pid <pid>")
        XCTAssertEqual(FileName.safe(String(decoding: seeds["file-name"]![0], as: UTF8.self)), ".._.._etc_passwd_._x__")
        XCTAssertEqual(FileName.inside("../../etc/./passwd"), "/etc/passwd")
    }
}
