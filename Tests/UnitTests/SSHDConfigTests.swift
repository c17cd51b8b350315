@testable import ImageGate
@testable import ImageGateInspection
@testable import ImageGateModel
import XCTest

/// sshd's configuration and who may log in, read as sshd reads them (the
/// order of `Include`s, first value wins, `Match` blocks conditional), on
/// guests whose keys sit where a uid range or a fixed path would miss them.
final class SSHDConfigTests: XCTestCase {
    static let passwd = """
        root:x:0:0:root:/root:/bin/bash
        daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
        app:x:998:998:App service:/srv/app:/usr/sbin/nologin
        backup:x:34:34:backup:/var/backups:/bin/sh
        alice:x:1000:1000::/home/alice:/bin/bash

        """
    static let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIVendorKey vendor@build\n"

    func guest(_ files: [String: String], directories: Set<String> = []) -> InMemoryFilesystem {
        var all = ["/etc/passwd": Self.passwd, "/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config.d/*.conf\n"]
        all.merge(files) { $1 }
        return InMemoryFilesystem(files: all, symlinks: [:], directories: directories.union(["/etc/ssh/sshd_config.d", "/root", "/home/alice"]))
    }

    func authorizedKeys(_ fs: InMemoryFilesystem) async -> Finding {
        await SecurityRules.authorizedKeys.evaluate(RuleContext(fs: fs, facts: RuleTests.facts, profile: .default))
    }

    func testIncludesAreReadInPlaceInLexicalOrderAndTheFirstValueWins() async throws {
        let fs = guest([
            "/etc/ssh/sshd_config": "# top\nInclude sshd_config.d/*.conf\nPermitRootLogin no\nMatch User alice\n  PermitRootLogin yes\nMatch all\nUseDNS no\n",
            "/etc/ssh/sshd_config.d/20-b.conf": "permitrootlogin=yes\n",
            "/etc/ssh/sshd_config.d/10-a.conf": "PERMITROOTLOGIN = \"prohibit-password\"\nInclude /etc/ssh/nested.conf\n",
            "/etc/ssh/sshd_config.d/.hidden.conf": "AuthorizedKeysFile /hidden\n",
            "/etc/ssh/nested.conf": "Match Address 10.0.0.0/8\nAuthorizedKeysFile /etc/ssh/keys/%u\n",
        ])
        let read = try await SSHDConfig.read(fs)
        let config = try XCTUnwrap(read)
        let effective = try XCTUnwrap(config.effective("PermitRootLogin"))
        XCTAssertEqual(effective.values, ["prohibit-password"])
        XCTAssertEqual(effective.evidence.path, "/etc/ssh/sshd_config.d/10-a.conf")
        XCTAssertEqual(config.conditional("permitrootlogin").map(\.match), ["Match User alice"])
        XCTAssertEqual(config.conditional("AuthorizedKeysFile").map(\.match), ["Match Address 10.0.0.0/8"], "a Match ends with its file")
        XCTAssertNil(config.effective("AuthorizedKeysFile"), "a dot file is no glob match")
        XCTAssertEqual(config.effective("UseDNS")?.values, ["no"], "Match all returns to global settings")
    }

    func testWordsAndSelfIncludeAreBounded() async throws {
        XCTAssertEqual(SSHDConfig.words("AuthorizedKeysFile  \".ssh/my keys\" .ssh/other")?.1, [".ssh/my keys", ".ssh/other"])
        XCTAssertEqual(SSHDConfig.words("Port=22")?.0, "port")
        let read = try await SSHDConfig.read(guest(["/etc/ssh/sshd_config": "Include /etc/ssh/sshd_config\n"]))
        let config = try XCTUnwrap(read)
        XCTAssertTrue(config.problems.first?.contains("nested more than 16") == true, "\(config.problems)")
    }

    func testAKeyInAServiceAccountsHomeFailsWhateverItsUidOrShell() async {
        let finding = await authorizedKeys(guest(["/srv/app/.ssh/authorized_keys": Self.key]))
        XCTAssertEqual(finding.outcome, .fail)
        XCTAssertEqual(finding.evidence.first?.path, "/srv/app/.ssh/authorized_keys")
        XCTAssertTrue(finding.evidence.first?.text.contains("for app, shell /usr/sbin/nologin") == true, "\(finding.evidence)")
    }

    func testAuthorizedKeysFileFromADropInIsExpandedPerAccount() async {
        let fs = guest([
            "/etc/ssh/sshd_config.d/50-vendor.conf": "AuthorizedKeysFile /etc/ssh/authorized_keys/%u %h/.ssh/keys_%U_%%\n",
            "/etc/ssh/authorized_keys/backup": Self.key,
            "/home/alice/.ssh/keys_1000_%": "# none\n" + Self.key,
            "/root/.ssh/authorized_keys": Self.key,
        ])
        let finding = await authorizedKeys(fs)
        XCTAssertEqual(finding.outcome, .fail)
        XCTAssertEqual(Set(finding.evidence.compactMap(\.path)), ["/etc/ssh/authorized_keys/backup", "/home/alice/.ssh/keys_1000_%"],
                       "sshd reads the configured files, not the default one")
        XCTAssertEqual(finding.evidence.first { $0.path == "/home/alice/.ssh/keys_1000_%" }?.line, 2)
    }

    /// /etc/skel is copied into every home made later: a key there is in
    /// each new account's, read with each home-relative pattern.
    func testAKeyInTheSkeletonIsEveryNewAccountsKey() async {
        let finding = await authorizedKeys(guest(["/etc/skel/.ssh/authorized_keys2": Self.key]))
        XCTAssertEqual(finding.outcome, .fail)
        XCTAssertEqual(finding.evidence.first?.path, "/etc/skel/.ssh/authorized_keys2")
        XCTAssertTrue(finding.evidence.first?.text.contains("every new account") == true, "\(finding.evidence)")
        let configured = await authorizedKeys(guest([
            "/etc/ssh/sshd_config.d/50-vendor.conf": "AuthorizedKeysFile /etc/ssh/authorized_keys/%u %h/.ssh/keys\n",
            "/etc/skel/.ssh/keys": Self.key, "/etc/skel/.ssh/authorized_keys": Self.key,
        ]))
        XCTAssertEqual(configured.evidence.compactMap(\.path), ["/etc/skel/.ssh/keys"], "the configured file, not the default one")
        let history = await SecurityRules.history.evaluate(RuleContext(fs: guest(["/etc/skel/.bash_history": "mysql -pS3cret\n"]), facts: RuleTests.facts))
        XCTAssertEqual(history.evidence.first?.path, "/etc/skel/.bash_history", "\(history.evidence)")
        XCTAssertTrue(history.evidence.first?.text.contains("inherited by every new account") == true, "\(history.evidence)")
    }

    func testAuthorizedKeysCommandAndTrustedCAsAreAccessTheImageGrants() async {
        let fs = guest([
            "/etc/ssh/sshd_config.d/60-agent.conf": "AuthorizedKeysCommand /usr/bin/vendor-keys %u\nAuthorizedKeysCommandUser nobody\nMatch Group admins\n TrustedUserCAKeys /etc/ssh/vendor_ca.pub\n",
        ])
        let finding = await authorizedKeys(fs)
        XCTAssertEqual(finding.outcome, .fail)
        XCTAssertEqual(finding.evidence.map(\.line), [1, 4])
        XCTAssertTrue(finding.evidence[1].text.contains("under Match Group admins"), "\(finding.evidence)")
    }

    func testNoKeyAnywhereSshdLooksPasses() async {
        let finding = await authorizedKeys(guest(["/etc/ssh/sshd_config.d/10.conf": "AuthorizedKeysCommand none\n"]))
        XCTAssertEqual(finding.outcome, .pass, finding.found)
        XCTAssertTrue(finding.found.contains("key file(s) sshd would read"), finding.found)
    }

    func testPermitRootLoginYesUnderAMatchIsNamed() async {
        let fs = guest(["/etc/ssh/sshd_config": "PermitRootLogin prohibit-password\nMatch Address 192.168.0.0/16\n    PermitRootLogin yes\n"])
        let finding = await SecurityRules.sshdRootPassword.evaluate(RuleContext(fs: fs, facts: RuleTests.facts, profile: .default))
        XCTAssertEqual(finding.outcome, .warning)
        XCTAssertEqual(finding.found, "PermitRootLogin yes under Match Address 192.168.0.0/16")
        XCTAssertEqual(finding.evidence.first?.line, 3)
    }
}
