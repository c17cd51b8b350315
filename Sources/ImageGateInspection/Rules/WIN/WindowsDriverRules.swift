import Foundation
import ImageGateModel

/// The virtio drivers a Windows image needs on the platform.
package enum WindowsDriverRules {
    static let drivers = ["viostor", "netkvm"]

    static let virtio = Rule(
        "WIN-VIRTIO", .error, title: "virtio storage and network drivers",
        required: "the virtio storage and network drivers (viostor, netkvm) installed; version 0.1.164 for Windows Server 2012 and older, 0.1.229 for newer, not changed without cause",
        fix: "Install the virtio-win drivers (https://fedorapeople.org/groups/virt/virtio-win/direct-downloads/archive-virtio/): 0.1.164 for Windows Server 2012 and older, 0.1.229 for newer; both viostor and netkvm.",
        chinese: RuleText(title: "virtio 存储和网络驱动", required: "已安装 virtio 存储和网络驱动（viostor、netkvm）；Windows Server 2012 及以下建议 0.1.164 版本，以上建议 0.1.229 版本，无明确问题不要修改驱动版本", fix: "安装 virtio-win 驱动（https://fedorapeople.org/groups/virt/virtio-win/direct-downloads/archive-virtio/）：Windows Server 2012 及以下用 0.1.164，以上用 0.1.229；viostor 和 netkvm 都要安装。"),
        families: ["windows"]
    ) { context in
        let registry = try WindowsReads.registry(context)
        let root = WindowsReads.systemRoot(context)
        var missing: [String] = [], evidence: [Evidence] = [], versions: [String: String] = [:]
        for name in drivers {
            let service = try await WindowsReads.service(name, registry)
            evidence.append(WindowsReads.serviceEvidence(name, service, registry))
            let file = driverFile(service?.imagePath, name: name, systemRoot: root)
            let found = try await WindowsReads.find(file, context)
            evidence.append(Evidence(path: found ?? file, found == nil ? "absent" : "present"))
            if service == nil || found == nil { missing.append(name) }
            if let (inf, version) = try await driverStoreVersion(name, context) {
                versions[name] = version
                evidence.append(Evidence(path: inf, "DriverVer \(version) (virtio-win \(release(of: version)))"))
            }
        }
        if !missing.isEmpty {
            return .violated("virtio driver\(missing.count == 1 ? "" : "s") missing: \(missing.joined(separator: ", "))", evidence)
        }
        let recommended = context.facts.majorVersion >= 10 ? "0.1.229" : "0.1.164"
        let off = drivers.compactMap { name in versions[name].flatMap { release(of: $0) != recommended ? "\(name) \(release(of: $0))" : nil } }
        if !off.isEmpty {
            return .violated("\(off.joined(separator: ", ")), where the guide recommends \(recommended) for \(context.facts.productName)",
                             evidence, severity: .warning)
        }
        let unknown = drivers.filter { versions[$0] == nil }
        return .pass("viostor and netkvm installed" + (unknown.isEmpty ? ", virtio-win \(recommended)"
                                                        : "; no driver-store INF for \(unknown.joined(separator: ", ")): version not judged"), evidence)
    }

    /// The driver file a service's ImagePath names (`System32\drivers\x.sys`,
    /// `\SystemRoot\…`, `%SystemRoot%\…`), as a path on C:.
    package static func driverFile(_ imagePath: String?, name: String, systemRoot: String) -> String {
        guard var path = imagePath?.replacingOccurrences(of: "\\", with: "/"), !path.isEmpty else {
            return systemRoot + "/System32/drivers/\(name).sys"
        }
        for prefix in ["/SystemRoot/", "%SystemRoot%/", "/??/C:/", "C:/"] where path.lowercased().hasPrefix(prefix.lowercased()) {
            path = (prefix.hasSuffix("C:/") ? "/" : systemRoot + "/") + path.dropFirst(prefix.count)
        }
        return path.hasPrefix("/") ? path : systemRoot + "/" + path
    }

    /// The version in the driver store's INF (`DriverStore/FileRepository/NAME.inf_*/NAME.inf`,
    /// its `DriverVer = date,version` line).
    static func driverStoreVersion(_ name: String, _ context: RuleContext) async throws -> (String, String)? {
        guard let repository = try await WindowsReads.find(WindowsReads.systemRoot(context) + "/System32/DriverStore/FileRepository", context),
              let folders = try await context.fs.list(repository) else { return nil }
        for folder in folders.sorted() where folder.lowercased().hasPrefix(name + ".inf_") {
            let inf = repository + "/" + folder + "/" + name + ".inf"
            guard let found = try await WindowsReads.find(inf, context), let text = try await context.fs.read(found) else { continue }
            for line in WindowsPath.text(text).split(whereSeparator: \.isNewline) {
                let parts = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2, parts[0].lowercased() == "driverver", let version = parts[1].split(separator: ",").last {
                    return (found, version.trimmingCharacters(in: .whitespaces))
                }
            }
        }
        return nil
    }

    /// virtio-win numbers its drivers' DriverVer `a.b.c.N00` for release
    /// 0.1.N (0.1.229 ships 100.92.104.22900).
    package static func release(of version: String) -> String {
        guard let build = version.split(separator: ".").last.flatMap({ Int($0) }) else { return "unknown" }
        return "0.1.\(build / 100)"
    }
}
