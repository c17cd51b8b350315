import Foundation

/// A child process started with `posix_spawnp`, its standard input from
/// `/dev/null` and its output appended to one file, that nobody waits for
/// unless asked: for a process that may hang where even SIGKILL cannot end
/// it at once (a QEMU stuck in KVM). A child left unreaped is collected by
/// ``ChildReaper``'s sweep if it is a QEMU.
package struct SpawnedProcess: Sendable {
    let pid: pid_t

    /// Starts `program` (looked up on PATH) with `arguments`; stdout and
    /// stderr go to `output`.
    package static func start(_ program: String, _ arguments: [String], output: String) throws -> SpawnedProcess {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, program, &actions, nil, argv, environ)
        guard status == 0 else {
            throw ImageGateError.infrastructure("cannot start \(program): \(String(cString: strerror(status)))")
        }
        return SpawnedProcess(pid: pid)
    }

    /// Whether it has exited; reaps it if so.
    package func hasExited() -> Bool {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        return result == pid || (result == -1 && errno == ECHILD)
    }

    /// Sends SIGKILL and reaps it if it is already gone; does not wait.
    package func kill() {
        _ = Glibc.kill(pid, SIGKILL)
        _ = hasExited()
    }
}
