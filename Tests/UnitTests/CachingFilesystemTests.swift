import ImageGate
import ImageGateInspection
import XCTest

/// The cache answers exactly what the filesystem under it answers, and asks
/// it once per directory rather than once per path.
final class CachingFilesystemTests: XCTestCase {
    /// Counts what reaches the filesystem below the cache.
    actor Counting: GuestFilesystem {
        let base: InMemoryFilesystem
        var calls: [String] = []
        init(_ base: InMemoryFilesystem) { self.base = base }
        func read(_ path: String) async throws -> String? { calls.append("read \(path)"); return try await base.read(path) }
        func list(_ directory: String) async throws -> [String]? { calls.append("list \(directory)"); return try await base.list(directory) }
        func kind(_ path: String) async throws -> FileKind { calls.append("kind \(path)"); return try await base.kind(path) }
        func readLink(_ path: String) async throws -> String? { calls.append("readLink \(path)"); return try await base.readLink(path) }
        func size(_ path: String) async throws -> Int64? { calls.append("size \(path)"); return try await base.size(path) }
        func initramfsContents(_ path: String) async throws -> [String]? { try await base.initramfsContents(path) }
        func entries(in directory: String) async throws -> [String: FileKind]? {
            calls.append("entries \(directory)")
            guard let names = try await base.list(directory) else { return nil }
            var entries: [String: FileKind] = [:]
            for name in names { entries[name] = try await base.kind(GuestPath.join(directory, name)) }
            return entries
        }
    }

    let guest = InMemoryFilesystem(
        files: ["/usr/lib/systemd/system/auditd.service": "[Unit]", "/etc/hosts": "127.0.0.1 localhost", "/usr/lib/os-release": "ID=debian"],
        symlinks: ["/lib": "usr/lib", "/etc/os-release": "../usr/lib/os-release",
                   "/etc/systemd/system/multi-user.target.wants/auditd.service": "/lib/systemd/system/auditd.service"],
        directories: ["/etc/systemd/system/getty.target.wants", "/data"])

    func testAnswersAsTheFilesystemBelow() async throws {
        let cache = CachingFilesystem(Counting(guest))
        let paths = [
            "/", "/etc", "/etc/hosts", "/etc/os-release", "/lib", "/lib/systemd/system/auditd.service",
            "/lib/systemd/system/firewalld.service", "/etc/systemd/system/multi-user.target.wants/auditd.service",
            "/etc/systemd/system/getty.target.wants", "/etc/netplan", "/etc/netplan/50-cloud-init.yaml",
            "/etc/hosts/not-a-dir", "/data", "/nothing/at/all",
        ]
        for path in paths {
            let cached = try await answers(cache, path)
            let direct = try await answers(guest, path)
            XCTAssertEqual(cached, direct, path)
        }
    }

    /// Every answer a filesystem gives about `path`, as one string.
    /// (The cache reads regular files only: where the filesystem below
    /// would read a directory, the cache refuses it.)
    private func answers(_ fs: any GuestFilesystem, _ path: String) async throws -> String {
        let kind = try await fs.kind(path)
        var text: String?
        do {
            text = try await fs.read(path)
        } catch let problem as GuestFileProblem {
            guard case .notRegular(_, .directory) = problem else { throw problem }
            text = nil
        }
        let list = try await fs.list(path), link = try await fs.readLink(path)
        return "\(kind) \(String(describing: text)) \(String(describing: list)) \(String(describing: link))"
    }

    /// A FIFO or device where a file is expected is never opened (it would
    /// block the appliance): reading it is an error naming it.
    func testReadsRegularFilesOnly() async throws {
        actor Special: GuestFilesystem {
            var opened: [String] = []
            func read(_ path: String) async throws -> String? { opened.append(path); return "" }
            func list(_ directory: String) async throws -> [String]? { directory == "/etc" ? ["os-release", "fifo"] : nil }
            func kind(_ path: String) async throws -> FileKind { path == "/etc" ? .directory : .missing }
            func readLink(_ path: String) async throws -> String? { path == "/etc/os-release" ? "fifo" : nil }
            func size(_ path: String) async throws -> Int64? { nil }
            func initramfsContents(_ path: String) async throws -> [String]? { nil }
            func entries(in directory: String) async throws -> [String: FileKind]? {
                directory == "/etc" ? ["os-release": .symlink, "fifo": .other] : (directory == "/" ? ["etc": .directory] : nil)
            }
        }
        let below = Special()
        let cache = CachingFilesystem(below)
        for path in ["/etc/fifo", "/etc/os-release"] {
            do {
                _ = try await cache.read(path)
                XCTFail("\(path) was read")
            } catch let problem as GuestFileProblem {
                XCTAssertEqual(problem, .notRegular(path: path, kind: .other))
            }
        }
        let opened = await below.opened
        XCTAssertEqual(opened, [], "a FIFO was opened")
    }

    func testAsksOncePerDirectoryAndNeverUnderAMissingOne() async throws {
        let counting = Counting(guest)
        let cache = CachingFilesystem(counting)
        for unit in ["auditd", "firewalld", "cloud-init", "cloud-final"] {
            _ = try await cache.kind("/etc/systemd/system/multi-user.target.wants/\(unit).service")
            _ = try await cache.kind("/usr/lib/systemd/system/\(unit).service")
        }
        let calls = await counting.calls
        XCTAssertEqual(calls.filter { $0.hasPrefix("kind ") }, [], "every kind came from a directory's entries")
        XCTAssertEqual(calls.count, Set(calls).count, "a directory was asked twice: \(calls)")

        let before = await counting.calls.count
        _ = try await cache.kind("/etc/netplan/50-cloud-init.yaml")
        _ = try await cache.read("/etc/netplan/50-cloud-init.yaml")
        _ = try await cache.kind("/etc/sysconfig/network-scripts/ifcfg-eth0")
        let added = await counting.calls.dropFirst(before)
        XCTAssertEqual(Array(added), [], "/etc is listed already, and nothing is asked under a missing folder")
    }
}
