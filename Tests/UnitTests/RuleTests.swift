import ImageGate
import ImageGateInspection
import ImageGateModel
import XCTest

/// Every rule of the catalogue on an in-memory guest: one case where it
/// holds, one where it is broken, and the broken case's evidence must name
/// the offending path (and line, for files read line by line).
final class RuleTests: XCTestCase {
    static let kernel = "6.1.0-56-cloud-amd64"
    static let args = "net.ifnames=0 biosdevname=0 console=tty1 console=ttyS0,115200n8"

    /// A clean Debian 12 guest that follows every rule.
    static var clean: InMemoryFilesystem {
        InMemoryFilesystem(
            files: [
                "/etc/default/grub": "GRUB_DEFAULT=0\nGRUB_TIMEOUT=5\nGRUB_DISTRIBUTOR=`lsb_release -i -s`\nGRUB_CMDLINE_LINUX_DEFAULT=\"\"\nGRUB_CMDLINE_LINUX=\"\(args)\"\n",
                "/boot/grub/grub.cfg": "set default=\"0\"\nmenuentry 'Debian GNU/Linux' {\n\tlinux\t/boot/vmlinuz-\(kernel) root=UUID=6a1f ro \(args)\n\tinitrd\t/boot/initrd.img-\(kernel)\n}\n",
                "/etc/modprobe.d/blacklist-nouv.conf": "blacklist nouveau\noptions nouveau modeset=0\n",
                "/etc/modprobe.d/mlx5.conf": "softdep mlx5_core pre: virtio_net\n",
                "/etc/fstab": "# /etc/fstab\nUUID=6a1f / ext4 errors=remount-ro 0 1\n",
                "/boot/vmlinuz-\(kernel)": "kernel",
                "/boot/initrd.img-\(kernel)": "",
                "/lib/modules/\(kernel)/modules.builtin": "kernel/drivers/block/virtio_blk.ko\nkernel/drivers/net/virtio_net.ko\nkernel/drivers/virtio/virtio_pci.ko\n",
                "/lib/modules/\(kernel)/modules.dep": "kernel/drivers/net/net_failover.ko: kernel/net/core/failover.ko\nkernel/net/core/failover.ko:\n",
                "/lib/systemd/system/auditd.service": "[Unit]\n",
                "/lib/systemd/system/cloud-init.service": "[Unit]\n",
                "/usr/lib/systemd/network/99-default.link": "[Link]\nNamePolicy=keep kernel database onboard slot path\n# AlternativeNamesPolicy=database onboard slot path\n",
                "/etc/hosts": "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\nff02::1\t\tip6-allnodes\n",
                "/etc/passwd": "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n",
                "/etc/shadow": "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n",
                "/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\n#PermitRootLogin prohibit-password\n",
                "/etc/machine-id": "",
                "/etc/cloud/cloud.cfg": "preserve_hostname: false\ndatasource_list: [NoCloud, None]\n",
                "/etc/network/interfaces": "auto lo\niface lo inet loopback\nsource /etc/network/interfaces.d/*\n",
                "/usr/bin/python3.11": "\u{7f}ELF",
                "/var/log/wtmp": "",
            ],
            symlinks: [
                "/etc/systemd/system/multi-user.target.wants/auditd.service": "/lib/systemd/system/auditd.service",
                "/usr/bin/python3": "python3.11",
            ],
            directories: ["/etc/ssh/sshd_config.d", "/var/lib/cloud", "/root", "/etc/cloud/cloud.cfg.d", "/etc/udev/rules.d"]
        )
    }

    static var facts: OSFacts {
        OSFacts(family: "linux", distro: "debian", majorVersion: 12, minorVersion: 5, productName: "12.5", packageFormat: "deb",
                packages: ["cloud-init": "22.4.2-1+deb12u1", "python3": "3.11.2-1+b1", "auditd": "1:3.0.9-1", "systemd": "252.36-1"],
                kernels: [kernel], diskVirtualSize: 20 << 30, imageFormat: "qcow2",
                volumes: [.init(device: "/dev/sda1", filesystem: "ext4", mbrID: 0x83)])
    }

    /// One rule's two cases.
    typealias Mutation = @Sendable (inout InMemoryFilesystem, inout OSFacts, inout PlatformProfile) -> Void

    struct Case: Sendable {
        var id: String
        var pass: Mutation = { _, _, _ in }
        var fail: Mutation
        /// The path the failure's evidence must name (nil: a fact, not a file).
        var path: String?
        /// The line it must name, where the rule reads lines.
        var line: Int?
        var outcome: Outcome = .fail
    }

    static let cases: [Case] = [
        Case(id: "IMG-OS", fail: { _, f, _ in f.family = "none" }, path: nil),
        Case(id: "LNX-DISK-MIN", fail: { _, f, _ in f.diskVirtualSize = 10 << 30 }, path: nil),
        Case(id: "LNX-FORMAT", fail: { _, f, _ in f.imageFormat = "raw" }, path: nil, outcome: .warning),
        Case(id: "LNX-NO-SWAP", fail: { fs, _, _ in fs.files["/etc/fstab"]! += "/swapfile none swap sw 0 0\n" }, path: "/etc/fstab", line: 3),
        Case(id: "LNX-VIRTIO", fail: { fs, _, _ in
            fs.files["/lib/modules/\(kernel)/modules.builtin"] = "kernel/drivers/net/virtio_net.ko\nkernel/drivers/virtio/virtio_pci.ko\n"
            fs.files["/lib/modules/\(kernel)/modules.dep"] = "kernel/drivers/block/virtio_blk.ko:\n"
            fs.files["/boot/initrd.img-\(kernel)"] = "cpio"
            fs.initramfs["/boot/initrd.img-\(kernel)"] = ["usr/lib/modules/\(kernel)/kernel/fs/ext4/ext4.ko"]
        }, path: "/boot/initrd.img-\(kernel)"),
        Case(id: "LNX-NET-FAILOVER", fail: { fs, f, p in
            p.fastTier = true
            f.kernels = ["4.14.0-115.el7"]
            fs.files["/lib/modules/4.14.0-115.el7/modules.dep"] = "kernel/drivers/net/virtio_net.ko:\n"
        }, path: "/lib/modules/4.14.0-115.el7"),
        Case(id: "LNX-TZDATA-LEGACY",
             pass: { _, f, _ in f.distro = "ubuntu"; f.majorVersion = 24; f.minorVersion = 4; f.packages["tzdata-legacy"] = "2024a-1" },
             fail: { _, f, _ in f.distro = "ubuntu"; f.majorVersion = 24; f.minorVersion = 4 }, path: nil),
        Case(id: "LNX-CLOUD-INIT", fail: { fs, _, _ in fs.files["/etc/cloud/cloud-init.disabled"] = "" }, path: "/etc/cloud/cloud-init.disabled"),
        Case(id: "LNX-CLOUD-INIT-VENDOR",
             pass: { _, f, _ in f.distro = "ubuntu"; f.majorVersion = 22; f.minorVersion = 4; f.packages["cloud-init"] = "24.1.3-1ubuntu2~22.04.5ucloud" },
             fail: { _, f, _ in f.distro = "ubuntu"; f.majorVersion = 22; f.minorVersion = 4; f.packages["cloud-init"] = "24.1.3-0ubuntu1~22.04.5" }, path: nil),
        Case(id: "LNX-FIREWALLD", fail: { fs, _, _ in
            fs.files["/usr/lib/systemd/system/firewalld.service"] = "[Unit]\n"
            fs.symlinks["/etc/systemd/system/multi-user.target.wants/firewalld.service"] = "/usr/lib/systemd/system/firewalld.service"
        }, path: "/etc/systemd/system/multi-user.target.wants/firewalld.service"),
        Case(id: "LNX-NM-SERVER-CONF",
             pass: { fs, f, _ in
                 f.packages["network-manager"] = "1.42.4-1"
                 fs.files["/usr/lib/NetworkManager/conf.d/00-server.conf"] = "[main]\nno-auto-default=*\nignore-carrier=*\n"
             },
             fail: { fs, f, _ in
                 f.packages["network-manager"] = "1.42.4-1"
                 fs.files["/usr/lib/NetworkManager/conf.d/00-server.conf"] = "[main]\nno-auto-default=*\n"
             }, path: "/usr/lib/NetworkManager/conf.d/00-server.conf", line: 1),
        Case(id: "LNX-ALTNAMES", fail: { fs, _, _ in
            fs.files["/usr/lib/systemd/network/99-default.link"] = "[Link]\nNamePolicy=keep kernel\nAlternativeNamesPolicy=database onboard slot path\n"
        }, path: "/usr/lib/systemd/network/99-default.link", line: 3),
        Case(id: "LNX-GRUB-DEFAULT", fail: { fs, _, _ in
            fs.files["/etc/default/grub"] = "GRUB_DEFAULT=0\nGRUB_TIMEOUT_STYLE=hidden\nGRUB_TIMEOUT=0\nGRUB_CMDLINE_LINUX=\"\(args)\"\n"
        }, path: "/etc/default/grub", line: 2),
        Case(id: "LNX-GRUB-CFG", fail: { fs, _, _ in
            fs.files["/boot/grub/grub.cfg"] = "menuentry 'Debian' {\n\tlinux\t/boot/vmlinuz-\(kernel) root=UUID=6a1f ro quiet\n}\n"
        }, path: "/boot/grub/grub.cfg", line: 2),
        Case(id: "LNX-BOOT-CHAIN", fail: { fs, _, _ in
            fs.files["/boot/grub/grub.cfg"]! = fs.files["/boot/grub/grub.cfg"]!.replacingOccurrences(of: " ro ", with: " ro single ")
        }, path: "/boot/grub/grub.cfg", line: 3),
        Case(id: "LNX-NOUVEAU", fail: { fs, _, _ in fs.files["/etc/modprobe.d/blacklist-nouv.conf"] = "blacklist nouveau\n" },
             path: "/etc/modprobe.d/blacklist-nouv.conf", line: 1),
        Case(id: "LNX-MLX5", fail: { fs, _, _ in fs.files["/etc/modprobe.d/mlx5.conf"] = "# softdep mlx5_core pre: virtio_net\n" },
             path: "/etc/modprobe.d/mlx5.conf", line: 1),
        Case(id: "LNX-AUDITD", fail: { fs, _, _ in fs.symlinks["/etc/systemd/system/multi-user.target.wants/auditd.service"] = nil },
             path: "/lib/systemd/system/auditd.service"),
        Case(id: "LNX-MONITOR-AGENT",
             pass: { fs, _, p in
                 p.monitorAgent = .init(paths: ["/usr/local/uma/bin/uma"], service: "uma.service")
                 fs.files["/usr/local/uma/bin/uma"] = "bin"
                 fs.files["/usr/lib/systemd/system/uma.service"] = "[Unit]\n"
                 fs.symlinks["/etc/systemd/system/multi-user.target.wants/uma.service"] = "/usr/lib/systemd/system/uma.service"
             },
             fail: { _, _, p in p.monitorAgent = .init(paths: ["/usr/local/uma/bin/uma"], service: nil) }, path: "/usr/local/uma/bin/uma"),
        Case(id: "LNX-DATA-EMPTY", fail: { fs, _, _ in fs.files["/data/app.conf"] = "x" }, path: "/data/app.conf"),
        Case(id: "LNX-PYTHON", fail: { fs, _, _ in
            fs.files["/usr/local/bin/python3.12"] = "\u{7f}ELF"
            fs.symlinks["/usr/bin/python3"] = "/usr/local/bin/python3.12"
        }, path: "/usr/bin/python3"),
        Case(id: "LNX-NO-DYNAMIC-ID", fail: { fs, _, _ in
            fs.files["/etc/netplan/01-build.yaml"] = "network:\n  ethernets:\n    eth0:\n      match:\n        macaddress: 52:54:00:12:34:56\n"
        }, path: "/etc/netplan/01-build.yaml", line: 5),
        Case(id: "LNX-CLOUD-INIT-CLEAN", fail: { fs, _, _ in
            fs.symlinks["/var/lib/cloud/instance"] = "/var/lib/cloud/instances/i-123"
            fs.directories.insert("/var/lib/cloud/instances/i-123")
        }, path: "/var/lib/cloud/instance"),
        Case(id: "LNX-HOSTS-CLEAN", fail: { fs, _, _ in fs.files["/etc/hosts"]! += "127.0.1.1\tbuild-01\n" }, path: "/etc/hosts", line: 4),
        Case(id: "LNX-CLOUDIMG-LEFTOVERS", fail: { fs, _, _ in
            fs.files["/etc/sysctl.d/99-cloudimg-ipv6.conf"] = "# cloud image\nnet.ipv6.conf.all.use_tempaddr = 0\n"
        }, path: "/etc/sysctl.d/99-cloudimg-ipv6.conf", line: 2),
        Case(id: "LNX-PROTECTED-FILES", fail: { fs, _, _ in fs.files["/etc/modprobe.d/mlx5.conf"]! += "options mlx5_core prof_sel=2\n" },
             path: "/etc/modprobe.d/mlx5.conf", outcome: .warning),
        Case(id: "LNX-HISTORY-CLEAN", fail: { fs, _, _ in fs.files["/var/log/wtmp"] = "login records" }, path: "/var/log/wtmp", outcome: .warning),
        Case(id: "SEC-EOL", pass: { _, _, p in p.endOfLife.dates = [.init(distro: "debian", version: "12", ends: "2999-12-31")] },
             fail: { _, _, p in p.endOfLife.dates = [.init(distro: "debian", version: "12", ends: "2000-01-01")] }, path: "platform profile"),
        Case(id: "SEC-AUTHORIZED-KEYS", fail: { fs, _, _ in
            fs.files["/root/.ssh/authorized_keys"] = "# keys\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKey vendor@build\n"
        }, path: "/root/.ssh/authorized_keys", line: 2),
        Case(id: "SEC-PASSWORD-HASH", fail: { fs, _, _ in
            fs.files["/etc/shadow"] = "root:$6$salt$hash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n"
        }, path: "/etc/shadow", line: 1),
        Case(id: "SEC-SSH-HOST-KEYS", fail: { fs, _, _ in fs.files["/etc/ssh/ssh_host_ed25519_key"] = "key" },
             path: "/etc/ssh/ssh_host_ed25519_key"),
        Case(id: "SEC-MACHINE-ID", fail: { fs, _, _ in fs.files["/etc/machine-id"] = "5f2b9c1e8d3a4b6c9e0f1a2b3c4d5e6f\n" },
             path: "/etc/machine-id"),
        Case(id: "SEC-SSHD-PASSWORD-ROOT", fail: { fs, _, _ in
            fs.files["/etc/ssh/sshd_config.d/50-vendor.conf"] = "# vendor\nPermitRootLogin yes\n"
        }, path: "/etc/ssh/sshd_config.d/50-vendor.conf", line: 2, outcome: .warning),
        Case(id: "SEC-HISTORY", fail: { fs, _, _ in fs.files["/root/.bash_history"] = "mysql -pSecret\n" },
             path: "/root/.bash_history", outcome: .warning),
    ]

    func run(_ rule: Rule, _ mutate: (inout InMemoryFilesystem, inout OSFacts, inout PlatformProfile) -> Void) async -> Finding {
        var fs = Self.clean, facts = Self.facts, profile = PlatformProfile.default
        mutate(&fs, &facts, &profile)
        return await rule.evaluate(RuleContext(fs: fs, facts: facts, profile: profile))
    }

    /// The Linux catalogue here; the WIN rules' pass and fail cases are the
    /// Windows fixture and its variants (WindowsTests), which exercise the
    /// registry through libguestfs as a real image does.
    static let linuxCatalogue = RuleCatalogue.image + RuleCatalogue.linux + RuleCatalogue.security

    func testEveryRuleHasACase() {
        let covered = Set(Self.cases.map(\.id))
        for rule in Self.linuxCatalogue {
            XCTAssertTrue(covered.contains(rule.id), "\(rule.id) has no pass/fail case")
        }
        XCTAssertEqual(Self.cases.count, Self.linuxCatalogue.count, "a case names a rule the catalogue lacks")
        XCTAssertEqual(Set(RuleCatalogue.windows.map(\.id)).union(Self.linuxCatalogue.map(\.id)), Set(RuleCatalogue.all.map(\.id)))
    }

    func testEachRulePassesAndFails() async throws {
        for testCase in Self.cases {
            let rule = try XCTUnwrap(RuleCatalogue.all.first { $0.id == testCase.id }, testCase.id)
            let passing = await run(rule, testCase.pass)
            XCTAssertEqual(passing.outcome, .pass, "\(rule.id) on its passing case: \(passing.found) \(passing.evidence)")
            XCTAssertNil(passing.fix)

            let failing = await run(rule, testCase.fail)
            XCTAssertEqual(failing.outcome, testCase.outcome, "\(rule.id) on its failing case: \(failing.found)")
            XCTAssertNotNil(failing.fix, "\(rule.id): a failure carries its fix")
            XCTAssertFalse(failing.evidence.isEmpty, "\(rule.id): a failure carries evidence")
            if let path = testCase.path {
                let match = failing.evidence.first { $0.path == path }
                XCTAssertNotNil(match, "\(rule.id): evidence \(failing.evidence) does not name \(path)")
                if let line = testCase.line {
                    XCTAssertEqual(match?.line, line, "\(rule.id): evidence does not name line \(line) of \(path)")
                }
            }
        }
    }

    func testTheCleanGuestPassesTheWholeCatalogue() async {
        for rule in RuleCatalogue.all {
            let finding = await run(rule) { _, _, _ in }
            XCTAssertTrue([.pass, .notApplicable, .couldNotCheck].contains(finding.outcome),
                          "\(rule.id) on the clean guest: \(finding.outcome) \(finding.found) \(finding.evidence)")
        }
    }

    func testAnOSMissingFromTheCloudInitTableIsCouldNotCheckNeverPass() async {
        let finding = await run(CloudInitRulesProbe.vendor) { _, _, _ in }
        XCTAssertEqual(finding.outcome, .couldNotCheck)
        XCTAssertTrue(finding.found.contains("Debian 12"), finding.found)
    }

    func testNoMonitoringAgentInTheProfileIsCouldNotCheck() async throws {
        let rule = try XCTUnwrap(RuleCatalogue.all.first { $0.id == "LNX-MONITOR-AGENT" })
        let finding = await run(rule) { _, _, _ in }
        XCTAssertEqual(finding.outcome, .couldNotCheck)
    }

    func testAWaiverKeepsTheFailureVisibleButNotCounted() async throws {
        let rule = try XCTUnwrap(RuleCatalogue.all.first { $0.id == "SEC-MACHINE-ID" })
        let finding = await run(rule) { fs, _, profile in
            fs.files["/etc/machine-id"] = "abc\n"
            profile.waivers = [.init(rule: "SEC-MACHINE-ID", reason: "appliance image, ticket 42")]
        }
        XCTAssertEqual(finding.outcome, .fail)
        XCTAssertEqual(finding.waived, "appliance image, ticket 42")
        XCTAssertFalse(finding.isFailure)
    }

    func testWindowsGuestsAreNotApplicableForLinuxRules() async throws {
        let rule = try XCTUnwrap(RuleCatalogue.all.first { $0.id == "LNX-NO-SWAP" })
        let finding = await run(rule) { _, facts, _ in facts.family = "windows" }
        XCTAssertEqual(finding.outcome, .notApplicable)
    }

    func testUnknownRuleIDIsBadInput() {
        XCTAssertThrowsError(try RuleCatalogue.select(["LNX-NO-SWAP", "LNX-NOPE"])) { error in
            XCTAssertTrue("\(error)".contains("LNX-NOPE"), "\(error)")
        }
    }
}

/// The vendor-build rule, found by ID.
enum CloudInitRulesProbe {
    static let vendor = RuleCatalogue.all.first { $0.id == "LNX-CLOUD-INIT-VENDOR" }!
}
