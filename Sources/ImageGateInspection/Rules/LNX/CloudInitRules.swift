import ImageGateModel

/// Rules about cloud-init: present, enabled, the platform's build, clean.
enum CloudInitRules {
    static let units = ["cloud-init-local.service", "cloud-init.service", "cloud-config.service", "cloud-final.service"]

    static let installed = Rule(
        "LNX-CLOUD-INIT", .error, title: "cloud-init installed and enabled",
        required: "cloud-init installed, not disabled by /etc/cloud/cloud-init.disabled, the kernel command line, or masked units; its merged configuration (cloud.cfg, cloud.cfg.d, ds-identify.cfg, ci.ds= on the kernel command line) looks for the platform's datasource and applies the new hostname, network and keys",
        fix: "Keep cloud-init and its services: reinstall it if removed, rm -f /etc/cloud/cloud-init.disabled, systemctl unmask \(units.joined(separator: " ")), and remove cloud-init=disabled from the kernel command line; in /etc/cloud/cloud.cfg and cloud.cfg.d keep the platform's datasource in datasource_list, preserve_hostname: false, no network: {config: disabled}, and set_hostname, users_groups and ssh in their stage; no policy: disabled in /etc/cloud/ds-identify.cfg.",
        chinese: RuleText(title: "cloud-init 已安装并启用", required: "已安装 cloud-init，且未被 /etc/cloud/cloud-init.disabled、内核参数或屏蔽（mask）的服务禁用；合并后的配置（cloud.cfg、cloud.cfg.d、ds-identify.cfg、内核参数 ci.ds=）会查找平台的数据源，并应用新的主机名、网络和公钥", fix: "不可删除 cloud-init 软件包及其相关服务：如已删除请重新安装；rm -f /etc/cloud/cloud-init.disabled；systemctl unmask cloud-init-local cloud-init cloud-config cloud-final；去掉内核参数 cloud-init=disabled；/etc/cloud/cloud.cfg 及 cloud.cfg.d 中 datasource_list 须包含平台的数据源，preserve_hostname: false，不可有 network: {config: disabled}，set_hostname、users_groups、ssh 模块须保留；/etc/cloud/ds-identify.cfg 中不可有 policy: disabled。")
    ) { context in
        guard let package = context.facts.package("cloud-init") else {
            return .violated("cloud-init is not installed", [Evidence("package cloud-init not in the \(context.facts.packageFormat) database")])
        }
        var problems: [Evidence] = []
        if try await context.fs.exists("/etc/cloud/cloud-init.disabled") {
            problems.append(Evidence(path: "/etc/cloud/cloud-init.disabled", "present: cloud-init does nothing at boot"))
        }
        for unit in units {
            let state = try await UnitState.read(unit, in: context.fs)
            problems += state.maskedBy.map { Evidence(path: $0, "-> /dev/null (masked)") }
        }
        let entry = try await DefaultBoot.read(context)?.entry
        if let entry, let line = entry.argumentsLine, entry.arguments.contains("cloud-init=disabled") {
            problems.append(Evidence(path: entry.entry.source, line: line.number, line.trimmed))
        }
        guard problems.isEmpty else { return .violated("cloud-init \(package.version) is installed but disabled", problems) }
        let (configured, notChecked) = try await CloudInitConfiguration.problems(context, kernelArguments: entry?.arguments ?? [])
        let unchecked = notChecked.isEmpty ? "" : " (not read: \(notChecked.joined(separator: "; ")))"
        guard configured.isEmpty else {
            return .violated("cloud-init \(package.version) is enabled but configured not to apply the platform's instance\(unchecked)", configured)
        }
        return .pass("cloud-init \(package.version) installed and enabled; its merged configuration reads the platform's datasource (\(context.profile.cloudInitDatasources.joined(separator: ", "))) and applies hostname, network and keys\(unchecked)")
    }

    static let vendorBuild = Rule(
        "LNX-CLOUD-INIT-VENDOR", .error, title: "The platform's cloud-init build",
        required: "the installed cloud-init is the platform's build for this OS (its version carries the platform's tag), not the community one",
        fix: "Replace cloud-init with the platform's build for this OS from the seller guide's download table (e.g. rpm -Uvh / dpkg -i the listed package).",
        chinese: RuleText(title: "使用平台版 cloud-init", required: "cloud-init 须为平台为该系统提供的版本（版本号带平台标识），不可使用社区版", fix: "按卖家指南的 cloud-init 下载表安装该系统对应的平台版本（rpm -Uvh / dpkg -i 表中的软件包）。")
    ) { context in
        guard let package = context.facts.package("cloud-init") else {
            return .notApplicable("cloud-init is not installed (LNX-CLOUD-INIT reports it)")
        }
        guard let build = context.profile.cloudInitBuild(for: context.facts) else {
            return .couldNotCheck("\(context.facts.osName) is not in the platform's cloud-init table; installed: cloud-init \(package.version)")
        }
        let tag = context.profile.cloudInitTag
        let evidence = [Evidence("installed cloud-init \(package.version); the platform's build for \(context.facts.osName) is \(build.package)")]
        let expected = expectedVersion(build.package)
        if package.version.contains(tag), expected.map({ package.version.hasPrefix($0) }) ?? true {
            return .pass("cloud-init \(package.version) is the platform's build", evidence)
        }
        return .violated("cloud-init \(package.version) is not the platform's build (\(build.package))", evidence)
    }

    /// The upstream version in a package file name: `24.1.3` of
    /// `cloud-init_24.1.3-1ubuntu2~22.04.5ucloud_all.deb`.
    static func expectedVersion(_ file: String) -> String? {
        let rest = file.drop { !$0.isNumber }
        let version = rest.prefix { $0.isNumber || $0 == "." || $0 == "+" || $0.isLetter && $0 != "-" }
        let numeric = version.prefix { $0.isNumber || $0 == "." }
        return numeric.isEmpty ? nil : String(numeric).trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    static let clean = Rule(
        "LNX-CLOUD-INIT-CLEAN", .error, title: "cloud-init cleaned",
        required: "`cloud-init clean` was run: no /var/lib/cloud/instance, no per-instance data; /usr/local/ucloud/.cache/metadata.json absent",
        fix: "Run cloud-init clean --logs and rm -f /usr/local/ucloud/.cache/metadata.json before capturing the image.",
        chinese: RuleText(title: "已清理 cloud-init 数据", required: "已执行 cloud-init clean：无 /var/lib/cloud/instance 及实例数据；无 /usr/local/ucloud/.cache/metadata.json", fix: "制作镜像前执行 cloud-init clean --logs 和 rm -f /usr/local/ucloud/.cache/metadata.json。")
    ) { context in
        var leftovers: [Evidence] = []
        if try await context.fs.kind("/var/lib/cloud/instance") != .missing {
            let target = try await context.fs.readLink("/var/lib/cloud/instance")
            leftovers.append(Evidence(path: "/var/lib/cloud/instance", target.map { "-> \($0)" } ?? "present"))
        }
        for name in try await context.fs.list("/var/lib/cloud/instances") ?? [] {
            leftovers.append(Evidence(path: "/var/lib/cloud/instances/" + name, "data of instance \(name)"))
        }
        for path in ["/var/lib/cloud/data/instance-id", "/usr/local/ucloud/.cache/metadata.json"] where try await context.fs.exists(path) {
            leftovers.append(Evidence(path: path, "present"))
        }
        return leftovers.isEmpty ? .pass("no per-instance cloud-init data") : .violated("cloud-init data of a previous instance", leftovers)
    }

    static let cloudImageLeftovers = Rule(
        "LNX-CLOUDIMG-LEFTOVERS", .error, title: "Cloud base image leftovers removed",
        required: "removed: /etc/default/grub.d/50-cloudimg-settings.cfg, /etc/netplan/50-cloud-init.yaml, /etc/sysctl.d/99-cloudimg-ipv6.conf",
        fix: "rm -f /etc/default/grub.d/50-cloudimg-settings.cfg /etc/netplan/50-cloud-init.yaml /etc/sysctl.d/99-cloudimg-ipv6.conf (then regenerate grub.cfg)",
        chinese: RuleText(title: "已删除云镜像残留文件", required: "已删除 /etc/default/grub.d/50-cloudimg-settings.cfg、/etc/netplan/50-cloud-init.yaml、/etc/sysctl.d/99-cloudimg-ipv6.conf", fix: "rm -f /etc/default/grub.d/50-cloudimg-settings.cfg /etc/netplan/50-cloud-init.yaml /etc/sysctl.d/99-cloudimg-ipv6.conf（然后重新生成 grub.cfg）")
    ) { context in
        let paths = ["/etc/default/grub.d/50-cloudimg-settings.cfg", "/etc/netplan/50-cloud-init.yaml", "/etc/sysctl.d/99-cloudimg-ipv6.conf"]
        var present: [Evidence] = []
        for path in paths where try await context.fs.exists(path) {
            let first = try await context.fs.lines(path)?.first { !$0.isCommentOrBlank }
            present.append(first.map { .at(path, $0) } ?? Evidence(path: path, "present"))
        }
        return present.isEmpty ? .pass("none of the three files is present") : .violated("\(present.count) leftover file(s)", present)
    }
}

import Foundation
