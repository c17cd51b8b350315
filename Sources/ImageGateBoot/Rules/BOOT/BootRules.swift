import Foundation
import ImageGateInspection
import ImageGateModel

/// The BOOT-* rules, each one ``BootRule``: judged from one
/// ``BootObservation`` (the probe's facts where the guest gave them, the
/// console where it did not), or from every boot of a check together. A
/// fact nobody could observe is "could not check", never a pass.
public enum BootRules {
    public static let console = "ttyS0"

    static func line(_ mark: ConsoleLog.Mark) -> Evidence { Evidence(path: console, line: mark.line, clip(mark.text)) }

    /// A console line short enough to read (GRUB draws its menu as one),
    /// its length said when it was cut.
    static func clip(_ text: String, length: Int? = nil) -> String {
        let length = max(length ?? 0, text.count)
        return length <= 240 ? text : "[a line of \(length) characters; the end kept:] …" + text.suffix(239)
    }

    /// The last `count` lines the guest itself wrote, numbered as in the
    /// console log, the unfinished last one included: the probe's own facts
    /// block (`probe`, its lines) is never the guest's evidence; a block the
    /// image printed itself is.
    static func lastGuestLines(_ c: ConsoleLog, _ count: Int, probe: ClosedRange<Int>? = nil) -> [Evidence] {
        let all = c.lines + (c.partial.isEmpty ? [] : [c.partial])
        let lastIsPartial = !c.partial.isEmpty
        return all.indices.filter { !(probe?.contains($0 + 1) ?? false) }.suffix(count).map { index in
            let length = lastIsPartial && index == all.count - 1 ? c.partialLength : nil
            return Evidence(path: console, line: index + 1, clip(all[index], length: length))
        }
    }

    /// Why a fact is missing, for "could not check".
    static func noFacts(_ o: BootObservation) -> String {
        "the guest probe reported nothing (\(o.end)); SSH: \(o.sshProblem ?? "not tried")"
    }

    /// Units that failed to start, as the console showed them.
    static func failedUnitLines(_ o: BootObservation, _ unit: String? = nil) -> [Evidence] {
        o.console.hits.filter { $0.pattern.text == "[FAILED] Failed to start" && (unit.map($0.mark.text.contains) ?? true) }.map { line($0.mark) }
    }

    /// Characters of over-long lines a console may carry (a boot loader
    /// drawing its menu as one line comes to a few thousand).
    public static let noiseLimit = 1 << 20

    public static let consoleOutput = BootRule(
        "BOOT-CONSOLE", title: "Console on ttyS0",
        required: "the system booted from the image produces output on ttyS0: a login prompt (kernel messages are welcome, not required)",
        fix: "Put console=tty1 console=ttyS0,115200n8 on the kernel command line (GRUB_CMDLINE_LINUX, then update-grub) and keep a getty on ttyS0 (serial-getty@ttyS0).",
        chinese: RuleText(title: "ttyS0 串口输出", required: "ttyS0 输出启动信息和登录提示", fix: "内核参数加上 console=tty1 console=ttyS0,115200n8（GRUB_CMDLINE_LINUX，然后 update-grub），并保留 ttyS0 上的 getty（serial-getty@ttyS0）。"),
        failureClasses: [.nothingBootable, .stalledBeforeKernel],
        judge: .instance { o in
            let c = o.console
            guard c.byteCount > 0 else { return .violated("ttyS0 printed nothing", [Evidence(path: console, "(empty)")]) }
            if let foreign = o.factsBlocks?.foreign, !foreign.isEmpty {
                let evidence = foreign.prefix(5).map { Evidence(path: console, line: $0.line, "\(clip($0.text))  (this block \($0.standing.rawValue))") }
                let count = foreign.count + (o.factsBlocks?.uncountedBlocks ?? 0)
                return .violated("the image printed ImageGate's facts markers itself: \(count) block(s) that are not this run's probe's", evidence)
            }
            let probeLines = o.factsBlocks?.probeLines
            if case .fatal(let hit) = o.end, hit.pattern.rule == "BOOT-CONSOLE" {
                return .violated("\(hit.pattern.meaning): the firmware found no system to start", [line(hit.mark)])
            }
            if case .consoleFlood = o.end {
                return .violated("\(o.end) (\(c.lineCount) lines)", lastGuestLines(c, 2, probe: probeLines))
            }
            // Noise is judged by how much of it there is, never by whether
            // the watch happened to end before the flood limit.
            if c.droppedScalars > noiseLimit {
                return .violated("ttyS0 carries \(c.droppedScalars) characters in lines too long to read (\(c.truncatedLines) line(s) over \(c.limits.lineScalars) characters; at most \(noiseLimit) in all): the console is unreadable noise",
                                 lastGuestLines(c, 2, probe: probeLines))
            }
            let boot = c.stages[.kernel] ?? c.stages[.initSystem]
            if let login = c.stages[.loginPrompt] {
                let kernel = boot.map { "boot messages at \(Int($0.seconds)) s, " } ?? "no kernel messages (a quiet command line), "
                return .pass(kernel + "login prompt at \(Int(login.seconds)) s", (boot.map { [line($0)] } ?? []) + [line(login)])
            }
            if case .fatal = o.end, let boot {
                return .pass("boot messages on ttyS0 (the boot stopped before a login prompt; see BOOT-NO-PANIC)", [line(boot)])
            }
            var evidence = boot.map { [line($0)] } ?? []
            evidence += lastGuestLines(c, 3, probe: probeLines)
            if let getty = o.facts?.serialGetty, getty.noneComing {
                evidence.append(Evidence(path: "the guest's systemd", clip(getty.noneComingText)))
                return .violated("no login prompt on ttyS0: the guest has no getty on it\(boot == nil ? ", and no boot messages" : "")", evidence)
            }
            return .violated("no login prompt on ttyS0 (\(o.end))\(boot == nil ? ", and no boot messages" : "")", evidence)
        })

    public static let noPanic = BootRule(
        "BOOT-NO-PANIC", title: "No panic or emergency shell",
        required: "no kernel panic, oops, emergency or rescue shell on the console",
        fix: "Fix what the console line shows: an fstab entry for a disk the new instance lacks needs nofail (or removal); a missing init or root device needs the boot configuration regenerated.",
        chinese: RuleText(title: "无内核崩溃或紧急模式", required: "串口上没有 kernel panic、oops、emergency 或 rescue shell", fix: "按串口日志中的行修复：新实例没有的磁盘在 fstab 中须加 nofail（或删除该行）；缺少 init 或根设备须重新生成启动配置。"),
        failureClasses: [.grubShell, .rootNotFound, .noInit, .emergencyShell, .kernelPanic, .oops],
        diagnosis: .noPanic,
        judge: .instance { o in
            let failedUnits = failedUnitLines(o)
            let bad = o.console.hits.filter { $0.pattern.rule == "BOOT-NO-PANIC" }
            guard !bad.isEmpty else {
                // Silence proves nothing until the boot got somewhere: this
                // run's probe answering shows the system came up (a login
                // prompt or cloud-init's line alone is text anything can print).
                let reached = o.console.stages[.cloudInitFinished] ?? o.console.stages[.loginPrompt]
                let upTo = reached.map { $0 == o.console.stages[.cloudInitFinished] ? "cloud-init finished line" : "login prompt" }
                if let facts = o.facts {
                    return .pass("no panic, oops, emergency or rescue shell\(upTo.map { " up to the \($0)" } ?? ""); the guest probe answered over \(facts.channel)",
                                 (reached.map { [line($0)] } ?? []) + failedUnits)
                }
                if let reached, let upTo {
                    return .couldNotCheck("no panic, oops, emergency or rescue shell up to the \(upTo), but no probe of this run answered (\(o.end))",
                                          [line(reached)] + failedUnits)
                }
                return .couldNotCheck("the console reached neither a login prompt nor cloud-init's finished line (\(o.end))", failedUnits)
            }
            let evidence = bad.prefix(5).map { Evidence(path: console, line: $0.mark.line, "\($0.mark.text)  (\($0.pattern.meaning))") }
            // The lines just before the first hit usually say why.
            let first = bad[0].mark.line
            let context = o.console.context(of: first, before: 4, after: 0).dropLast().enumerated()
                .map { Evidence(path: console, line: max(1, first - 4) + $0.offset, clip($0.element)) }
            return .violated(bad.map(\.pattern.meaning).uniqued().joined(separator: ", "), evidence + context + failedUnits)
        })

    /// cloud-init's network table on the console: `ci-info: | eth0 | True | ADDR | MASK | scope | MAC |`.
    static func consoleNetworkLines(_ o: BootObservation) -> [ConsoleLog.Mark] {
        o.console.lines.enumerated().filter { $0.element.contains("ci-info:") && $0.element.contains("| eth0") }
            .map { ConsoleLog.Mark(seconds: 0, line: $0.offset + 1, text: $0.element) }
    }

    public static let network = BootRule(
        "BOOT-NETWORK", title: "Network from the metadata",
        required: "eth0 comes up with the metadata's MAC and IP, default route via the given gateway",
        fix: "Let cloud-init configure the network from the platform's metadata: remove MAC-pinned and static profiles and 'network: {config: disabled}', keep net.ifnames=0.",
        chinese: RuleText(title: "按元数据配置网络", required: "eth0 使用元数据中的 MAC 和 IP 启动，默认路由指向给定网关", fix: "让 cloud-init 按平台元数据配置网络：删除绑定 MAC 的配置和静态配置以及 'network: {config: disabled}'，保留 net.ifnames=0。"),
        diagnosis: .network,
        judge: .instance { o in
            let want = o.instance
            guard let facts = o.facts else {
                let table = consoleNetworkLines(o)
                if !table.isEmpty, !want.dhcp {
                    let hasIP = table.contains { $0.text.contains("| \(want.ip) ") || $0.text.contains("|  \(want.ip) ") }
                    if !hasIP { return .violated("cloud-init's network table shows eth0 without \(want.ip)", table.map(line)) }
                }
                return .couldNotCheck(noFacts(o), table.map(line))
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
            // Further NICs: eth1, eth2, … with their MAC and address.
            for (index, nic) in want.extraNICs.enumerated() {
                let name = "eth\(index + 1)", address = "\(nic.ip)/\(nic.prefix)"
                guard let interface = facts.interfaces.first(where: { $0.mac == nic.mac }) else {
                    problems.append("no interface has MAC \(nic.mac) (\(name))")
                    continue
                }
                if interface.name != name { problems.append("the NIC \(nic.mac) is \(interface.name), not \(name)") }
                if !interface.ipv4.contains(address) {
                    problems.append("\(interface.name) has \(interface.ipv4.isEmpty ? "no IPv4 address" : interface.ipv4.joined(separator: ", ")), not \(address)")
                }
                if !interface.up { problems.append("\(interface.name) is down") }
            }
            let defaultRoute = facts.routes.first { $0.destination == "default" }
            if defaultRoute?.gateway != want.gateway {
                problems.append(defaultRoute.map { "default route via \($0.gateway ?? "(none)") on \($0.device ?? "?"), not \(want.gateway)" }
                    ?? "no default route (wanted via \(want.gateway))")
            }
            let evidence = facts.interfaces.map { Evidence(path: "ip -j addr (\(facts.channel))", "\($0.name) \($0.mac) \($0.up ? "UP" : "DOWN") \($0.ipv4.joined(separator: " "))") }
                + facts.routes.filter { $0.destination == "default" }.map { Evidence(path: "ip -j route", "default via \($0.gateway ?? "-") dev \($0.device ?? "-")") }
            let extra = want.extraNICs.enumerated().map { "; eth\($0.offset + 1) \($0.element.mac) has \($0.element.ip)/\($0.element.prefix)" }.joined()
            guard problems.isEmpty else { return .violated(problems.joined(separator: "; "), evidence) }
            let said = "eth0 \(want.mac) has \(address), default via \(want.gateway)\(extra)"
            switch o.observed.network {
            case let .answered(text)?:
                return .pass(said + "; reached from outside at \(want.ip)", evidence + [Evidence(path: "the host's forward", text, origin: .observed)])
            case let .noAnswer(text)?:
                return .couldNotCheck("the guest says \(said), but the host could not reach it there from outside", evidence + [Evidence(path: "the host's forward", text, origin: .observed)])
            case let .notObservable(text)?:
                return .pass(said + " (the guest's word alone: \(text))", evidence)
            case nil:
                return .pass(said, evidence)
            }
        })

    public static let hostname = BootRule(
        "BOOT-HOSTNAME", title: "Hostname from the metadata",
        required: "the hostname from the metadata is applied",
        fix: "Keep cloud-init enabled with its set_hostname/update_hostname modules; remove preserve_hostname: true and hard-coded /etc/hostname logic.",
        chinese: RuleText(title: "按元数据设置主机名", required: "应用元数据中的主机名", fix: "保持 cloud-init 启用及其 set_hostname/update_hostname 模块；删除 preserve_hostname: true 和写死 /etc/hostname 的逻辑。"),
        diagnosis: .hostname,
        judge: .instance { o in
            let want = o.instance.hostname
            if let facts = o.facts {
                let short = facts.hostname.split(separator: ".").first.map(String.init) ?? facts.hostname
                let evidence = [Evidence(path: "hostname (\(facts.channel))", facts.hostname)]
                return short == want ? .pass("hostname is \(facts.hostname)", evidence)
                    : .violated("hostname is \(facts.hostname), not \(want)", evidence)
            }
            // A login prompt is text anything can print (a boot sector can):
            // it can show the wrong name, never prove the right one.
            if let prompt = o.console.stages[.loginPrompt], let host = o.console.loginHost {
                return host == want ? .couldNotCheck("the login prompt shows \(host), but no probe of this run confirmed it (\(noFacts(o)))", [line(prompt)])
                    : .violated("the login prompt shows \(host), not \(want)", [line(prompt)])
            }
            return .couldNotCheck(noFacts(o))
        })

    public static let dataDisk = BootRule(
        "BOOT-DATA-DISK", title: "Data disk at /data",
        required: "the attached data disk is mounted at /data",
        fix: "Keep /data empty or absent, keep cloud-init's disk_setup/fs_setup/mounts modules, and do not pin a build-time disk in /etc/fstab.",
        chinese: RuleText(title: "数据盘挂载到 /data", required: "挂载的数据盘挂载在 /data", fix: "保持 /data 为空或不存在，保留 cloud-init 的 disk_setup/fs_setup/mounts 模块，不要在 /etc/fstab 中写死制作时的磁盘。"),
        diagnosis: .dataDisk,
        judge: .instance { o in
            guard o.hadDataDisk else { return .notApplicable("the scenario attaches no data disk") }
            let disk = o.observed.dataDisk?.problem == nil ? o.observed.dataDisk : nil
            let read = o.observed.dataDisk.map { [Evidence(path: "the data disk, read by ImageGate", $0.summary, origin: .observed)] } ?? []
            guard let facts = o.facts else {
                if let disk, !disk.mounted, disk.mountCount != nil || disk.filesystem == nil {
                    return .violated("the data disk was never \(disk.filesystem == nil ? "formatted" : "mounted") during the boot", read)
                }
                return .couldNotCheck(noFacts(o), read)
            }
            guard let mount = facts.dataMount else {
                return .violated("nothing is mounted at /data", [Evidence(path: "findmnt -J /data (\(facts.channel))", "(no filesystem)")] + read)
            }
            let evidence = [Evidence(path: "findmnt -J /data (\(facts.channel))", "\(mount.source) on \(mount.target) type \(mount.fstype)")] + read
            guard mount.source.hasPrefix("/dev/vdb") else { return .violated("/data holds \(mount.source), not the data disk /dev/vdb", evidence) }
            let said = "the guest says \(mount.source) is mounted at /data"
            // A disk ImageGate could not read is the machine's failure, never a pass on the guest's word.
            if o.observed.dataDisk?.problem != nil { return .couldNotCheck(said + ", but the data disk could not be read back", evidence) }
            guard let disk else { return .pass("\(mount.source) is mounted at /data", evidence) }
            guard let filesystem = disk.filesystem else {
                return .violated(said + ", but the data disk ImageGate read back holds no filesystem", evidence)
            }
            if disk.mountCount == 0 { return .violated(said + ", but the \(filesystem) on the data disk was never mounted", evidence) }
            if !disk.lastMountPoint.isEmpty, disk.lastMountPoint != "/data" {
                return .violated(said + ", but the data disk records its last mount on \(disk.lastMountPoint)", evidence)
            }
            if !mount.fstype.isEmpty, mount.fstype != filesystem {
                return .violated(said + " as \(mount.fstype), but the data disk holds \(filesystem)", evidence)
            }
            return .pass("\(mount.source) is mounted at /data; the data disk holds \(disk.summary)", evidence)
        })

    public static let cloudInit = BootRule(
        "BOOT-CLOUD-INIT", title: "cloud-init finished cleanly",
        required: "cloud-init finished, with no errors",
        fix: "Read /var/log/cloud-init.log in the evidence bundle; fix or remove the failing module or vendor config (e.g. a bootcmd that fails on a new instance).",
        chinese: RuleText(title: "cloud-init 正常完成", required: "cloud-init 运行完成且没有错误", fix: "查看证据包中的 /var/log/cloud-init.log，修复或删除出错的模块或厂商配置（例如在新实例上会失败的 bootcmd）。"),
        failureClasses: [.cloudInitFailure],
        diagnosis: .cloudInit,
        judge: .instance { o in
            let tracebacks = o.console.hits.filter { $0.pattern.rule == "BOOT-CLOUD-INIT" }.map { line($0.mark) }
            if case let .foreignDatasource(name) = o.end {
                return .violated("cloud-init ran with datasource \(name): it never read this instance's seed (NoCloud, LABEL=cidata), so the platform's metadata and user-data were never applied",
                                 (o.console.stages[.cloudInitFinished].map { [line($0)] } ?? []) + tracebacks)
            }
            if let facts = o.facts {
                let status = facts.cloudInitStatus ?? "unknown"
                var evidence = [Evidence(path: "cloud-init status (\(facts.channel))", "status: \(status)")]
                evidence += facts.cloudInitErrors.map { Evidence(path: "cloud-init status (\(facts.channel))", "error: \($0)") } + tracebacks
                if status == "done", facts.cloudInitErrors.isEmpty, tracebacks.isEmpty {
                    // This run's user-data asked for the data disk's label:
                    // a disk that has it was formatted by the cloud-init that read it.
                    if let disk = o.observed.dataDisk, disk.label == "data" {
                        evidence.append(Evidence(path: "the data disk, read by ImageGate", "formatted during the boot with the label this run's user-data asked for ('data')", origin: .observed))
                    }
                    return .pass("cloud-init finished with no errors", evidence + (o.console.stages[.cloudInitFinished].map { [line($0)] } ?? []))
                }
                return .violated("cloud-init status \(status), \(facts.cloudInitErrors.count) error(s)", evidence)
            }
            if o.console.cloudInitActivity == nil, let prompt = o.console.stages[.loginPrompt] {
                return .violated("cloud-init never ran: it printed nothing on the console", [line(prompt)])
            }
            if o.console.stages[.cloudInitFinished] == nil, case .deadline(.cloudInitFinished, _) = o.end {
                return .violated("cloud-init did not finish (\(o.end))", o.console.cloudInitActivity.map { [line($0)] } ?? [])
            }
            return .couldNotCheck(noFacts(o), tracebacks)
        })

    public static let auditd = BootRule(
        "BOOT-AUDITD", title: "auditd active",
        required: "auditd is active after first boot",
        fix: "systemctl enable auditd, and check /etc/audit/auditd.conf with 'auditd -f' until it starts cleanly.",
        chinese: RuleText(title: "auditd 运行中", required: "首次启动后 auditd 处于运行状态", fix: "systemctl enable auditd，并用 auditd -f 检查 /etc/audit/auditd.conf，直到能正常启动。"),
        diagnosis: .auditd,
        judge: .instance { o in
            let failed = failedUnitLines(o, "auditd")
            guard let facts = o.facts else {
                return failed.isEmpty ? .couldNotCheck(noFacts(o)) : .violated("auditd failed to start", failed)
            }
            let evidence = [Evidence(path: "systemctl is-active auditd (\(facts.channel))", facts.auditd)] + failed
            return facts.auditd == "active" ? .pass("auditd is active", evidence)
                : .violated("auditd is \(facts.auditd.isEmpty ? "unknown" : facts.auditd)", evidence)
        })

    public static let firewalld = BootRule(
        "BOOT-FIREWALLD", title: "firewalld not active",
        required: "firewalld is not active after first boot",
        fix: "systemctl disable --now firewalld (mandatory on Ubuntu 22.04 and later).",
        chinese: RuleText(title: "firewalld 未运行", required: "首次启动后 firewalld 未运行", fix: "systemctl disable --now firewalld（Ubuntu 22.04 及以后版本必做）。"),
        diagnosis: .firewalld,
        judge: .instance { o in
            guard let facts = o.facts else { return .couldNotCheck(noFacts(o)) }
            let evidence = [Evidence(path: "systemctl is-active firewalld (\(facts.channel))", facts.firewalld)]
            return ["active", "activating", "reloading"].contains(facts.firewalld)
                ? .violated("firewalld is \(facts.firewalld)", evidence) : .pass("firewalld is \(facts.firewalld)", evidence)
        })

    public static let servicePorts = BootRule(
        "BOOT-SERVICE-PORTS", title: "Declared service ports answer",
        required: "every service port the product declares accepts connections after first boot",
        fix: "Enable the product's services at boot (systemctl enable …), make them listen on all addresses, and open the ports in any firewall the image runs.",
        chinese: RuleText(title: "声明的服务端口可访问", required: "产品声明的每个服务端口在首次启动后都能建立连接", fix: "让产品服务开机启动（systemctl enable …），监听所有地址，并在镜像运行的防火墙中放行这些端口。"),
        judge: .across { set in
            guard !set.declaredPorts.isEmpty else { return .notApplicable("the scenario declares no service ports") }
            var evidence: [Evidence] = []
            var closed = 0, unprobed = 0
            for boot in set.boots {
                if boot.servicePorts.isEmpty { unprobed += 1 }
                for port in boot.servicePorts {
                    if !port.accepted { closed += 1 }
                    evidence.append(Evidence(path: boot.plan.instance.hostname, "port \(port.guestPort) (127.0.0.1:\(port.hostPort)): \(port.detail)",
                                             origin: port.hostPort == 0 ? .guest : .observed))
                }
            }
            if closed > 0 { return .violated("\(closed) declared port(s) did not accept connections", evidence) }
            if unprobed > 0 || set.boots.isEmpty { return .couldNotCheck("the guest never came up far enough to probe its ports", evidence) }
            return .pass("ports \(set.declaredPorts.map(String.init).joined(separator: ", ")) accept connections", evidence)
        })

    /// sha256sum's digest of no input: what the probe reports when an
    /// instance has no SSH host keys at all.
    package static let digestOfNothing = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

    public static let reinstance = BootRule(
        "BOOT-REINSTANCE", title: "A second instance works too",
        required: "a second instance of the same image, with another hostname, IP and MAC, passes every boot rule; instances do not share SSH host keys or machine-id",
        fix: "Remove everything that ties the image to one instance: SSH host keys, /etc/machine-id, MAC-pinned or static network profiles, hostname pins (see the failing rules).",
        chinese: RuleText(title: "第二个实例同样正常", required: "同一镜像以另一主机名、IP、MAC 创建的第二个实例也通过所有启动检查；实例之间不共享 SSH 主机密钥和 machine-id", fix: "删除所有把镜像绑定到某个实例的内容：SSH 主机密钥、/etc/machine-id、绑定 MAC 或静态的网络配置、主机名固定（见不通过的规则）。"),
        judge: .across { set in
            let boots = set.boots
            guard boots.count >= 2 else { return .notApplicable("the scenario boots one instance (Scenarios/reinstance.yaml boots two)") }
            var problems: [Evidence] = []
            for boot in boots {
                for f in boot.findings where f.outcome == .fail {
                    problems.append(Evidence(path: boot.plan.instance.hostname, "\(f.rule) fails: \(f.found)"))
                }
            }
            let facts = boots.compactMap { boot in boot.observation.facts.map { (boot.plan.instance.hostname, $0) } }
            guard facts.count == boots.count else {
                return problems.isEmpty ? .couldNotCheck("not every instance reported its facts") : .violated("\(problems.count) boot rule failure(s)", problems)
            }
            for (host, fact) in facts where fact.hostKeys.isEmpty || fact.hostKeys == digestOfNothing {
                problems.append(Evidence(path: host, "no SSH host keys generated (/etc/ssh/ssh_host_*_key.pub: none)"))
            }
            let haveKeys = facts.filter { !$0.1.hostKeys.isEmpty && $0.1.hostKeys != digestOfNothing }
            if haveKeys.count >= 2, Set(haveKeys.map(\.1.hostKeys)).count < haveKeys.count {
                problems.append(Evidence("SSH host keys shared by \(haveKeys.map(\.0).joined(separator: " and ")): \(haveKeys[0].1.hostKeys.prefix(16))…"))
            }
            let machineIDs = facts.map(\.1.machineID)
            if machineIDs.contains(where: \.isEmpty) {
                problems.append(Evidence("machine-id: empty on \(facts.filter { $0.1.machineID.isEmpty }.map(\.0).joined(separator: ", "))"))
            } else if Set(machineIDs).count < machineIDs.count {
                problems.append(Evidence("machine-id shared by \(facts.map(\.0).joined(separator: " and ")): \(machineIDs[0].prefix(16))…"))
            }
            let evidence = facts.map { Evidence(path: $0.0, "machine-id \($0.1.machineID.prefix(12))…, host keys \($0.1.hostKeys.prefix(12))…") }
            return problems.isEmpty ? .pass("\(boots.count) instances each passed, with their own host keys and machine-id", evidence)
                : .violated("\(problems.count) problem(s) across \(boots.count) instances", problems + evidence)
        })

    // The boot halves of two static rules: what the running guest shows of
    // them. Their findings merge with the static ones (the worse wins).

    /// LNX-GRUB-CFG at boot: the guide's arguments reached the kernel.
    public static let kernelArguments = BootRule(
        BootLoaderRules.grubConfig.id, BootLoaderRules.grubConfig.severity, title: BootLoaderRules.grubConfig.title,
        required: "the running kernel's command line (/proc/cmdline) carries \(BootLoaderRules.kernelArguments.joined(separator: " "))",
        fix: BootLoaderRules.grubConfig.fix,
        chinese: BootLoaderRules.grubConfig.chinese,
        judge: .instance { o in
            guard let facts = o.facts, !facts.cmdline.isEmpty else { return .couldNotCheck(o.facts == nil ? noFacts(o) : "/proc/cmdline was empty") }
            let words = facts.cmdline.split(separator: " ").map(String.init)
            let missing = BootLoaderRules.kernelArguments.filter { wanted in
                // console=ttyS0 may carry any speed; the others are exact.
                wanted.hasPrefix("console=ttyS0") ? !words.contains { $0.hasPrefix("console=ttyS0") } : !words.contains(wanted)
            }
            let evidence = [Evidence(path: "/proc/cmdline (\(facts.channel))", facts.cmdline)]
            return missing.isEmpty ? .pass("the kernel runs with the guide's arguments", evidence)
                : .violated("the running kernel lacks \(missing.joined(separator: " "))", evidence)
        })

    /// LNX-NO-SWAP at boot: no swap is active.
    public static let activeSwap = BootRule(
        DiskRules.noSwap.id, DiskRules.noSwap.severity, title: DiskRules.noSwap.title,
        required: "no swap is active after first boot (/proc/swaps lists nothing)",
        fix: DiskRules.noSwap.fix,
        chinese: DiskRules.noSwap.chinese,
        judge: .instance { o in
            guard let facts = o.facts else { return .couldNotCheck(noFacts(o)) }
            let swaps = facts.swaps.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            return swaps.isEmpty ? .pass("no active swap", [Evidence(path: "/proc/swaps (\(facts.channel))", "(none)")])
                : .violated("\(swaps.count) active swap area(s)", swaps.map { Evidence(path: "/proc/swaps (\(facts.channel))", $0) })
        })

    /// The rules judged on each boot, in the catalogue's order.
    public static let catalogue: [BootRule] = [consoleOutput, noPanic, network, hostname, dataDisk, cloudInit, auditd, firewalld]

    /// The boot halves of static rules, judged on each boot too.
    public static let staticRuleHalves: [BootRule] = [kernelArguments, activeSwap]

    /// The rules judged on a check's boots together.
    public static let acrossInstances: [BootRule] = [servicePorts, reinstance]

    /// Every BOOT-* rule.
    public static let all = catalogue + acrossInstances

    /// Every BOOT rule ID.
    public static let allIDs = all.map(\.id)
}
