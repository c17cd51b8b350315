import Foundation
import ImageGateBoot
import ImageGateModel

/// `imagegate console`: a person (or a script) at a kept run's serial
/// console. What is typed on `input` goes to the guest until the escape
/// key (Ctrl-]) or the end of input; what the guest prints goes to
/// `output` through ``TerminalControlFilter``. Works with the network down:
/// it is libvirt's console stream, not SSH.
public struct ConsoleSession: Sendable {
    /// Ctrl-], as virsh's console.
    public static let escape: UInt8 = 0x1D

    public enum End: Sendable, Equatable {
        /// The escape key was typed.
        case escaped
        /// Input ended (a script's pipe closed) and what followed was shown.
        case inputEnded
        /// The console closed: the VM stopped, or another client took it.
        case consoleClosed
    }

    public var input: Int32 = STDIN_FILENO
    public var output: Int32 = STDOUT_FILENO
    /// After input ends, how long the guest's answer is still shown.
    public var drainAfterInput: Duration = .seconds(2)

    public init() {}

    public func run(_ console: any ConsoleChannel) async throws -> End {
        var filter = TerminalControlFilter()
        var inputOpen = true
        var drainUntil: ContinuousClock.Instant?
        var pending: [UInt8] = []
        defer {
            console.close()
            // Whatever the guest left the terminal in (colours, a hidden
            // cursor, the alternate screen) ends with the session.
            if isatty(output) == 1 { try? write(TerminalControlFilter.terminalReset) }  // Best effort: the session is over either way.
        }
        while true {
            try Task.checkCancellation()
            // The guest's side first: everything waiting now.
            while true {
                guard let chunk = try console.receive(limit: 16 << 10) else { return .consoleClosed }
                if chunk.isEmpty { break }
                try write(filter.filter(chunk))
            }
            if let drainUntil, ContinuousClock.now >= drainUntil { return .inputEnded }
            if !pending.isEmpty {
                let taken = try console.send(pending)
                pending.removeFirst(taken)
            }
            var poller = pollfd(fd: input, events: Int16(POLLIN), revents: 0)
            let ready = inputOpen && pending.isEmpty ? poll(&poller, 1, 20) : 0
            if !inputOpen || !pending.isEmpty { try await Task.sleep(for: .milliseconds(20)) }
            guard ready > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = read(input, &buffer, buffer.count)
            if count < 0, errno == EINTR || errno == EAGAIN { continue }
            if count <= 0 {
                inputOpen = false
                drainUntil = ContinuousClock.now + drainAfterInput
                continue
            }
            let typed = buffer.prefix(count)
            if let escape = typed.firstIndex(of: Self.escape) {
                var rest = Array(typed[..<escape])
                while !rest.isEmpty { rest.removeFirst(try console.send(rest)); if !rest.isEmpty { try await Task.sleep(for: .milliseconds(10)) } }
                return .escaped
            }
            pending = Array(typed)
        }
    }

    private func write(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Foundation.write(output, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw ImageGateError.infrastructure("cannot write the console out: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }
}
