import Foundation

/// Channel one: the guest probe over SSH, through the loopback port forward,
/// as the per-run test user.
struct SSHProbe: Sendable {
    let plan: BootPlan

    var arguments: [String] {
        ["-i", plan.sshKey, "-p", String(plan.sshPort),
         "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
         "\(CloudInitSeed.testUser)@127.0.0.1", "sudo", "sh", "-s"]
    }

    /// Tries until it gets the facts or `seconds` pass.
    func facts(within seconds: Double) async throws -> GuestFacts {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var lastError = "no attempt"
        while ContinuousClock.now < deadline {
            try Task.checkCancellation()
            let result = try await Subprocess.runAsync("ssh", arguments, input: GuestProbe.script)
            if result.status == 0, let facts = try? GuestFacts.decode(Data(result.stdout.utf8), channel: "ssh") {
                return facts
            }
            lastError = result.stderr.split(separator: "\n").last.map(String.init) ?? "ssh exited \(result.status)"
            try await Task.sleep(for: .seconds(3))
        }
        throw BootError.infrastructure("ssh to 127.0.0.1:\(plan.sshPort) gave no facts: \(lastError)")
    }
}
