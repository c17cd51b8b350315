import Foundation
import Guestfs
import ImageGateModel

/// How the platform's users reach a Windows instance: RDP, no firewall in
/// the way, no lockout, and the platform's monitoring agent.
package enum WindowsAccessRules {
    static let terminalServer = RegistryKey.system("CurrentControlSet\\Control\\Terminal Server")

    package static let rdp = Rule(
        "WIN-RDP", .error, title: "Remote Desktop enabled",
        required: "Remote Desktop enabled: fDenyTSConnections = 0 and the TermService service not disabled",
        fix: "System Properties → Remote → Allow remote connections to this computer (sets fDenyTSConnections to 0), and set the Remote Desktop Services service (TermService) to Manual or Automatic.",
        chinese: RuleText(title: "已开启远程桌面", required: "已开启远程桌面：fDenyTSConnections = 0，且 TermService 服务未被禁用", fix: "系统属性 → 远程 → 允许远程连接到此计算机（将 fDenyTSConnections 设为 0），并把远程桌面服务（TermService）设为手动或自动。"),
        families: ["windows"]
    ) { context in
        let registry = try WindowsReads.registry(context)
        let deny = try await registry.value(terminalServer, "fDenyTSConnections")?.number
        let service = try await WindowsReads.service("TermService", registry)
        let evidence = [Evidence(path: registry.describe(terminalServer), "fDenyTSConnections = \(deny.map(String.init) ?? "absent (Windows denies by default)")"),
                        WindowsReads.serviceEvidence("TermService", service, registry)]
        var problems: [String] = []
        if deny != 0 { problems.append("Remote Desktop connections are denied") }
        if service == nil { problems.append("no TermService service") } else if service!.disabled { problems.append("TermService is disabled") }
        return problems.isEmpty ? .pass("Remote Desktop enabled", evidence) : .violated(problems.joined(separator: "; "), evidence)
    }

    static let firewallPolicy = RegistryKey.system("CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy")

    static let firewall = Rule(
        "WIN-FIREWALL", .warning, title: "Firewall profiles off",
        required: "every Windows Firewall profile (domain, private, public) off",
        fix: "netsh advfirewall set allprofiles state off",
        chinese: RuleText(title: "关闭所有防火墙配置文件", required: "Windows 防火墙的所有配置文件（域、专用、公用）均已关闭", fix: "netsh advfirewall set allprofiles state off"),
        families: ["windows"]
    ) { context in
        let registry = try WindowsReads.registry(context)
        var on: [String] = [], evidence: [Evidence] = []
        for profile in ["DomainProfile", "StandardProfile", "PublicProfile"] {
            let key = firewallPolicy.child(profile)
            let enabled = try await registry.value(key, "EnableFirewall")?.number
            evidence.append(Evidence(path: registry.describe(key), "EnableFirewall = \(enabled.map(String.init) ?? "absent (on by default)")"))
            if enabled != 0 { on.append(profile) }
        }
        return on.isEmpty ? .pass("every profile off", evidence) : .violated("firewall on for \(on.joined(separator: ", "))", evidence)
    }

    static let accountDomain = RegistryKey.sam("SAM\\Domains\\Account")
    /// In the account domain's fixed data (value F), the lockout threshold
    /// is a little-endian u16 at this offset (after revision, times, the
    /// next RID, password properties, minimum length and history length).
    static let lockoutThresholdOffset = 0x54

    static let lockout = Rule(
        "WIN-LOCKOUT", .error, title: "No account lockout",
        required: "the account lockout threshold is 0 (accounts are never locked out)",
        fix: "secpol.msc → Account Policies → Account Lockout Policy → Account lockout threshold: 0 (or: net accounts /lockoutthreshold:0).",
        chinese: RuleText(title: "不锁定账户", required: "账户锁定阈值为 0（账户永不锁定）", fix: "secpol.msc → 账户策略 → 账户锁定策略 → 账户锁定阈值：0（或 net accounts /lockoutthreshold:0）。"),
        families: ["windows"]
    ) { context in
        let registry = try WindowsReads.registry(context)
        guard let value = try await registry.value(accountDomain, "F") else {
            return .couldNotCheck("\(registry.describe(accountDomain))\\F is absent")
        }
        guard case .binary(let bytes) = value, let threshold = lockoutThreshold(bytes) else {
            return .couldNotCheck("\(registry.describe(accountDomain))\\F is \(value), too short for the lockout threshold at 0x54")
        }
        let evidence = [Evidence(path: registry.describe(accountDomain), "F[0x54] lockout threshold = \(threshold)")]
        return threshold == 0 ? .pass("lockout threshold 0", evidence) : .violated("accounts lock after \(threshold) failed logons", evidence)
    }

    package static func lockoutThreshold(_ f: [UInt8]) -> Int? {
        guard f.count >= lockoutThresholdOffset + 2 else { return nil }
        return Int(f[lockoutThresholdOffset]) | Int(f[lockoutThresholdOffset + 1]) << 8
    }

    static let monitorAgent = Rule(
        "WIN-MONITOR-AGENT", .error, title: "Platform monitoring agent installed",
        required: "the platform's monitoring agent is installed (paths and service from the platform profile)",
        fix: "Install the platform's monitoring agent for Windows as its documentation says (https://docs.ucloud.cn/umon/agent) and set its service to start automatically.",
        chinese: RuleText(title: "已安装平台监控代理", required: "已安装平台的监控代理（路径和服务见平台配置）", fix: "按文档安装平台的 Windows 监控代理（https://docs.ucloud.cn/umon/agent），并把其服务设为自动启动。"),
        families: ["windows"]
    ) { context in
        guard let agent = context.profile.windowsMonitorAgent else {
            return .couldNotCheck("the platform profile names no Windows monitoring agent (set windows_monitor_agent in the profile)")
        }
        let registry = try WindowsReads.registry(context)
        var missing: [String] = [], evidence: [Evidence] = []
        for path in agent.paths {
            let onC = WindowsPath.onSystemDrive(path) ?? path
            let found = try await WindowsReads.find(onC, context)
            evidence.append(Evidence(path: found ?? path, found == nil ? "absent" : "present"))
            if found == nil { missing.append(path) }
        }
        if let name = agent.service {
            let service = try await WindowsReads.service(name, registry)
            evidence.append(WindowsReads.serviceEvidence(name, service, registry))
            if service == nil || service!.disabled { missing.append("service \(name)") }
        }
        return missing.isEmpty ? .pass("agent found", evidence) : .violated("the monitoring agent is missing: \(missing.joined(separator: ", "))", evidence)
    }
}
