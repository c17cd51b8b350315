import Foundation
import ImageGateModel

/// Rules about network configuration: what the platform's metadata must be
/// able to change on every new instance.
enum NetworkRules {
    static let networkManagerServerConf = Rule(
        "LNX-NM-SERVER-CONF", .error, title: "NetworkManager server defaults",
        required: "if NetworkManager manages the network: /usr/lib/NetworkManager/conf.d/00-server.conf has no-auto-default=* and ignore-carrier=* under [main]",
        fix: "Write /usr/lib/NetworkManager/conf.d/00-server.conf with a [main] section holding no-auto-default=* and ignore-carrier=* (the guide gives the file).",
        chinese: RuleText(title: "NetworkManager 服务器配置", required: "使用 NetworkManager 管理网络时，/usr/lib/NetworkManager/conf.d/00-server.conf 的 [main] 中有 no-auto-default=* 和 ignore-carrier=*", fix: "按指南写入 /usr/lib/NetworkManager/conf.d/00-server.conf：[main] 段包含 no-auto-default=* 与 ignore-carrier=*。")
    ) { context in
        guard let package = context.facts.package("NetworkManager", "network-manager") else {
            return .notApplicable("NetworkManager is not installed")
        }
        let path = "/usr/lib/NetworkManager/conf.d/00-server.conf"
        guard let lines = try await context.fs.lines(path) else {
            return .violated("\(package.name) is installed but \(path) is missing", [Evidence(path: path, "file not found")])
        }
        var section = ""
        var main: Line?
        var values: [String: Line] = [:]
        for line in lines where !line.isCommentOrBlank {
            if line.trimmed.hasPrefix("[") {
                section = line.trimmed
                if section == "[main]" { main = line }
                continue
            }
            guard section == "[main]", let equals = line.trimmed.firstIndex(of: "=") else { continue }
            let key = line.trimmed[..<equals].trimmingCharacters(in: .whitespaces)
            if line.trimmed[line.trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces) == "*" { values[key] = line }
        }
        let missing = ["no-auto-default", "ignore-carrier"].filter { values[$0] == nil }
        if missing.isEmpty { return .pass("[main] has no-auto-default=* and ignore-carrier=*", values.values.map { .at(path, $0) }) }
        let lacking = missing.map { "\($0)=*" }.joined(separator: " and ")
        let evidence = main.map { Evidence(path: path, line: $0.number, "\($0.text)  (no \(lacking) in this section)") }
            ?? Evidence(path: path, "no [main] section")
        return .violated("[main] lacks \(lacking)", [evidence])
    }

    static let alternativeNames = Rule(
        "LNX-ALTNAMES", .error, title: "No alternative interface names",
        required: "if 99-default.link exists: its AlternativeNamesPolicy line is commented out",
        fix: "sed -i 's/^AlternativeNamesPolicy/# AlternativeNamesPolicy/' /usr/lib/systemd/network/99-default.link",
        chinese: RuleText(title: "关闭网卡备用名", required: "存在 99-default.link 时，其 AlternativeNamesPolicy 行已注释", fix: "sed -i 's/^AlternativeNamesPolicy/# AlternativeNamesPolicy/' /usr/lib/systemd/network/99-default.link")
    ) { context in
        let paths = ["/usr/lib/systemd/network/99-default.link", "/lib/systemd/network/99-default.link"]
        guard let path = try await paths.asyncFirst({ try await context.fs.exists($0) }) else {
            return .notApplicable("no 99-default.link")
        }
        let active = (try await context.fs.lines(path) ?? []).filter { $0.trimmed.hasPrefix("AlternativeNamesPolicy") }
        return active.isEmpty ? .pass("AlternativeNamesPolicy is commented out or absent in \(path)")
            : .violated("AlternativeNamesPolicy is active", active.map { .at(path, $0) })
    }

    // MARK: - Dynamic identity

    static let macPattern = try! NSRegularExpression(pattern: "\\b([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}\\b")

    /// Network configuration files of every common stack.
    static func networkConfigFiles(_ fs: any GuestFilesystem) async throws -> [String] {
        var files: [String] = []
        if try await fs.kind("/etc/network/interfaces") == .file { files.append("/etc/network/interfaces") }
        files += try await fs.files(in: "/etc/network/interfaces.d")
        files += try await fs.files(in: "/etc/netplan", suffix: ".yaml")
        files += try await fs.files(in: "/etc/sysconfig/network-scripts").filter { $0.contains("/ifcfg-") }
        files += try await fs.files(in: "/etc/NetworkManager/system-connections")
        files += try await fs.files(in: "/etc/systemd/network").filter {
            $0.hasSuffix(".network") || $0.hasSuffix(".link") || $0.hasSuffix(".netdev")
        }
        files += try await fs.files(in: "/etc/udev/rules.d", suffix: ".rules")
        return files
    }

    /// A line that sets a static address, by the file's stack.
    static func isStaticAddress(_ line: Line, in path: String) -> Bool {
        let text = line.trimmed
        if path.hasPrefix("/etc/network/interfaces") {
            let words = text.split(separator: " ")
            return words.count >= 4 && words[0] == "iface" && words[1] != "lo" && words[3] == "static"
        }
        if path.hasPrefix("/etc/netplan/") { return text.hasPrefix("addresses:") || text.hasPrefix("- ") && text.contains("/") && text.contains(".") && !text.contains(":") }
        if path.contains("/ifcfg-") { return text.hasPrefix("IPADDR") }
        if path.hasPrefix("/etc/NetworkManager/") { return text.hasPrefix("address1=") || text.hasPrefix("addresses=") }
        if path.hasPrefix("/etc/systemd/network/") { return text.hasPrefix("Address=") }
        return false
    }
    static let noDynamicIdentity = Rule(
        "LNX-NO-DYNAMIC-ID", .error, title: "Nothing pins the build host's IP, hostname or MAC",
        required: "no MAC address in network profiles or udev rules, no 70-persistent-net.rules, no static address of the build host, no stale hostname in /etc/hosts (what stops cloud-init from applying the new network and hostname is LNX-CLOUD-INIT's)",
        fix: "Remove MAC matches and static addresses from the network profiles (let cloud-init write them from the platform's metadata), delete /etc/udev/rules.d/70-persistent-net.rules, and remove build-host names from /etc/hosts.",
        chinese: RuleText(title: "不依赖制作机的 IP、主机名、MAC", required: "网络配置和 udev 规则中无 MAC 地址，无 70-persistent-net.rules，无制作机静态地址，/etc/hosts 中无旧主机名（阻止 cloud-init 应用新网络和主机名的配置由 LNX-CLOUD-INIT 检查）", fix: "删除网络配置中的 MAC 匹配和静态地址（由 cloud-init 按平台元数据生成），删除 /etc/udev/rules.d/70-persistent-net.rules，清理 /etc/hosts 中的制作机主机名。")
    ) { context in
        var pins: [Evidence] = []
        let persistent = "/etc/udev/rules.d/70-persistent-net.rules"
        for path in try await networkConfigFiles(context.fs) {
            let lines = try await context.fs.lines(path) ?? []
            for line in lines where !line.isCommentOrBlank {
                let range = NSRange(line.text.startIndex..., in: line.text)
                let macs = macPattern.matches(in: line.text, range: range).compactMap { Range($0.range, in: line.text).map { String(line.text[$0]) } }
                    .filter { $0.lowercased() != "ff:ff:ff:ff:ff:ff" && $0 != "00:00:00:00:00:00" }
                if !macs.isEmpty || path == persistent || isStaticAddress(line, in: path) {
                    pins.append(.at(path, line))
                }
            }
        }
        pins += try await HostsFile.foreignNames(context.fs)
        return pins.isEmpty ? .pass("no MAC, static address or host name of the build host found")
            : .violated("\(pins.count) setting(s) tie the image to its build host", pins)
    }

    static let hostsClean = Rule(
        "LNX-HOSTS-CLEAN", .error, title: "/etc/hosts without the build host's name",
        required: "/etc/hosts maps only the standard localhost names",
        fix: "Remove the build host's name from /etc/hosts (keep only the localhost lines); cloud-init writes the new hostname on first boot.",
        chinese: RuleText(title: "/etc/hosts 中无制作机主机名", required: "/etc/hosts 只含标准的 localhost 名称", fix: "从 /etc/hosts 中删除制作机主机名（只保留 localhost 行）；新实例首次启动时由 cloud-init 写入新主机名。")
    ) { context in
        guard try await context.fs.exists("/etc/hosts") else { return .pass("no /etc/hosts") }
        let foreign = try await HostsFile.foreignNames(context.fs)
        return foreign.isEmpty ? .pass("/etc/hosts holds only localhost names") : .violated("host name(s) of the build host", foreign)
    }
}

/// /etc/hosts: which lines name something other than localhost.
enum HostsFile {
    static let standardNames: Set<String> = [
        "localhost", "localhost.localdomain", "localhost4", "localhost4.localdomain4", "localhost6",
        "localhost6.localdomain6", "ip6-localhost", "ip6-loopback", "ip6-allnodes", "ip6-allrouters",
        "ip6-localnet", "ip6-mcastprefix", "ip6-allhosts",
    ]

    static func foreignNames(_ fs: any GuestFilesystem) async throws -> [Evidence] {
        var found: [Evidence] = []
        for line in try await fs.lines("/etc/hosts") ?? [] where !line.isCommentOrBlank {
            let content = line.trimmed.split(separator: "#").first ?? ""
            let names = content.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().map(String.init)
            if names.contains(where: { !standardNames.contains($0.lowercased()) }) { found.append(.at("/etc/hosts", line)) }
        }
        return found
    }
}
