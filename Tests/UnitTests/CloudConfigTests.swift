@testable import ImageGate
@testable import ImageGateInspection
@testable import ImageGateModel
import XCTest

/// cloud-init's configuration merged as cloud-init merges it (cloud.cfg,
/// then cloud.cfg.d in lexical order, the later winning, mappings merged
/// key by key), and what LNX-CLOUD-INIT, SEC-AUTHORIZED-KEYS and
/// SEC-PASSWORD-HASH make of it, each at the file and line that decides.
final class CloudConfigTests: XCTestCase {
    static let cloudCfg = """
        users:
          - default
        disable_root: true
        preserve_hostname: false
        cloud_init_modules:
          - migrator
          - bootcmd
          - [write-files, once]
          - set-hostname
          - update_hostname
          - users-groups
          - ssh
        system_info:
          distro: debian
          default_user:
            name: debian
            lock_passwd: true

        """

    func guest(_ dropIns: [String: String], main: String = cloudCfg, extra: [String: String] = [:]) -> InMemoryFilesystem {
        var fs = RuleTests.clean
        fs.files["/etc/cloud/cloud.cfg"] = main
        for (name, text) in dropIns { fs.files["/etc/cloud/cloud.cfg.d/" + name] = text }
        fs.files.merge(extra) { $1 }
        return fs
    }

    func cloudInit(_ fs: InMemoryFilesystem) async -> Finding {
        await CloudInitRules.installed.evaluate(RuleContext(fs: fs, facts: RuleTests.facts, profile: .default))
    }

    func testTheLaterFileWinsAndTheDecidingLineIsNamed() async {
        let none = await cloudInit(guest(["90_dpkg.cfg": "datasource_list: [ NoCloud, ConfigDrive, None ]\n",
                                          "99-vendor.cfg": "# pinned\ndatasource_list: [ None ]\n", "README": "datasource_list: [ NoCloud ]\n"]))
        XCTAssertEqual(none.outcome, .fail)
        XCTAssertEqual(none.evidence.first?.path, "/etc/cloud/cloud.cfg.d/99-vendor.cfg")
        XCTAssertEqual(none.evidence.first?.line, 2)
        XCTAssertTrue(none.evidence.first?.text.contains("never looks for the platform's datasource (NoCloud)") == true, "\(none.evidence)")
        let overridden = await cloudInit(guest(["05-vendor.cfg": "datasource_list: [ None ]\n", "90_dpkg.cfg": "datasource_list: [ NoCloud, None ]\n"]))
        var linked = guest(["90_dpkg.cfg": "datasource_list: [ NoCloud, None ]\n"], extra: ["/opt/vendor/ds.cfg": "datasource_list: [ None ]\n"])
        linked.symlinks["/etc/cloud/cloud.cfg.d/99-vendor.cfg"] = "/opt/vendor/ds.cfg"
        let throughLink = await cloudInit(linked)
        XCTAssertEqual(throughLink.evidence.first?.path, "/etc/cloud/cloud.cfg.d/99-vendor.cfg", "a drop-in that is a symlink is read: \(throughLink.evidence)")
        XCTAssertEqual(overridden.outcome, .pass, "\(overridden.evidence)")
        var profile = PlatformProfile.default
        profile.cloudInitDatasources = ["ConfigDrive"]
        let other = await CloudInitRules.installed.evaluate(RuleContext(fs: guest(["90_dpkg.cfg": "datasource_list: [ NoCloud, None ]\n"]),
                                                                        facts: RuleTests.facts, profile: profile))
        XCTAssertEqual(other.outcome, .fail, "the profile names the platform's datasources")
    }

    func testHostnameNetworkAndModulesThatNeverApplyTheInstanceFail() async {
        let preserved = await cloudInit(guest(["50-vendor.cfg": "preserve_hostname: true\n"]))
        XCTAssertEqual(preserved.evidence.map(\.path), ["/etc/cloud/cloud.cfg.d/50-vendor.cfg"])
        XCTAssertTrue(preserved.evidence.first?.text.hasPrefix("preserve_hostname: true: cloud-init keeps the image's hostname") == true, "\(preserved.evidence)")
        let restored = await cloudInit(guest(["10-a.cfg": "preserve_hostname: true\n", "20-b.cfg": "preserve_hostname: false\n"]))
        XCTAssertEqual(restored.outcome, .pass, "\(restored.evidence)")
        // A nested key merges into cloud.cfg's mapping, and is found there.
        let network = await cloudInit(guest(["99-disable-network-config.cfg": "network:\n  config: disabled\n"],
                                             main: Self.cloudCfg + "network:\n  version: 2\n"))
        XCTAssertEqual(network.evidence.first?.line, 2, "\(network.evidence)")
        XCTAssertTrue(network.evidence.first?.text.contains("never applies the platform's network") == true, "\(network.evidence)")
        let modules = await cloudInit(guest(["50-vendor.cfg": "cloud_init_modules: [migrator, [set_hostname, always], users_groups]\n"]))
        XCTAssertEqual(modules.outcome, .fail)
        XCTAssertEqual(modules.evidence.map(\.text).filter { $0.contains("the module") }.count, 1, "\(modules.evidence)")
        XCTAssertTrue(modules.evidence.first?.text.contains("the module ssh is in no stage") == true, "\(modules.evidence)")
    }

    func testDsIdentifyAndTheKernelCommandLineCount() async {
        let disabled = await cloudInit(guest([:], extra: ["/etc/cloud/ds-identify.cfg": "# vendor\npolicy: disabled\n"]))
        XCTAssertEqual(disabled.evidence.first?.path, "/etc/cloud/ds-identify.cfg")
        XCTAssertEqual(disabled.evidence.first?.line, 2)
        let search = await cloudInit(guest([:], extra: ["/etc/cloud/ds-identify.cfg": "policy: search,found=all,maybe=all,notfound=disabled\n"]))
        XCTAssertEqual(search.outcome, .pass, "notfound=disabled is cloud-init's own default: \(search.evidence)")
        var fs = guest([:])
        fs.files["/boot/grub/grub.cfg"] = fs.files["/boot/grub/grub.cfg"]!.replacingOccurrences(of: " ro ", with: " ro ci.ds=Ec2 ")
        let forced = await cloudInit(fs)
        XCTAssertTrue(forced.evidence.first?.text.hasPrefix("ci.ds=Ec2 on the kernel command line") == true, "\(forced.evidence)")
    }

    func testKeysAndPasswordsCloudInitInstallsOnEveryInstanceFail() async {
        let fs = guest(["50-vendor.cfg": """
            ssh_authorized_keys:
              - ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIVendorKey vendor@build
            users:
              - default
              - name: support
                ssh-authorized-keys: [ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ support@vendor]
                plain_text_passwd: S3cret!
            chpasswd:
              list: |
                root:$6$abc$def
                debian:RANDOM

            """])
        let keys = await SecurityRules.authorizedKeys.evaluate(RuleContext(fs: fs, facts: RuleTests.facts))
        XCTAssertEqual(keys.outcome, .fail)
        XCTAssertEqual(keys.evidence.map(\.line), [2, 6], "\(keys.evidence)")
        XCTAssertTrue(keys.evidence.last?.text.contains("cloud-init installs it for support on every instance") == true, "\(keys.evidence)")
        let passwords = await SecurityRules.passwordHash.evaluate(RuleContext(fs: fs, facts: RuleTests.facts))
        XCTAssertEqual(passwords.outcome, .fail)
        XCTAssertEqual(passwords.evidence.map(\.text), [
            "plain_text_passwd for support: a password in clear (cloud-init sets it on every instance)",
            "chpasswd list for root: a hash $6$… (cloud-init sets it on every instance)",
        ])
        let clean = await SecurityRules.passwordHash.evaluate(RuleContext(fs: guest([:]), facts: RuleTests.facts))
        XCTAssertEqual(clean.outcome, .pass, "\(clean.evidence)")
    }

    /// The files are the guest's: one that is not YAML is skipped and
    /// named; aliases standing for far more than the file are never
    /// expanded; a directory named like a file is not read.
    func testHostileFilesAreSkippedAndNamed() async throws {
        var laughs = "a: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n"
        for level in 1...9 { laughs += "l\(level): &l\(level) [" + Array(repeating: level == 1 ? "*a" : "*l\(level - 1)", count: 9).joined(separator: ", ") + "]\n" }
        laughs += "datasource_list: *l9\n"
        let deep = "datasource_list: " + String(repeating: "[", count: 200_000) + "\n"
        let dashes = "users:\n" + String(repeating: "- ", count: 100_000) + "x\n"
        let fs = guest(["10-broken.cfg": "datasource_list: [ NoCloud\n  - : :\n", "20-laughs.cfg": laughs, "30-dir.cfg/x": "y",
                        "40-deep.cfg": deep, "41-dashes.cfg": dashes, "45-big.cfg": "datasource_list: [ None ]\n" + String(repeating: "#", count: 2 << 20), "50-fine.cfg": "datasource_list: [ \"[[[[\", NoCloud ]\n"])
        let read = try await CloudConfig.read(fs)
        let config = try XCTUnwrap(read)
        XCTAssertTrue(config.problems.contains { $0.hasPrefix("/etc/cloud/cloud.cfg.d/10-broken.cfg: not YAML") }, "\(config.problems)")
        XCTAssertTrue(config.problems.contains("/etc/cloud/cloud.cfg.d/40-deep.cfg: nested more than 64 levels deep: not read"), "\(config.problems)")
        XCTAssertTrue(config.problems.contains { $0.hasPrefix("/etc/cloud/cloud.cfg.d/41-dashes.cfg: nested") }, "\(config.problems)")
        XCTAssertTrue(config.problems.contains { $0.hasPrefix("/etc/cloud/cloud.cfg.d/45-big.cfg: 2097") && $0.hasSuffix("bytes, over the 1 MiB read") }, "\(config.problems)")
        XCTAssertEqual(config.value("datasource_list")?.strings, ["[[[[", "NoCloud"], "a bracket in a string is no nesting")
        let laughsOnly = CloudConfig.nesting(laughs)
        XCTAssertLessThan(laughsOnly, 3)
        var aliases = CloudConfig()
        aliases.merge(laughs, file: "laughs.cfg")
        XCTAssertEqual(aliases.value("datasource_list")?.node.sequence?.count, 9, "a list of nine lists of aliases, not its expansion")
        let finding = await cloudInit(fs)
        XCTAssertEqual(finding.outcome, .pass, "the last file read names NoCloud: \(finding.found)")
        XCTAssertTrue(finding.found.contains("not read: /etc/cloud/cloud.cfg.d/10-broken.cfg"), finding.found)
    }
}
