import Foundation
import ImageGateInspection
import ImageGateModel

/// Follows ttyS0 (the console log file) as it arrives, feeds it to a
/// ``ConsoleLog``, asks for the guest's facts over SSH once the guest is up
/// (and the console has not delivered them first),
/// and decides when watching ends: facts in hand (and the login prompt
/// seen, or given up on), a fatal console line, a stage past its deadline,
/// the VM gone, or the overall timeout.
package struct ConsoleWatcher: Sendable {
    let plan: BootPlan
    let vm: any VirtualMachineInstance
    let progress: @Sendable (FirstBoot.Event) -> Void
    var pollInterval: Duration = .milliseconds(100)
    /// Where in the console log this watch starts: 0 for the first boot,
    /// the first boot's end for the boot after a reboot.
    var startOffset: UInt64 = 0

    /// What the overlay takes on its host's disk: the local file's blocks,
    /// or a remote host's volume allocation.
    var overlayBytes: @Sendable (BootPlan) async -> Int64? = { allocatedBytes($0.overlay) }

    package init(plan: BootPlan, vm: any VirtualMachineInstance, progress: @escaping @Sendable (FirstBoot.Event) -> Void) {
        self.plan = plan
        self.vm = vm
        self.progress = progress
    }

    /// Read from the console file at most this much between two looks at
    /// the deadlines.
    static let readChunk = 1 << 20

    /// Once the boot is over, the console is read on until it has been
    /// quiet this long, for at most ``tailLimit``.
    static let tailQuiet = Duration.milliseconds(500)
    static let tailLimit = Duration.seconds(3)

    /// How much of `pending` decodes whole: an incomplete UTF-8 sequence at
    /// its end waits for the next read.
    static func completeUTF8Length(_ pending: Data) -> Int {
        var cut = pending.count
        while cut > 0, pending.count - cut < 4, pending[cut - 1] & 0xC0 == 0x80 { cut -= 1 }
        if cut > 0, pending[cut - 1] & 0x80 != 0, pending.count - cut < 4 { cut -= 1 } else { cut = pending.count }
        return cut
    }

    /// The stage deadline the boot missed by `elapsed`, if any.
    package static func missedDeadline(_ log: ConsoleLog, elapsed: Double, deadlines d: BootDeadlines) -> BootObservation.End? {
        if log.stages[.firstByte] == nil, elapsed > d.firstByte { return .deadline(.firstByte, seconds: d.firstByte) }
        if !pastKernel(log), elapsed > d.kernel { return .deadline(.kernel, seconds: d.kernel) }
        if log.stages[.loginPrompt] == nil, elapsed > d.loginPrompt { return .deadline(.loginPrompt, seconds: d.loginPrompt) }
        if log.stages[.cloudInitFinished] == nil, elapsed > d.cloudInitFinished {
            return .deadline(.cloudInitFinished, seconds: d.cloudInitFinished)
        }
        if let login = log.stages[.loginPrompt], log.cloudInitActivity == nil, elapsed - login.seconds > d.cloudInitSilence {
            return .cloudInitSilent(seconds: d.cloudInitSilence)
        }
        return nil
    }

    /// A quiet command line prints no kernel messages: a login prompt or
    /// cloud-init's finished line shows the kernel came all the same.
    static func pastKernel(_ log: ConsoleLog) -> Bool {
        [.kernel, .initSystem, .loginPrompt, .cloudInitFinished].contains { log.stages[$0] != nil }
    }

    /// Whether ttyS0 has been silent for `bootLoaderSilence` since its last
    /// byte with no kernel shown: then only the hypervisor can tell a
    /// quiet kernel from a boot that stopped before one.
    static func silentBeforeKernel(_ log: ConsoleLog, elapsed: Double, deadlines d: BootDeadlines) -> Bool {
        !pastKernel(log) && log.byteCount > 0 && elapsed - log.lastByteSeconds >= d.bootLoaderSilence
    }

    /// The console log's limits: a flood is the profile's console limit.
    static func consoleLimits(_ plan: BootPlan) -> ConsoleLog.Limits {
        var limits = ConsoleLog.Limits()
        limits.floodBytes = plan.limits.consoleBytes
        return limits
    }

    package func watch() async throws -> BootObservation {
        let started = ContinuousClock.now
        let file = FileHandle(forReadingAtPath: plan.consoleLog)
        if startOffset > 0 { try file?.seek(toOffset: startOffset) }
        defer { if let file { Teardown.attempt("closing the console log") { try file.close() } } }
        var log = ConsoleLog(limits: Self.consoleLimits(plan))
        var reported = Set<ConsoleLog.Stage>()
        var pending = Data()
        var bytesRead: UInt64 = 0
        var sshTask: Task<Void, Never>?
        let sshAnswer = SSHAnswer()
        defer { sshTask?.cancel() }
        var lastRunningCheck = 0.0
        var askProcessor = true
        let d = plan.deadlines
        // Facts can arrive before the getty prints its prompt on ttyS0 (both
        // follow cloud-init; on a loaded host the getty can be seconds
        // late): held until the prompt shows, within `promptWait`, unless
        // the probe found nothing left that could print one (``SerialGetty``).
        var held: (facts: GuestFacts, at: Double, provisional: Bool)?
        func promptWait(after factsAt: Double) -> Double { min(d.loginPrompt, factsAt + d.facts) }

        func end(_ end: BootObservation.End, facts: GuestFacts? = nil, ssh: String? = nil) async -> BootObservation {
            var sshProblem = ssh
            if sshTask != nil, sshProblem == nil, facts?.channel != "ssh" {
                sshProblem = "no answer before the watch ended"
            }
            // The console as it ended decides which block, if any, is the probe's.
            let blocks = FactsBlocks(log, nonce: plan.probeNonce, complete: true)
            let facts = facts?.channel == "ssh" ? facts : (facts == nil ? nil : blocks.facts)
            var observation = BootObservation(instance: plan.instance, console: log, facts: facts, end: end,
                                              sshProblem: !plan.factChannels.contains(.ssh) ? "not used (a remote host: the facts come over the console)"
                                                : sshTask == nil && sshProblem == nil ? "the guest never got far enough to try" : sshProblem,
                                              endedAt: (ContinuousClock.now - started).seconds)
            observation.hadDataDisk = plan.dataDiskBytes > 0
            observation.factsBlocks = blocks
            observation.consoleBytesRead = bytesRead
            return observation
        }

        /// Feeds what the console file has gained (one chunk at most);
        /// how many bytes that was.
        func readMore(at elapsed: Double) throws -> Int {
            guard let data = try file?.read(upToCount: Self.readChunk), !data.isEmpty else { return 0 }
            bytesRead += UInt64(data.count)
            pending.append(data)
            let cut = Self.completeUTF8Length(pending)
            log.feed(String(decoding: pending.prefix(cut), as: UTF8.self), at: elapsed)
            pending = Data(pending.suffix(from: cut))
            for stage in ConsoleLog.Stage.allCases where !reported.contains(stage) {
                if let mark = log.stages[stage] { reported.insert(stage); progress(.stage(stage, seconds: mark.seconds)) }
            }
            return data.count
        }

        /// The boot is over — a fatal line, or the VM gone — but what
        /// follows is its evidence: the panic after a missing root, the
        /// last lines still on their way through a pump. Read on until the
        /// console is quiet for ``tailQuiet`` (within ``tailLimit``), then
        /// judge: the first fatal line is why the boot ended.
        func ended(facts: GuestFacts?) async throws -> BootObservation {
            let tailStarted = ContinuousClock.now
            var lastBytes = tailStarted
            while !log.flooded, ContinuousClock.now - lastBytes < Self.tailQuiet, ContinuousClock.now - tailStarted < Self.tailLimit {
                let read = try readMore(at: (ContinuousClock.now - started).seconds)
                if read > 0 { lastBytes = .now }
                if read < Self.readChunk { try await Task.sleep(for: pollInterval) }
            }
            if let hit = log.fatal { return await end(.fatal(hit), facts: facts) }
            if log.flooded { return await end(.consoleFlood(bytes: log.byteCount, limit: log.limits.floodBytes), facts: facts) }
            return await end(.vmStopped, facts: facts)
        }

        while true {
            try Task.checkCancellation()
            let elapsed = (ContinuousClock.now - started).seconds
            var moreWaiting = false
            let read = try readMore(at: elapsed)
            if read > 0 {
                moreWaiting = read == Self.readChunk
                if log.fatal != nil { return try await ended(facts: held?.facts) }
                if log.flooded { return await end(.consoleFlood(bytes: log.byteCount, limit: log.limits.floodBytes), facts: held?.facts) }
                // A block is judged once its end marker shows; held facts
                // from before cloud-init's finished line are judged again
                // once that line shows (``FactsBlocks``).
                let endShown = log.partial.contains(GuestProbe.endMarker) || log.lines.suffix(5).contains { $0.contains(GuestProbe.endMarker) }
                if plan.factChannels.contains(.serial), held == nil || held?.provisional == true,
                   endShown || (held?.provisional == true && log.stages[.cloudInitFinished] != nil) {
                    let blocks = FactsBlocks(log, nonce: plan.probeNonce, complete: false)
                    // Facts already held keep their time; another block's start now.
                    held = blocks.facts.map { facts in (facts, held.flatMap { $0.facts == facts ? $0.at : nil } ?? elapsed, blocks.isProvisional) }
                }
                if let datasource = log.cloudInitDatasource, !datasource.hasPrefix("DataSourceNoCloud"), held == nil {
                    return await end(.foreignDatasource(datasource))
                }
            }
            if held == nil, case let .success(facts)? = sshAnswer.result {
                held = (facts, elapsed, false)
            }
            if let held {
                // Facts from before cloud-init's finished line wait for it
                // (then they are the image's, and the watch goes on) or for
                // the facts deadline.
                let ready = !held.provisional && (log.stages[.loginPrompt] != nil || held.facts.serialGetty?.noneComing == true)
                if ready || elapsed > promptWait(after: held.at) {
                    return await end(.factsReceived, facts: held.facts)
                }
                if elapsed - lastRunningCheck > 1 {
                    lastRunningCheck = elapsed
                    if try await !vm.isRunning() { return try await ended(facts: held.facts) }
                }
                if !moreWaiting { try await Task.sleep(for: pollInterval) }
                continue
            }
            // Once the guest is up, ask over SSH (channel one) as well — at
            // once if it is the only channel, else if the console (channel
            // two) has not delivered within its grace.
            if sshTask == nil, plan.factChannels.contains(.ssh), let finished = log.stages[.cloudInitFinished],
               !plan.factChannels.contains(.serial) || elapsed - finished.seconds > d.serialGrace {
                progress(.note("asking the guest over SSH (127.0.0.1:\(plan.sshPort))"))
                let probe = SSHProbe(plan: plan), limit = d.facts
                sshTask = Task {
                    do { sshAnswer.set(.success(try await probe.facts(within: limit))) } catch { sshAnswer.set(.failure(error)) }
                }
            }
            if let missed = Self.missedDeadline(log, elapsed: elapsed, deadlines: d) { return await end(missed) }
            if askProcessor, Self.silentBeforeKernel(log, elapsed: elapsed, deadlines: d) {
                // Asked once: paging on means a kernel runs, quietly; a
                // hypervisor that does not answer leaves the kernel deadline to decide.
                askProcessor = false
                let paging = (try? await vm.registers()).flatMap { $0 }.flatMap(ProcessorPaging.read(registers:))
                if case let .off(processor)? = paging {
                    return await end(.stalledBeforeKernel(silentSeconds: elapsed - log.lastByteSeconds, processor: processor))
                }
            }
            if let finished = log.stages[.cloudInitFinished], elapsed - finished.seconds > d.facts {
                var problem: String?
                if case let .failure(error)? = sshAnswer.result { problem = "\(error)" }
                return await end(.noFacts(seconds: d.facts), ssh: problem)
            }
            if elapsed > d.overall { return await end(.overallTimeout(seconds: d.overall)) }
            if elapsed - lastRunningCheck > 1 {
                lastRunningCheck = elapsed
                if try await !vm.isRunning() { return try await ended(facts: nil) }
                if let written = await overlayBytes(plan), written > plan.limits.overlayBytes {
                    return await end(.overlayLimit(bytes: written, limit: plan.limits.overlayBytes))
                }
            }
            if !moreWaiting { try await Task.sleep(for: pollInterval) }
        }
    }
}

extension ConsoleWatcher {
    /// Bytes a file takes on the host's disk (its allocated blocks).
    @Sendable static func allocatedBytes(_ path: String) -> Int64? {
        var status = stat()
        guard stat(path, &status) == 0 else { return nil }
        return Int64(status.st_blocks) * 512
    }
}

/// The SSH channel's answer, set once by its task and polled by the watch.
final class SSHAnswer: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<GuestFacts, Error>?

    func set(_ result: Result<GuestFacts, Error>) { lock.withLock { value = result } }
    var result: Result<GuestFacts, Error>? { lock.withLock { value } }
}
