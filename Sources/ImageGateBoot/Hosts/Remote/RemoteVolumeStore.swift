import Foundation
import Libvirt
import ImageGateModel

/// ImageGate's storage pool on a remote libvirt host (``RemoteDiskStore``):
/// a `dir` pool, created and started if missing, holding the candidates
/// (`candidate-<sha256>`, uploaded once, verified before each reuse,
/// evicted least recently used above the cap) and each run's overlay,
/// data disk and seed (`run-<machine>-<vm>-…`, deleted after the run).
/// Every byte goes through libvirt's storage API: nothing assumes the host
/// sees this machine's files.
public actor RemoteVolumeStore: RemoteDiskStore {
    let connection: Connection
    let settings: RemotePoolSettings
    let ledger: CandidateLedger
    private var pool: StoragePool?
    /// Candidate uploads or verifications under way in this process, so
    /// two boots of one image on one host share one upload.
    private var inFlight: [String: Task<CandidateVolume, Error>] = [:]

    public init(connection: Connection, settings: RemotePoolSettings, state: StateDirectory) {
        self.connection = connection
        self.settings = settings
        self.ledger = CandidateLedger(path: state.path + "/hosts/" + FileName.safe(connection.uri) + ".candidates.json")
    }

    static let candidatePrefix = "candidate-"
    static let runPrefix = "run-"

    /// The pool, defined (type `dir` at the settings' path), built and
    /// started if it was not.
    func storagePool() async throws -> StoragePool {
        if let pool { return pool }
        let found: StoragePool
        if let existing = try await connection.storagePool(named: settings.name) {
            found = existing
        } else {
            let xml = """
                <pool type='dir'>
                  <name>\(XML.escape(settings.name))</name>
                  <target><path>\(XML.escape(settings.path))</path></target>
                </pool>
                """
            found = try await connection.defineStoragePool(xml: xml)
            try await found.build()
            // Autostart only spares a restart; the pool is started on every use.
            try? await found.setAutostart(true)
        }
        if try await !found.info().active { try await found.start() }
        do {
            try await found.refresh()
        } catch {
            // Only files put there behind libvirt's back need it; libvirt
            // refuses while any stream (another run's upload) is open.
            Log.debug("\(connection.uri): the pool was not refreshed: \(error)")
        }
        pool = found
        return found
    }

    public func candidate(_ image: ImageFile, sha256: String, vm: String) async throws -> CandidateVolume {
        let name = Self.candidatePrefix + sha256
        let hostNow = try await lease(sha256: sha256, vm: vm)
        // One placement of a candidate at a time in this process: a second
        // boot of it waits for the first, then finds it published (whatever
        // became of the first is the first's to report).
        while let running = inFlight[name] { _ = try? await running.value }
        let task = Task { try await self.placeCandidate(image, sha256: sha256, vm: vm, hostNow: hostNow) }
        inFlight[name] = task
        defer { inFlight[name] = nil }
        let volume = try await task.value
        ledger.touch(name)
        return volume
    }

    /// A run volume naming the candidate, made before anything else of it
    /// is read: no machine's eviction deletes a candidate a run volume
    /// names, so from here until the run's volumes go it stays. Returns
    /// when the lease was made, in the host's clock.
    private func lease(sha256: String, vm: String) async throws -> Double? {
        let pool = try await storagePool()
        let name = Self.runVolume(vm: vm, "uses-" + Self.tag(sha256))
        var lease = try await pool.volume(named: name)
        if lease == nil { lease = try await pool.createVolume(xml: Self.volumeXML(name: name, capacity: 0, format: "raw")) }
        guard let lease else { return nil }
        return VolumeTimes(xml: try await lease.xmlDescription()).changed
    }

    /// The cached candidate when its bytes hash to `sha256`. Else uploaded
    /// (hashed as it is sent): under the candidate's name when that is free
    /// (then cached for later runs), else as this run's own volume. libvirt
    /// lets one stream at a time write a volume and deletes none a stream
    /// is using; a cached candidate that does not verify is deleted only
    /// once nothing has written to it for ``settleSeconds``, since another
    /// machine may be uploading it.
    private func placeCandidate(_ image: ImageFile, sha256: String, vm: String, hostNow: Double?) async throws -> CandidateVolume {
        let pool = try await storagePool()
        let name = Self.candidatePrefix + sha256
        let started = ContinuousClock.now
        let size = try Self.fileSize(image.accessPath)
        var targets = [name, Self.runVolume(vm: vm, "upload-" + Self.tag(sha256))]
        if let existing = try await pool.volume(named: name) {
            switch try await verify(existing, sha256: sha256, bytes: size, hostNow: hostNow) {
            case .matches:
                return CandidateVolume(name: name, path: try await existing.path(), uploadedBytes: 0, seconds: (ContinuousClock.now - started).seconds)
            case .inFlight:
                Log.debug("\(connection.uri): \(name) is being written by another run: this run uploads its own")
                targets.removeFirst()
            case .differs(let found):
                Log.warning("\(connection.uri): the cached candidate \(name) \(found): deleted, uploaded again")
                await Teardown.attempt("deleting the damaged \(name)") { try await existing.delete() }
            }
        }
        try await makeRoom(for: size, in: pool)
        for (index, target) in targets.enumerated() {
            do {
                let volume = try await uploadVerified(image, sha256: sha256, bytes: size, as: target, in: pool)
                return CandidateVolume(name: target, path: try await volume.path(), uploadedBytes: size, seconds: (ContinuousClock.now - started).seconds)
            } catch let error as LibvirtError where index + 1 < targets.count {
                Log.debug("\(connection.uri): \(target) could not be written (\(error)): this run uploads its own")
            }
        }
        throw ImageGateError.infrastructure("\(connection.uri): no volume to upload the candidate to")
    }

    /// A new volume `name` holding the image's bytes, which hashed to
    /// `sha256` as they were sent; deleted again if they did not, or the
    /// upload failed.
    private func uploadVerified(_ image: ImageFile, sha256: String, bytes: Int64, as name: String, in pool: StoragePool) async throws -> StorageVolume {
        let volume = try await pool.createVolume(xml: Self.volumeXML(name: name, capacity: bytes, format: "raw"))
        do {
            let sent = try await upload(image.accessPath, length: bytes, into: volume)
            guard sent == sha256 else {
                throw ImageGateError.candidateChanged("\(image.path) changed while it was uploaded to \(connection.uri): the bytes sent hash to \(sent), not \(sha256)")
            }
            return volume
        } catch {
            await Teardown.attempt("deleting the half-uploaded \(name)") { try await volume.delete() }
            throw error
        }
    }

    /// How long a cached candidate that does not verify must have gone
    /// unwritten before it counts as damaged rather than being uploaded.
    static let settleSeconds = 120.0

    enum Verification: Equatable {
        case matches
        /// Being written by another run (or copied by libvirt): left alone.
        case inFlight
        /// What is wrong with it.
        case differs(String)
    }

    /// Whether the volume holds exactly the candidate: its bytes read back
    /// (no more than `bytes`, in bounded time) hash to `sha256`.
    func verify(_ volume: StorageVolume, sha256: String, bytes: Int64, hostNow: Double?) async throws -> Verification {
        let found: String?
        do {
            found = try await digest(of: volume, bytes: bytes)
        } catch let error as LibvirtError where error.isOperationInvalid {
            return .inFlight
        }
        if found == sha256 { return .matches }
        let written = VolumeTimes(xml: try await volume.xmlDescription()).modified
        if let written, let hostNow, hostNow - written < Self.settleSeconds { return .inFlight }
        return .differs(found.map { "hashes to \($0)" } ?? "holds more than the candidate's \(bytes) bytes")
    }

    /// The first 16 hex digits of a candidate's digest: how run volumes name it.
    static func tag(_ sha256: String) -> String { String(sha256.prefix(16)) }

    /// Evicts cached candidates, least recently used first, until `bytes`
    /// more fit under the cap and in the pool's free space. A candidate a
    /// run's volume names is in use and stays.
    private func makeRoom(for bytes: Int64, in pool: StoragePool) async throws {
        guard bytes <= settings.capBytes else {
            throw ImageGateError.infrastructure("\(connection.uri): the candidate (\(GateLimits.describe(bytes))) is larger than the pool's cap of \(GateLimits.describe(settings.capBytes)) (IMAGEGATE_POOL_CAP_GIB)")
        }
        let volumes = try await pool.volumes()
        // Every machine's run volumes: its leases, uploads and overlays name the candidates it uses.
        let runNames = volumes.map(\.name).filter { $0.hasPrefix(Self.runPrefix) }
        var cached: [(name: String, volume: StorageVolume, bytes: Int64)] = []
        for volume in volumes where volume.name.hasPrefix(Self.candidatePrefix) {
            cached.append((volume.name, volume, Int64(try await volume.info().allocation)))
        }
        var used = cached.reduce(0) { $0 + $1.bytes }
        var available = Int64(try await pool.info().available)
        for entry in ledger.leastRecentlyUsedFirst(cached.map(\.name)) {
            guard used + bytes > settings.capBytes || bytes > available else { break }
            let tag = String(entry.dropFirst(Self.candidatePrefix.count).prefix(16))
            if runNames.contains(where: { $0.contains(tag) }) { continue }
            guard let victim = cached.first(where: { $0.name == entry }) else { continue }
            do {
                try await victim.volume.delete()
            } catch {
                Log.warning("\(connection.uri): \(entry) stays (another run is reading or publishing it): \(error)")
                continue
            }
            ledger.forget(entry)
            used -= victim.bytes
            available += victim.bytes
            Log.warning("\(connection.uri): evicted the cached candidate \(entry) (least recently used)")
        }
        guard used + bytes <= settings.capBytes, bytes <= available else {
            throw ImageGateError.infrastructure("\(connection.uri): no room for the candidate (\(GateLimits.describe(bytes))): cached candidates in use take \(GateLimits.describe(used)) of the \(GateLimits.describe(settings.capBytes)) cap, \(GateLimits.describe(available)) free in \(settings.path)")
        }
    }

    public func createOverlay(name: String, backing: String, backingFormat: String, capacity: Int64) async throws -> String {
        let xml = """
            <volume>
              <name>\(XML.escape(name))</name>
              <capacity unit='bytes'>\(capacity)</capacity>
              <target><format type='qcow2'/></target>
              <backingStore><path>\(XML.escape(backing))</path><format type='\(XML.escape(backingFormat))'/></backingStore>
            </volume>
            """
        return try await storagePool().createVolume(xml: xml).path()
    }

    /// A new blank raw volume of `bytes`: what the guest makes on it is
    /// read back as it lies (``read(_:offset:count:)``).
    public func createBlankDisk(name: String, bytes: Int64) async throws -> String {
        try await storagePool().createVolume(xml: Self.volumeXML(name: name, capacity: bytes, format: "raw")).path()
    }

    /// `count` bytes of the volume `name` from `offset`; nil: it has fewer.
    public func read(_ name: String, offset: UInt64, count: Int) async throws -> [UInt8]? {
        guard count > 0 else { return [] }
        guard let volume = try await storagePool().volume(named: name) else {
            throw ImageGateError.infrastructure("\(connection.uri): the volume \(name) went away")
        }
        let bytes = Collected(limit: count)
        try await volume.download(offset: offset, length: UInt64(count)) { bytes.add($0) }
        let read = bytes.value
        return read.count == count ? read : nil
    }

    public func upload(file: String, as name: String) async throws -> String {
        let size = try Self.fileSize(file)
        let volume = try await storagePool().createVolume(xml: Self.volumeXML(name: name, capacity: size, format: "raw"))
        try await upload(file, length: size, into: volume)
        return try await volume.path()
    }

    public func allocation(of name: String) async throws -> Int64? {
        guard let volume = try await storagePool().volume(named: name) else { return nil }
        return Int64(try await volume.info().allocation)
    }

    public func delete(_ name: String) async throws {
        try await storagePool().volume(named: name)?.delete()
    }

    public func deleteRunVolumes(vm: String) async throws {
        let prefix = Self.runVolume(vm: vm, "")
        for volume in try await storagePool().volumes() where volume.name.hasPrefix(prefix) {
            try await volume.delete()
        }
    }

    /// The overlay's name: it names the candidate it is backed by, so a
    /// candidate a run still uses is never evicted.
    public static func overlayVolume(vm: String, sha256: String) -> String {
        runVolume(vm: vm, "overlay-on-" + tag(sha256) + ".qcow2")
    }

    public func describe() async throws -> PoolDescription {
        let pool = try await storagePool()
        let info = try await pool.info()
        var count = 0, bytes: Int64 = 0
        for volume in try await pool.volumes() where volume.name.hasPrefix(Self.candidatePrefix) {
            count += 1
            bytes += Int64(try await volume.info().allocation)
        }
        return PoolDescription(name: settings.name, path: settings.path, capacityBytes: Int64(info.capacity),
                               availableBytes: Int64(info.available), cachedCandidates: count, cachedBytes: bytes,
                               capBytes: settings.capBytes)
    }

    /// Run volumes this machine left on the host (their owner process is
    /// dead and their domain gone): deleted. Other machines' are theirs.
    public func reapLeftovers(activeDomains: Set<String>) async -> [String] {
        var reaped: [String] = []
        // A host that does not answer is reaped at its next use.
        guard let volumes = try? await storagePool().volumes() else { return [] }
        let mine = Self.runPrefix + MachineTag.current + "-"
        for volume in volumes where volume.name.hasPrefix(mine) {
            let vm = String(volume.name.dropFirst(mine.count)).components(separatedBy: "--").first ?? ""
            guard !activeDomains.contains(vm), let owner = VMName.owner(of: vm), !owner.isAlive else { continue }
            // A volume another process deletes first is gone either way.
            if (try? await volume.delete()) != nil { reaped.append("volume \(volume.name)") }
        }
        return reaped
    }

    /// A run's volume name: `run-<machine>-<vm>--<what>`.
    public static func runVolume(vm: String, _ what: String) -> String {
        runPrefix + MachineTag.current + "-" + vm + "--" + what
    }

    static func volumeXML(name: String, capacity: Int64, format: String) -> String {
        """
        <volume>
          <name>\(XML.escape(name))</name>
          <capacity unit='bytes'>\(capacity)</capacity>
          <allocation unit='bytes'>0</allocation>
          <target><format type='\(XML.escape(format))'/><permissions><mode>0600</mode></permissions></target>
        </volume>
        """
    }

    package static func fileSize(_ path: String) throws -> Int64 {
        var status = stat()
        guard stat(path, &status) == 0 else { throw ImageGateError.infrastructure("cannot read \(path): \(String(cString: strerror(errno)))") }
        return Int64(status.st_size)
    }

    /// Streams a local file into a volume over a connection of its own (a
    /// stream holds its connection's thread for its whole length), in
    /// bounded time; returns the SHA-256 of the bytes sent.
    @discardableResult
    func upload(_ path: String, length: Int64, into volume: StorageVolume) async throws -> String {
        guard let file = FileHandle(forReadingAtPath: path) else { throw ImageGateError.infrastructure("cannot open \(path) to upload it") }
        // Read-only: nothing is lost if closing fails.
        defer { try? file.close() }
        let hasher = StreamingSHA256(), deadline = TransferDeadline(bytes: length, what: "uploading \(volume.name) to \(connection.uri)")
        try await withOwnConnection(to: volume.name) { target in
            try await target.upload(length: UInt64(length)) {
                try deadline.check()
                let bytes = [UInt8](try file.read(upToCount: $0) ?? Data())
                hasher.update(bytes)
                return bytes
            }
        }
        return hasher.finish()
    }

    public func download(_ name: String, to path: String, limit: Int64) async throws {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let file = FileHandle(forWritingAtPath: path) else {
            throw ImageGateError.infrastructure("cannot write \(path)")
        }
        // Read-only: nothing is lost if closing fails.
        defer { try? file.close() }
        let written = ByteCount(), deadline = TransferDeadline(bytes: limit, what: "copying \(name) from \(connection.uri)")
        try await withOwnConnection(to: name) { source in
            try await source.download { bytes in
                try deadline.check()
                guard written.add(bytes.count) <= limit else {
                    throw ImageGateError.infrastructure("\(name) on the host is larger than \(GateLimits.describe(limit)): not copied")
                }
                try file.write(contentsOf: Data(bytes))
            }
        }
    }

    /// SHA-256 of a volume's bytes, read back over a connection of its own;
    /// nil when it holds more than `bytes`. Longer than the transfer may
    /// take is an error (a slow host, not a damaged copy).
    func digest(of volume: StorageVolume, bytes: Int64) async throws -> String? {
        struct Oversized: Error {}
        let hasher = StreamingSHA256(), read = ByteCount(), name = volume.name
        let deadline = TransferDeadline(bytes: bytes, what: "reading back \(name) on \(connection.uri)")
        do {
            try await withOwnConnection(to: name) { source in
                try await source.download { chunk in
                    try deadline.check()
                    guard read.add(chunk.count) <= bytes else { throw Oversized() }
                    hasher.update(chunk)
                }
            }
        } catch is Oversized {
            return nil
        }
        return hasher.finish()
    }

    private nonisolated func withOwnConnection(to name: String, _ body: @escaping @Sendable (StorageVolume) async throws -> Void) async throws {
        let uri = connection.uri, poolName = settings.name
        try await Connection.withConnection(uri) { connection in
            await RemoteLink.keepAlive(connection)
            guard let pool = try await connection.storagePool(named: poolName),
                  let volume = try await pool.volume(named: name) else {
                throw ImageGateError.infrastructure("\(uri): the volume \(name) went away")
            }
            try await body(volume)
        }
    }
}

/// The running total of a download, added to from the stream's callback.
private final class ByteCount: @unchecked Sendable {
    private var total: Int64 = 0
    private let lock = NSLock()

    /// Adds `count`; returns the new total.
    func add(_ count: Int) -> Int64 { lock.withLock { total += Int64(count); return total } }
}

/// Bytes of a short download, kept up to a limit, added to from the stream's callback.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private let limit: Int

    init(limit: Int) { self.limit = limit }

    func add(_ chunk: [UInt8]) { lock.withLock { bytes += chunk.prefix(max(0, limit - bytes.count)) } }
    var value: [UInt8] { lock.withLock { bytes } }
}
