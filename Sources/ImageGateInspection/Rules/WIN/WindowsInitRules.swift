import Foundation
import ImageGateModel

/// How a new Windows instance initialises itself: cloudbase-init, or the
/// platform's startup script; and what it must not carry from the build.
package enum WindowsInitRules {
    static let cloudbaseFolder = "/Program Files/Cloudbase Solutions/Cloudbase-Init"

    static let cloudbaseInit = Rule(
        "WIN-CLOUDBASE-INIT", .error, title: "cloudbase-init installed (Windows Server 2016 and later)",
        required: "Windows Server 2016 and later: cloudbase-init installed, its package and services kept, C:\\Program Files\\Cloudbase Solutions untouched",
        fix: "Install the platform's cloudbase-init build (seller guide, cloud-init downloads) and keep its service and its folder C:\\Program Files\\Cloudbase Solutions.",
        chinese: RuleText(title: "已安装 cloudbase-init（Windows Server 2016 及以上）", required: "Windows Server 2016 及以上：已安装 cloudbase-init，不删除其软件包和服务，不改动 C:\\Program Files\\Cloudbase Solutions", fix: "安装平台提供的 cloudbase-init（卖家指南中的 cloud-init 下载链接），保留其服务和 C:\\Program Files\\Cloudbase Solutions 目录。"),
        families: ["windows"]
    ) { context in
        guard WindowsReads.isServer2016OrLater(context.facts) else {
            return .notApplicable("only for Windows Server 2016 and later; this is \(context.facts.productName)")
        }
        let registry = try WindowsReads.registry(context)
        let programs = try await WindowsReads.installedPrograms(matching: "cloudbase-init", registry)
        let service = try await WindowsReads.service("cloudbase-init", registry)
        let folder = try await WindowsReads.find(cloudbaseFolder, context)
        var evidence = programs.map { Evidence(path: registry.describe($0.key), "DisplayName \"\($0.displayName)\"") }
        if programs.isEmpty { evidence.append(Evidence(path: registry.describe(WindowsReads.uninstallKeys[0]), "no program named Cloudbase-Init")) }
        evidence.append(WindowsReads.serviceEvidence("cloudbase-init", service, registry))
        evidence.append(Evidence(path: folder ?? cloudbaseFolder, folder == nil ? "absent" : "present"))
        var missing: [String] = []
        if programs.isEmpty { missing.append("not installed") }
        if service == nil { missing.append("no cloudbase-init service") } else if service!.disabled { missing.append("its service is disabled") }
        if folder == nil { missing.append("no \(cloudbaseFolder)") }
        return missing.isEmpty ? .pass("\(programs[0].displayName), service registered", evidence)
            : .violated("cloudbase-init: \(missing.joined(separator: ", "))", evidence)
    }

    static let startupScripts = RegistryKey.software("Microsoft\\Windows\\CurrentVersion\\Group Policy\\Scripts\\Startup")

    static let bootScript = Rule(
        "WIN-BOOTSCRIPT", .error, title: "Startup script C:\\bootstrap.bat (without cloudbase-init)",
        required: "without cloudbase-init: C:\\bootstrap.bat registered as a machine startup script (Group Policy)",
        fix: "gpedit.msc → Computer Configuration → Windows Settings → Scripts → Startup → Add: C:\\bootstrap.bat (the platform's script), or install cloudbase-init.",
        chinese: RuleText(title: "启动脚本 C:\\bootstrap.bat（无 cloudbase-init 时）", required: "没有 cloudbase-init 的系统：C:\\bootstrap.bat 已注册为计算机启动脚本（组策略）", fix: "运行 gpedit.msc → 计算机配置 → Windows 设置 → 脚本 → 启动 → 添加：C:\\bootstrap.bat（平台的脚本）；或安装 cloudbase-init。"),
        families: ["windows"]
    ) { context in
        let registry = try WindowsReads.registry(context)
        if let service = try await WindowsReads.service("cloudbase-init", registry), !service.disabled {
            return .notApplicable("cloudbase-init is installed (\(registry.describe(service.key))): it initialises new instances")
        }
        var evidence: [Evidence] = []
        var registered = false
        for gpo in try await registry.subkeys(startupScripts) ?? [] {
            for entry in try await registry.subkeys(startupScripts.child(gpo)) ?? [] {
                let key = startupScripts.child(gpo).child(entry)
                guard let script = try await registry.value(key, "Script")?.text else { continue }
                evidence.append(Evidence(path: registry.describe(key), "Script = \(script)"))
                if isBootstrap(script) { registered = true }
            }
        }
        if evidence.isEmpty { evidence.append(Evidence(path: registry.describe(startupScripts), "no startup script registered")) }
        let ini = WindowsReads.systemRoot(context) + "/System32/GroupPolicy/Machine/Scripts/scripts.ini"
        if let found = try await WindowsReads.find(ini, context), let text = try await context.fs.read(found) {
            var section = ""
            for line in WindowsPath.text(text).split(whereSeparator: \.isNewline).map({ $0.trimmingCharacters(in: .whitespaces) }) {
                if line.hasPrefix("[") { section = line.lowercased(); continue }
                let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
                if section == "[startup]", parts.count == 2, parts[0].lowercased().hasSuffix("cmdline") {
                    evidence.append(Evidence(path: found, "[Startup] \(line)"))
                    if isBootstrap(parts[1]) { registered = true }
                }
            }
        } else {
            evidence.append(Evidence(path: ini, "absent"))
        }
        let script = try await WindowsReads.find("/bootstrap.bat", context)
        evidence.append(Evidence(path: script ?? "/bootstrap.bat", script == nil ? "absent" : "present"))
        if registered, script != nil { return .pass("C:\\bootstrap.bat is a startup script", evidence) }
        return .violated(registered ? "C:\\bootstrap.bat is registered but not on the disk" : "no cloudbase-init, and C:\\bootstrap.bat is not a startup script", evidence)
    }

    static func isBootstrap(_ path: String) -> Bool {
        WindowsPath.onSystemDrive(path)?.lowercased() == "/bootstrap.bat"
    }

    static let stateKey = RegistryKey.software("Cloudbase Solutions\\Cloudbase-Init")
    static let logFile = cloudbaseFolder + "/log/cloudbase-init.log"

    static let cloudbaseClean = Rule(
        "WIN-CLOUDBASE-CLEAN", .error, title: "cloudbase-init state cleaned",
        required: "registry key HKLM\\SOFTWARE\\Cloudbase Solutions\\Cloudbase-Init removed, ...\\Cloudbase-Init\\log\\cloudbase-init.log empty",
        fix: "In PowerShell: Remove-Item -Path \"HKLM:\\SOFTWARE\\Cloudbase Solutions\\Cloudbase-Init\" -Recurse -Force; Set-Content -Path \"C:\\Program Files\\Cloudbase Solutions\\Cloudbase-Init\\log\\cloudbase-init.log\" -Value \"\"",
        chinese: RuleText(title: "已清理 cloudbase-init 状态", required: "注册表项 HKLM\\SOFTWARE\\Cloudbase Solutions\\Cloudbase-Init 已删除，...\\Cloudbase-Init\\log\\cloudbase-init.log 为空", fix: "在 PowerShell 中执行：Remove-Item -Path \"HKLM:\\SOFTWARE\\Cloudbase Solutions\\Cloudbase-Init\" -Recurse -Force；Set-Content -Path \"C:\\Program Files\\Cloudbase Solutions\\Cloudbase-Init\\log\\cloudbase-init.log\" -Value \"\""),
        families: ["windows"]
    ) { context in
        let registry = try WindowsReads.registry(context)
        var problems: [String] = [], evidence: [Evidence] = []
        if let instances = try await registry.subkeys(stateKey) {
            problems.append("the Cloudbase-Init state key is there")
            evidence.append(Evidence(path: registry.describe(stateKey), instances.isEmpty ? "present" : "present, with \(instances.joined(separator: ", "))"))
        } else {
            evidence.append(Evidence(path: registry.describe(stateKey), "absent"))
        }
        if let log = try await WindowsReads.find(logFile, context) {
            let size = try await context.fs.size(log) ?? 0
            evidence.append(Evidence(path: log, "\(size) bytes"))
            if size > 0 { problems.append("the cloudbase-init log is not empty") }
        } else {
            evidence.append(Evidence(path: logFile, "absent"))
        }
        return problems.isEmpty ? .pass("no cloudbase-init state from the build", evidence) : .violated(problems.joined(separator: "; "), evidence)
    }

    package static let noDynamicIdentity = Rule(
        "WIN-NO-DYNAMIC-ID", .error, title: "No dependence on IP, hostname or MAC",
        required: "the image does not depend on the IP, hostname or MAC it was built with",
        fix: "Make services read the instance's address and name at boot instead of the build machine's.",
        chinese: RuleText(title: "不依赖 IP、主机名或 MAC", required: "镜像不依赖制作时的 IP、主机名或 MAC 地址", fix: "让服务在启动时读取实例自己的地址和名称，而不是制作机器的。"),
        families: ["windows"]
    ) { _ in
        .couldNotCheck("judged only by booting the image as new instances, and ImageGate does not boot Windows images yet: a reviewer checks it by hand, or waives it in the profile")
    }
}
