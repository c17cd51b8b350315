import ImageGateModel

/// Rules about installed software the platform depends on.
enum PackageRules {
    static let tzdataLegacy = Rule(
        "LNX-TZDATA-LEGACY", .error, title: "Ubuntu 24.04: tzdata-legacy installed",
        required: "on Ubuntu 24.04 the package tzdata-legacy is installed",
        fix: "apt-get install tzdata-legacy",
        chinese: RuleText(title: "Ubuntu 24.04 安装 tzdata-legacy", required: "Ubuntu 24.04 系统安装了 tzdata-legacy 软件包", fix: "apt-get install tzdata-legacy")
    ) { context in
        guard context.facts.distro == "ubuntu", context.facts.majorVersion == 24, context.facts.minorVersion == 4 else {
            return .notApplicable("only for Ubuntu 24.04; this is \(context.facts.osName)")
        }
        if let package = context.facts.package("tzdata-legacy") { return .pass("tzdata-legacy \(package.version) installed") }
        return .violated("tzdata-legacy is not installed", [Evidence("package tzdata-legacy not in the dpkg database")])
    }

    static let python = Rule(
        "LNX-PYTHON", .error, title: "System python kept",
        required: "the distribution's python is neither removed nor replaced; python/python3 links still point at its interpreter",
        fix: "Reinstall the distribution's python3 package and point /usr/bin/python3 back at its interpreter (e.g. ln -sf python3.11 /usr/bin/python3); install other versions under /usr/local or /opt without touching the python/python3 links.",
        chinese: RuleText(title: "保留系统 Python", required: "不删除、不升级系统自带 Python；python/python3 软链接仍指向发行版解释器", fix: "重新安装发行版的 python3 并把 /usr/bin/python3 指回其解释器（如 ln -sf python3.11 /usr/bin/python3）；其他版本装在 /usr/local 或 /opt，不要修改 python/python3 软链接。")
    ) { context in
        let owner = context.facts.package("python3", "python3-minimal", "python3-libs", "python36", "python38", "python39", "python3.12")
        let links = ["/usr/bin/python3", "/usr/bin/python"]
        var seen: [Evidence] = []
        var problems: [Evidence] = []
        for link in links {
            guard try await context.fs.kind(link) != .missing else { continue }
            let chain = try await context.fs.resolve(link)
            let final = chain.last ?? link
            let description = chain.joined(separator: " -> ")
            let inSystem = final.hasPrefix("/usr/bin/") || final.hasPrefix("/usr/libexec/") || final.hasPrefix("/bin/")
            let finalKind = try await context.fs.kind(final)
            if !inSystem || finalKind != .file {
                problems.append(Evidence(path: link, description + (inSystem ? " (target missing)" : " (not the distribution's interpreter)")))
            } else {
                seen.append(Evidence(path: link, description))
            }
        }
        if !problems.isEmpty { return .violated("python link(s) changed", problems) }
        if seen.isEmpty {
            if let owner { return .violated("\(owner.name) \(owner.version) is installed but /usr/bin/python3 is gone", [Evidence(path: "/usr/bin/python3", "not found")]) }
            return .notApplicable("the image has no system python")
        }
        return .pass("python links point at the system interpreter", seen)
    }
}
