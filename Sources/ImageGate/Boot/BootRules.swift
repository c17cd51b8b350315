import Foundation

/// The BOOT-* rules, judged from one ``BootObservation``: the probe's facts
/// where the guest gave them, the console where it did not. A fact nobody
/// could observe is "could not check", never a pass.
public enum BootRules {
    public static let console = "ttyS0"

    static func line(_ mark: ConsoleLog.Mark) -> Evidence { Evidence(path: console, line: mark.line, clip(mark.text)) }

    /// A console line short enough to read (GRUB draws its menu as one).
    static func clip(_ text: String) -> String {
        text.count <= 240 ? text : "…" + text.suffix(239)
    }

    static func rule(_ id: String, _ title: String, _ required: String, _ fix: String) -> Rule {
        // Boot rules are judged by `evaluate`, not by a filesystem check.
        Rule(id, .error, title: title, required: required, fix: fix) { _ in .couldNotCheck("judged from a boot") }
    }

    public static let catalogue: [Rule] = [
        rule("BOOT-CONSOLE", "Console on ttyS0", "ttyS0 prints boot messages and a login prompt",
             "Put console=tty1 console=ttyS0,115200n8 on the kernel command line (GRUB_CMDLINE_LINUX, then update-grub) and keep a getty on ttyS0 (serial-getty@ttyS0)."),
        rule("BOOT-NO-PANIC", "No panic or emergency shell", "no kernel panic, oops, emergency or rescue shell on the console",
             "Fix what the console line shows: an fstab entry for a disk the new instance lacks needs nofail (or removal); a missing init or root device needs the boot configuration regenerated."),
        rule("BOOT-NETWORK", "Network from the metadata", "eth0 comes up with the metadata's MAC and IP, default route via the given gateway",
             "Let cloud-init configure the network from the platform's metadata: remove MAC-pinned and static profiles and 'network: {config: disabled}', keep net.ifnames=0."),
        rule("BOOT-HOSTNAME", "Hostname from the metadata", "the hostname from the metadata is applied",
             "Keep cloud-init enabled with its set_hostname/update_hostname modules; remove preserve_hostname: true and hard-coded /etc/hostname logic."),
        rule("BOOT-DATA-DISK", "Data disk at /data", "the attached data disk is mounted at /data",
             "Keep /data empty or absent, keep cloud-init's disk_setup/fs_setup/mounts modules, and do not pin a build-time disk in /etc/fstab."),
        rule("BOOT-CLOUD-INIT", "cloud-init finished cleanly", "cloud-init finished, with no errors",
             "Read /var/log/cloud-init.log in the evidence bundle; fix or remove the failing module or vendor config (e.g. a bootcmd that fails on a new instance)."),
        rule("BOOT-AUDITD", "auditd active", "auditd is active after first boot",
             "systemctl enable auditd, and check /etc/audit/auditd.conf with 'auditd -f' until it starts cleanly."),
        rule("BOOT-FIREWALLD", "firewalld not active", "firewalld is not active after first boot",
             "systemctl disable --now firewalld (mandatory on Ubuntu 22.04 and later)."),
    ]

    /// Every BOOT rule ID, including those a check of several instances
    /// and declared ports judges.
    public static let allIDs = catalogue.map(\.id) + ["BOOT-SERVICE-PORTS", "BOOT-REINSTANCE"]

    static func finding(_ id: String, _ outcome: Outcome, _ found: String, _ evidence: [Evidence] = []) -> Finding {
        let rule = catalogue.first { $0.id == id }!
        return Finding(rule: id, severity: .error, title: rule.title, outcome: outcome, required: rule.required,
                       found: found, evidence: evidence, fix: outcome == .fail ? rule.fix : nil)
    }

    public static func evaluate(_ o: BootObservation) -> [Finding] {
        [consoleRule(o), noPanic(o), network(o), hostname(o), dataDisk(o), cloudInit(o), auditd(o), firewalld(o)]
    }

    /// Why a fact is missing, for "could not check".
    static func noFacts(_ o: BootObservation) -> String {
        "the guest probe reported nothing (\(o.end)); SSH: \(o.sshProblem ?? "not tried")"
    }

    static func consoleRule(_ o: BootObservation) -> Finding {
        let c = o.console
        guard c.byteCount > 0 else { return finding("BOOT-CONSOLE", .fail, "ttyS0 printed nothing", [Evidence(path: console, "(empty)")]) }
        let boot = c.stages[.kernel] ?? c.stages[.initSystem]
        if let login = c.stages[.loginPrompt], let boot {
            return finding("BOOT-CONSOLE", .pass, "boot messages at \(Int(boot.seconds)) s, login prompt at \(Int(login.seconds)) s",
                           [line(boot), line(login)])
        }
        if case .fatal = o.end, let boot {
            return finding("BOOT-CONSOLE", .pass, "boot messages on ttyS0 (the boot stopped before a login prompt; see BOOT-NO-PANIC)", [line(boot)])
        }
        var evidence = boot.map { [line($0)] } ?? []
        evidence += c.lines.suffix(3).enumerated().map { Evidence(path: console, line: c.lines.count - 2 + $0.offset, clip($0.element)) }
        let missing = [boot == nil ? "boot messages" : nil, c.stages[.loginPrompt] == nil ? "a login prompt" : nil].compactMap { $0 }
        return finding("BOOT-CONSOLE", .fail, "no \(missing.joined(separator: " and ")) on ttyS0 (\(o.end))", evidence)
    }

    static func noPanic(_ o: BootObservation) -> Finding {
        let bad = o.console.hits.filter { $0.pattern.rule == "BOOT-NO-PANIC" }
        guard !bad.isEmpty else { return finding("BOOT-NO-PANIC", .pass, "no panic, oops, emergency or rescue shell") }
        let evidence = bad.prefix(5).flatMap { hit -> [Evidence] in
            [Evidence(path: console, line: hit.mark.line, "\(hit.mark.text)  (\(hit.pattern.meaning))")]
        }
        // The lines just before the first hit usually say why.
        let first = bad[0].mark.line
        let context = o.console.context(of: first, before: 4, after: 0).dropLast().enumerated()
            .map { Evidence(path: console, line: max(1, first - 4) + $0.offset, clip($0.element)) }
        return finding("BOOT-NO-PANIC", .fail, bad.map(\.pattern.meaning).uniqued().joined(separator: ", "), evidence + context)
    }

    /// cloud-init's network table on the console: `ci-info: | eth0 | True | ADDR | MASK | scope | MAC |`.
    static func consoleNetworkLines(_ o: BootObservation) -> [ConsoleLog.Mark] {
        o.console.lines.enumerated().filter { $0.element.hasPrefix("ci-info:") && $0.element.contains("| eth0") }
            .map { ConsoleLog.Mark(seconds: 0, line: $0.offset + 1, text: $0.element) }
    }

    static func network(_ o: BootObservation) -> Finding {
        let want = o.instance
        guard let facts = o.facts else {
            let table = consoleNetworkLines(o)
            if !table.isEmpty {
                let hasIP = table.contains { $0.text.contains("| \(want.ip) ") || $0.text.contains("|  \(want.ip) ") }
                if !hasIP { return finding("BOOT-NETWORK", .fail, "cloud-init's network table shows eth0 without \(want.ip)", table.map(line)) }
            }
            return finding("BOOT-NETWORK", .couldNotCheck, noFacts(o), table.map(line))
        }
        var problems: [String] = []
        let eth0 = facts.interfaces.first { $0.name == "eth0" }
        let byMAC = facts.interfaces.first { $0.mac == want.mac }
        if eth0 == nil { problems.append("no interface eth0 (interfaces: \(facts.interfaces.map(\.name).joined(separator: ", ")))") }
        if let eth0, eth0.mac != want.mac { problems.append("eth0 has MAC \(eth0.mac), not \(want.mac)") }
        if byMAC == nil { problems.append("no interface has MAC \(want.mac)") }
        let address = "\(want.ip)/\(want.prefix)"
        if let eth0, !eth0.ipv4.contains(address) {
            problems.append("eth0 has \(eth0.ipv4.isEmpty ? "no IPv4 address" : eth0.ipv4.joined(separator: ", ")), not \(address)")
        }
        if let eth0, !eth0.up { problems.append("eth0 is down") }
        let defaultRoute = facts.routes.first { $0.destination == "default" }
        if defaultRoute?.gateway != want.gateway {
            problems.append(defaultRoute.map { "default route via \($0.gateway ?? "(none)") on \($0.device ?? "?"), not \(want.gateway)" }
                ?? "no default route (wanted via \(want.gateway))")
        }
        let evidence = facts.interfaces.map { Evidence(path: "ip -j addr (\(facts.channel))", "\($0.name) \($0.mac) \($0.up ? "UP" : "DOWN") \($0.ipv4.joined(separator: " "))") }
            + facts.routes.filter { $0.destination == "default" }.map { Evidence(path: "ip -j route", "default via \($0.gateway ?? "-") dev \($0.device ?? "-")") }
        return problems.isEmpty
            ? finding("BOOT-NETWORK", .pass, "eth0 \(want.mac) has \(address), default via \(want.gateway)", evidence)
            : finding("BOOT-NETWORK", .fail, problems.joined(separator: "; "), evidence)
    }

    static func hostname(_ o: BootObservation) -> Finding {
        let want = o.instance.hostname
        if let facts = o.facts {
            let short = facts.hostname.split(separator: ".").first.map(String.init) ?? facts.hostname
            let evidence = [Evidence(path: "hostname (\(facts.channel))", facts.hostname)]
            return short == want ? finding("BOOT-HOSTNAME", .pass, "hostname is \(facts.hostname)", evidence)
                : finding("BOOT-HOSTNAME", .fail, "hostname is \(facts.hostname), not \(want)", evidence)
        }
        if let prompt = o.console.stages[.loginPrompt], let host = o.console.loginHost {
            return host == want ? finding("BOOT-HOSTNAME", .pass, "the login prompt shows \(host)", [line(prompt)])
                : finding("BOOT-HOSTNAME", .fail, "the login prompt shows \(host), not \(want)", [line(prompt)])
        }
        return finding("BOOT-HOSTNAME", .couldNotCheck, noFacts(o))
    }

    static func dataDisk(_ o: BootObservation) -> Finding {
        guard let facts = o.facts else { return finding("BOOT-DATA-DISK", .couldNotCheck, noFacts(o)) }
        guard let mount = facts.dataMount else {
            return finding("BOOT-DATA-DISK", .fail, "nothing is mounted at /data", [Evidence(path: "findmnt -J /data (\(facts.channel))", "(no filesystem)")])
        }
        let evidence = [Evidence(path: "findmnt -J /data (\(facts.channel))", "\(mount.source) on \(mount.target) type \(mount.fstype)")]
        return mount.source.hasPrefix("/dev/vdb") ? finding("BOOT-DATA-DISK", .pass, "\(mount.source) is mounted at /data", evidence)
            : finding("BOOT-DATA-DISK", .fail, "/data holds \(mount.source), not the data disk /dev/vdb", evidence)
    }

    static func cloudInit(_ o: BootObservation) -> Finding {
        let tracebacks = o.console.hits.filter { $0.pattern.rule == "BOOT-CLOUD-INIT" }.map { line($0.mark) }
        if let facts = o.facts {
            let status = facts.cloudInitStatus ?? "unknown"
            var evidence = [Evidence(path: "cloud-init status (\(facts.channel))", "status: \(status)")]
            evidence += facts.cloudInitErrors.map { Evidence(path: "cloud-init status (\(facts.channel))", "error: \($0)") } + tracebacks
            if status == "done", facts.cloudInitErrors.isEmpty, tracebacks.isEmpty {
                return finding("BOOT-CLOUD-INIT", .pass, "cloud-init finished with no errors", evidence + (o.console.stages[.cloudInitFinished].map { [line($0)] } ?? []))
            }
            return finding("BOOT-CLOUD-INIT", .fail, "cloud-init status \(status), \(facts.cloudInitErrors.count) error(s)", evidence)
        }
        if o.console.cloudInitActivity == nil, o.console.stages[.loginPrompt] != nil {
            return finding("BOOT-CLOUD-INIT", .fail, "cloud-init never ran: it printed nothing on the console", [line(o.console.stages[.loginPrompt]!)])
        }
        if o.console.stages[.cloudInitFinished] == nil, case .deadline(.cloudInitFinished, _) = o.end {
            return finding("BOOT-CLOUD-INIT", .fail, "cloud-init did not finish (\(o.end))", o.console.cloudInitActivity.map { [line($0)] } ?? [])
        }
        return finding("BOOT-CLOUD-INIT", .couldNotCheck, noFacts(o), tracebacks)
    }

    static func failedUnitLines(_ o: BootObservation, _ unit: String) -> [Evidence] {
        o.console.hits.filter { $0.pattern.text == "[FAILED] Failed to start" && $0.mark.text.contains(unit) }.map { line($0.mark) }
    }

    static func auditd(_ o: BootObservation) -> Finding {
        let failed = failedUnitLines(o, "auditd")
        guard let facts = o.facts else {
            return failed.isEmpty ? finding("BOOT-AUDITD", .couldNotCheck, noFacts(o))
                : finding("BOOT-AUDITD", .fail, "auditd failed to start", failed)
        }
        let evidence = [Evidence(path: "systemctl is-active auditd (\(facts.channel))", facts.auditd)] + failed
        return facts.auditd == "active" ? finding("BOOT-AUDITD", .pass, "auditd is active", evidence)
            : finding("BOOT-AUDITD", .fail, "auditd is \(facts.auditd.isEmpty ? "unknown" : facts.auditd)", evidence)
    }

    static func firewalld(_ o: BootObservation) -> Finding {
        guard let facts = o.facts else { return finding("BOOT-FIREWALLD", .couldNotCheck, noFacts(o)) }
        let evidence = [Evidence(path: "systemctl is-active firewalld (\(facts.channel))", facts.firewalld)]
        return ["active", "activating", "reloading"].contains(facts.firewalld)
            ? finding("BOOT-FIREWALLD", .fail, "firewalld is \(facts.firewalld)", evidence)
            : finding("BOOT-FIREWALLD", .pass, "firewalld is \(facts.firewalld)", evidence)
    }
}

extension Array where Element: Hashable {
    func uniqued() -> [Element] {
        var seen = Set<Element>()
        return filter { seen.insert($0).inserted }
    }
}
