import ImageGateModel

/// Rules about which services start at boot.
enum ServiceRules {
    static let firewalld = Rule(
        "LNX-FIREWALLD", .error, title: "firewalld disabled",
        required: "firewalld stopped and disabled (mandatory on Ubuntu 22.04 and later)",
        fix: "systemctl stop firewalld; systemctl disable firewalld",
        chinese: RuleText(title: "关闭 firewalld", required: "firewalld 已停止并禁用（Ubuntu 22.04 及以后版本必做）", fix: "systemctl stop firewalld; systemctl disable firewalld")
    ) { context in
        let unit = try await UnitState.read("firewalld.service", aliases: ["dbus-org.fedoraproject.FirewallD1.service"],
                                            sysv: "firewalld", in: context.fs)
        if !unit.isInstalled { return .pass("firewalld is not installed") }
        if unit.isEnabled {
            let note = context.facts.isAtLeast("ubuntu", 22, 4) ? " (mandatory to disable on \(context.facts.osName))" : ""
            return .violated("firewalld is enabled\(note)", unit.enabledBy.map { Evidence(path: $0, "enables firewalld.service") })
        }
        return .pass(unit.isMasked ? "firewalld is masked" : "firewalld is installed but not enabled")
    }

    static let auditd = Rule(
        "LNX-AUDITD", .error, title: "auditd enabled",
        required: "auditd installed and enabled to start at boot (a boot proves it runs)",
        fix: "Install the audit daemon (apt-get install auditd / yum install audit) and enable it: systemctl enable auditd",
        chinese: RuleText(title: "auditd 开机启用", required: "已安装 auditd 并设为开机启动（启动检查确认其运行）", fix: "安装审计服务（apt-get install auditd / yum install audit）并启用：systemctl enable auditd")
    ) { context in
        let unit = try await UnitState.read("auditd.service", sysv: "auditd", in: context.fs)
        guard unit.isInstalled else {
            return .violated("auditd is not installed", [Evidence("no auditd.service in \(UnitState.unitDirectories.joined(separator: ", "))")])
        }
        if unit.isMasked { return .violated("auditd is masked", unit.maskedBy.map { Evidence(path: $0, "-> /dev/null") }) }
        if !unit.isEnabled {
            return .violated("auditd is installed but not enabled",
                             [Evidence(path: unit.installed[0], "no enabling symlink in /etc/systemd/system/*.wants")])
        }
        return .pass("auditd is enabled", unit.enabledBy.map { Evidence(path: $0, "enables auditd.service") })
    }

    static let monitorAgent = Rule(
        "LNX-MONITOR-AGENT", .error, title: "Platform monitoring agent installed",
        required: "the platform's monitoring agent is installed (paths and service from the platform profile)",
        fix: "Install the platform's monitoring agent as its documentation says (https://docs.ucloud.cn/umon/agent) and enable its service.",
        chinese: RuleText(title: "安装平台监控 Agent", required: "已安装平台的监控 Agent（路径与服务见平台配置）", fix: "按监控代理文档（https://docs.ucloud.cn/umon/agent）安装平台监控 Agent 并启用其服务。")
    ) { context in
        guard let agent = context.profile.monitorAgent else {
            return .couldNotCheck("the platform profile names no monitoring agent (set monitor_agent in the profile)")
        }
        var missing: [Evidence] = []
        for path in agent.paths where try await !context.fs.exists(path) {
            missing.append(Evidence(path: path, "not found"))
        }
        if let service = agent.service {
            let unit = try await UnitState.read(service, in: context.fs)
            if !unit.isEnabled { missing.append(Evidence("\(service) is \(unit.isInstalled ? "not enabled" : "not installed")")) }
        }
        return missing.isEmpty ? .pass("agent found at \(agent.paths.joined(separator: ", "))")
            : .violated("the monitoring agent is missing or not enabled", missing)
    }
}
