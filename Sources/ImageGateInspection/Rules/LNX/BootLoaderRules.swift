import ImageGateModel

/// Rules about GRUB's settings and its generated configuration.
package enum BootLoaderRules {
    /// The kernel arguments the guide puts on every kernel line.
    package static let kernelArguments = ["net.ifnames=0", "biosdevname=0", "console=tty1", "console=ttyS0,115200n8"]

    /// A `KEY=value` assignment in a shell-style file, unquoted.
    struct Assignment {
        var key: String
        var value: String
        var line: Line
    }

    static func assignments(_ lines: [Line]) -> [Assignment] {
        lines.compactMap { line in
            guard !line.isCommentOrBlank, let equals = line.trimmed.firstIndex(of: "=") else { return nil }
            var key = String(line.trimmed[..<equals])
            if key.hasPrefix("export ") { key = String(key.dropFirst(7)) }
            var value = String(line.trimmed[line.trimmed.index(after: equals)...])
            if let hash = value.range(of: " #"), !value.hasPrefix("\"") { value = String(value[..<hash.lowerBound]) }
            value = value.trimmingCharacters(in: .whitespaces)
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = String(value.dropFirst().dropLast())
            }
            return Assignment(key: key, value: value, line: line)
        }
    }

    static let grubDefault = Rule(
        "LNX-GRUB-DEFAULT", .error, title: "/etc/default/grub as the guide sets it",
        required: "/etc/default/grub: no GRUB_TIMEOUT_STYLE, GRUB_TIMEOUT=5, GRUB_CMDLINE_LINUX holds \(kernelArguments.joined(separator: " "))",
        fix: """
            sed -i '/^GRUB_TIMEOUT_STYLE/d' /etc/default/grub; sed -i 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=5/' /etc/default/grub; \
            sed -i 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX="net.ifnames=0 biosdevname=0 console=tty1 console=ttyS0,115200n8"/' /etc/default/grub; \
            then regenerate grub.cfg (update-grub, or grub2-mkconfig -o /boot/grub2/grub.cfg).
            """,
        chinese: RuleText(title: "按指南配置 /etc/default/grub", required: "/etc/default/grub：无 GRUB_TIMEOUT_STYLE，GRUB_TIMEOUT=5，GRUB_CMDLINE_LINUX 含 net.ifnames=0 biosdevname=0 console=tty1 console=ttyS0,115200n8", fix: "sed -i '/^GRUB_TIMEOUT_STYLE/d' /etc/default/grub; sed -i 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=5/' /etc/default/grub; sed -i 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX=\"net.ifnames=0 biosdevname=0 console=tty1 console=ttyS0,115200n8\"/' /etc/default/grub；然后重新生成 grub.cfg（update-grub 或 grub2-mkconfig -o /boot/grub2/grub.cfg）。")
    ) { context in
        let path = "/etc/default/grub"
        guard let lines = try await context.fs.lines(path) else {
            let grub = try await context.facts.grubConfigPaths.asyncFirst { try await context.fs.exists($0) }
            return grub == nil ? .couldNotCheck("no /etc/default/grub and no grub.cfg: the image does not boot with GRUB")
                : .violated("\(path) is missing", [Evidence(path: path, "file not found")])
        }
        let all = assignments(lines)
        var problems: [Evidence] = []
        for style in all where style.key == "GRUB_TIMEOUT_STYLE" {
            problems.append(.at(path, style.line))
        }
        if let timeout = all.last(where: { $0.key == "GRUB_TIMEOUT" }) {
            if timeout.value != "5" { problems.append(.at(path, timeout.line)) }
        } else {
            problems.append(Evidence(path: path, "GRUB_TIMEOUT is not set"))
        }
        if let cmdline = all.last(where: { $0.key == "GRUB_CMDLINE_LINUX" }) {
            let words = Set(cmdline.value.split(separator: " ").map(String.init))
            let missing = kernelArguments.filter { !words.contains($0) }
            if !missing.isEmpty {
                problems.append(Evidence(path: path, line: cmdline.line.number, "\(cmdline.line.text)  (missing: \(missing.joined(separator: " ")))"))
            }
        } else {
            problems.append(Evidence(path: path, "GRUB_CMDLINE_LINUX is not set"))
        }
        return problems.isEmpty ? .pass("GRUB_TIMEOUT=5, no GRUB_TIMEOUT_STYLE, GRUB_CMDLINE_LINUX has the guide's arguments")
            : .violated("\(problems.count) setting(s) differ from the guide", problems)
    }

    package static let grubConfig = Rule(
        "LNX-GRUB-CFG", .error, title: "grub.cfg regenerated with the guide's kernel arguments",
        required: "the default kernel line of the generated grub.cfg carries \(kernelArguments.joined(separator: " "))",
        fix: "Regenerate the boot configuration inside the image after editing /etc/default/grub: update-grub (Debian, Ubuntu) or grub2-mkconfig -o /boot/grub2/grub.cfg (CentOS, Red Hat, Rocky).",
        chinese: RuleText(title: "已重新生成 grub.cfg", required: "生成的 grub.cfg 默认内核行带有 net.ifnames=0 biosdevname=0 console=tty1 console=ttyS0,115200n8", fix: "修改 /etc/default/grub 或更换内核、文件系统后在镜像内重新生成启动配置：debian/ubuntu 执行 update-grub2 和 update-initramfs -u；centos/redhat/rocky 执行 grub2-mkconfig -o /boot/grub2/grub.cfg。")
    ) { context in
        guard let boot = try await DefaultBoot.read(context) else {
            return .couldNotCheck("no grub.cfg at \(context.facts.grubConfigPaths.joined(separator: " or ")): the image does not boot with GRUB")
        }
        guard let entry = boot.entry, let line = entry.argumentsLine else {
            return .couldNotCheck("\(boot.menu.path): the default entry (\(boot.choice)) has no kernel line this tool can read")
        }
        let missing = kernelArguments.filter { !entry.arguments.contains($0) }
        let evidence = [Evidence(path: entry.entry.source, line: line.number, line.trimmed)]
        guard missing.isEmpty else { return .violated("default kernel line lacks \(missing.joined(separator: " "))", evidence) }
        return .pass("default kernel line has the guide's arguments", evidence)
    }
}


import Foundation
