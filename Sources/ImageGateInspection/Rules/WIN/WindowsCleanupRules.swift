import Foundation
import ImageGateModel

/// What a Windows image must not carry from its build: logs, caches,
/// temporary files and browser history; and which updates it has.
enum WindowsCleanupRules {
    /// A cleared event log is its 4 KiB header and one 64 KiB chunk;
    /// a log that grew past that holds the build's events.
    static let clearedEventLogBytes: Int64 = 4096 + 65536

    /// Folders that must be empty, relative to C: (`%SystemRoot%` is /Windows).
    static func emptyFolders(_ systemRoot: String) -> [String] {
        [systemRoot + "/Temp", systemRoot + "/SoftwareDistribution/Download", systemRoot + "/Logs/WindowsUpdate"]
    }

    /// Browser history files under each user's profile.
    static let browserHistory = [
        "AppData/Local/Microsoft/Windows/WebCache/WebCacheV01.dat",
        "AppData/Local/Google/Chrome/User Data/Default/History",
        "AppData/Local/Microsoft/Edge/User Data/Default/History",
    ]

    /// User profiles read for temporary files and browser history (each
    /// costs several directory listings).
    static let maxProfiles = 64

    static let cleanup = Rule(
        "WIN-CLEANUP", .warning, title: "Build leftovers cleaned",
        required: "browser history, Windows Update logs and caches, event logs and temporary files cleaned",
        fix: "Before capturing the image: clear the event logs (wevtutil el | ForEach-Object { wevtutil cl $_ }), empty C:\\Windows\\Temp, each user's %TEMP% and C:\\Windows\\SoftwareDistribution\\Download, delete C:\\Windows\\Logs\\WindowsUpdate\\*, and clear the browsers' history.",
        chinese: RuleText(title: "已清理制作残留", required: "已清理浏览器记录、Windows 更新日志和缓存、事件日志和临时文件", fix: "制作镜像前：清空事件日志（wevtutil el | ForEach-Object { wevtutil cl $_ }），清空 C:\\Windows\\Temp、各用户的 %TEMP% 和 C:\\Windows\\SoftwareDistribution\\Download，删除 C:\\Windows\\Logs\\WindowsUpdate\\*，并清除浏览器记录。"),
        families: ["windows"]
    ) { context in
        let root = WindowsReads.systemRoot(context)
        var left: [Evidence] = []
        var folders = emptyFolders(root)
        let users = try await WindowsReads.find("/Users", context)
        var profiles: [String] = []
        if let users { profiles = (try await context.fs.list(users) ?? []).sorted() }
        var unread: Evidence?
        if profiles.count > maxProfiles {
            unread = Evidence(path: users, "\(profiles.count) user profiles: only the first \(maxProfiles) were read")
            profiles = Array(profiles.prefix(maxProfiles))
        }
        for user in profiles.sorted() { folders.append("/Users/\(user)/AppData/Local/Temp") }
        for folder in folders {
            guard let found = try await WindowsReads.find(folder, context), let names = try await context.fs.list(found), !names.isEmpty else { continue }
            left.append(Evidence(path: found, "\(names.count) entr\(names.count == 1 ? "y" : "ies"): \(names.sorted().prefix(5).joined(separator: ", "))"))
        }
        if let logs = try await WindowsReads.find(root + "/System32/winevt/Logs", context) {
            for name in (try await context.fs.list(logs) ?? []).sorted() where name.lowercased().hasSuffix(".evtx") {
                if let size = try await context.fs.size(logs + "/" + name), size > clearedEventLogBytes {
                    left.append(Evidence(path: logs + "/" + name, "\(size) bytes: events since the log was last cleared"))
                }
            }
        }
        for user in profiles.sorted() {
            for file in browserHistory {
                if let found = try await WindowsReads.find("/Users/\(user)/" + file, context) {
                    left.append(Evidence(path: found, "browser history"))
                }
            }
        }
        if left.isEmpty, let unread { return .couldNotCheck("too many user profiles to read them all", [unread]) }
        return left.isEmpty ? .pass("no temporary files, update caches, grown event logs or browser history", [])
            : .violated("\(left.count) leftover\(left.count == 1 ? "" : "s") of the build", left + (unread.map { [$0] } ?? []))
    }

    static let packages = RegistryKey.software("Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\Packages")

    static let patches = Rule(
        "WIN-PATCHES", .info, title: "Installed updates",
        required: "the latest security updates installed (listed for the reviewer)",
        fix: "Install the latest cumulative update through Windows Update before capturing the image.",
        chinese: RuleText(title: "已安装的更新", required: "已安装最新的安全更新（列出供审核员查看）", fix: "制作镜像前通过 Windows 更新安装最新的累积更新。"),
        families: ["windows"]
    ) { context in
        let registry = try WindowsReads.registry(context)
        let names = try await registry.subkeys(packages) ?? []
        let updates = names.filter { $0.hasPrefix("Package_for_KB") || $0.hasPrefix("Package_for_RollupFix") }.sorted()
        let evidence = updates.prefix(20).map { Evidence(path: registry.describe(packages), String($0.prefix { $0 != "~" }) + " " + ($0.split(separator: "~").last.map(String.init) ?? "")) }
        guard !updates.isEmpty else { return .violated("no installed update found in the servicing store", [Evidence(path: registry.describe(packages), "no Package_for_KB* key")]) }
        return .violated("\(updates.count) update\(updates.count == 1 ? "" : "s") installed", evidence)
    }
}
