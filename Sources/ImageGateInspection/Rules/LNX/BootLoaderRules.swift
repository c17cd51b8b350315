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

    /// The default kernel's command line, where it was found, and how.
    struct KernelLine {
        var path: String
        var line: Line?
        var arguments: [String]
    }

    /// The first kernel line of grub.cfg, or for BootLoaderSpec (blscfg)
    /// images, the `options` of the newest entry (resolving `$kernelopts`
    /// from grubenv).
    static func defaultKernelLine(_ context: RuleContext) async throws -> (String, KernelLine?)? {
        guard let path = try await context.facts.grubConfigPaths.asyncFirst({ try await context.fs.exists($0) }),
              let lines = try await context.fs.lines(path) else { return nil }
        for line in lines {
            let words = line.trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            if let first = words.first, ["linux", "linux16", "linuxefi"].contains(first) {
                return (path, KernelLine(path: path, line: line, arguments: Array(words.dropFirst(2))))
            }
        }
        if lines.contains(where: { $0.trimmed.hasPrefix("blscfg") }) {
            let entries = try await context.fs.files(in: "/boot/loader/entries", suffix: ".conf")
            guard let newest = entries.last, let entry = try await context.fs.lines(newest),
                  let options = entry.first(where: { $0.trimmed.hasPrefix("options") }) else { return (path, nil) }
            var arguments = options.trimmed.split(separator: " ").dropFirst().map(String.init)
            if arguments.contains("$kernelopts"), let env = try await context.fs.read(GuestPath.directory(of: path) + "/grubenv") {
                let opts = env.split(separator: "\n").first { $0.hasPrefix("kernelopts=") }
                arguments.removeAll { $0 == "$kernelopts" }
                arguments += opts.map { $0.dropFirst("kernelopts=".count).split(separator: " ").map(String.init) } ?? []
            }
            return (path, KernelLine(path: newest, line: options, arguments: arguments))
        }
        return (path, nil)
    }

    package static let grubConfig = Rule(
        "LNX-GRUB-CFG", .error, title: "grub.cfg regenerated with the guide's kernel arguments",
        required: "the default kernel line of the generated grub.cfg carries \(kernelArguments.joined(separator: " ")), and its kernel, initramfs and root= are on this disk",
        fix: "Regenerate the boot configuration inside the image after editing /etc/default/grub or changing kernels or filesystems: update-grub (Debian, Ubuntu) or grub2-mkconfig -o /boot/grub2/grub.cfg (CentOS, Red Hat, Rocky).",
        chinese: RuleText(title: "已重新生成 grub.cfg", required: "生成的 grub.cfg 默认内核行带有 net.ifnames=0 biosdevname=0 console=tty1 console=ttyS0,115200n8，且其内核、initramfs 和 root= 都在本磁盘上", fix: "修改 /etc/default/grub 或更换内核、文件系统后在镜像内重新生成启动配置：debian/ubuntu 执行 update-grub2 和 update-initramfs -u；centos/redhat/rocky 执行 grub2-mkconfig -o /boot/grub2/grub.cfg。")
    ) { context in
        guard let (path, kernel) = try await defaultKernelLine(context) else {
            return .couldNotCheck("no grub.cfg at \(context.facts.grubConfigPaths.joined(separator: " or ")): the image does not boot with GRUB")
        }
        guard let kernel else { return .couldNotCheck("\(path) has no kernel line this tool can read") }
        let missing = kernelArguments.filter { !kernel.arguments.contains($0) }
        let evidence = [Evidence(path: kernel.path, line: kernel.line?.number, kernel.line?.trimmed ?? "")]
        let chain = kernel.path == path ? try await BootChain.check(kernel, grubLines: try await context.fs.lines(path) ?? [], context: context) : BootChain()
        var broken = chain.problems.isEmpty ? [] : ["the boot chain is broken: \(chain.problems.map(\.text).joined(separator: "; "))"]
        if !missing.isEmpty { broken.insert("default kernel line lacks \(missing.joined(separator: " "))", at: 0) }
        // The kernel line is evidence when what is wrong is in grub.cfg, not only on the disk's boot sector.
        let inGrubConfig = !missing.isEmpty || chain.problems.contains { !($0.path ?? "").hasPrefix("/dev/") }
        guard broken.isEmpty else { return .violated(broken.joined(separator: "; "), (inGrubConfig ? evidence : []) + chain.problems) }
        let unchecked = chain.notChecked.isEmpty ? "" : " (not checked: \(chain.notChecked.joined(separator: "; ")))"
        return .pass("default kernel line has the guide's arguments; its kernel, initramfs and root are on this disk\(unchecked)", evidence)
    }
}


import Foundation
