import Foundation
import ImageGateModel

/// Channel one: the guest probe over SSH, through the loopback port forward,
/// as the per-run test user. The guest's sshd is a stranger's: nothing of
/// the reviewer's SSH setup reaches it (no `~/.ssh/config`, no agent, no
/// other key, no forwarding), its host key is remembered only in the run
/// folder, what it sends back is capped, and each attempt is killed at its
/// deadline.
package struct SSHProbe: Sendable {
    let plan: BootPlan

    package init(plan: BootPlan) {
        self.plan = plan
    }

    /// Most the probe's answer may be (its JSON is a few KiB).
    static let outputLimit = 1 << 20

    package var arguments: [String] {
        Self.isolatedOptions(key: plan.sshKey, port: plan.sshPort, knownHosts: plan.directory + "/known_hosts")
            + ["\(CloudInitSeed.testUser)@127.0.0.1", "sudo", "sh", "-s", "--", "--ssh", plan.probeNonce]
    }

    /// `ssh` options that reach a guest's loopback port with one key and
    /// nothing else of the user's SSH set-up: no config, agent, other
    /// identity or forwarding; its host key remembered in `knownHosts` only.
    static func isolatedOptions(key: String, port: Int, knownHosts: String) -> [String] {
        ["-F", "/dev/null", "-i", key, "-p", String(port),
         "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none", "-o", "ClearAllForwardings=yes",
         "-o", "ForwardAgent=no", "-o", "ForwardX11=no", "-o", "PermitLocalCommand=no",
         "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
         "-o", "UserKnownHostsFile=\(knownHosts)", "-o", "GlobalKnownHostsFile=/dev/null",
         "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR"]
    }

    /// Tries until it gets the facts or `seconds` pass.
    package func facts(within seconds: Double) async throws -> GuestFacts {
        let deadline = ContinuousClock.now + .seconds(seconds)
        var lastError = "no attempt"
        while ContinuousClock.now < deadline {
            try Task.checkCancellation()
            let left = deadline - ContinuousClock.now
            do {
                let result = try await BoundedProcess.run("ssh", arguments, input: Array(GuestProbe.script.utf8),
                                                          timeout: min(left, .seconds(60)), outputLimit: Self.outputLimit)
                // Undecodable facts are no answer: the watch goes on, and says so when it ends.
                if result.status == 0, let facts = try? GuestFacts.decode(Data(result.stdout), channel: "ssh") {
                    // The run's own nonce, or not the probe's answer.
                    guard facts.nonce == plan.probeNonce else {
                        throw ImageGateError.infrastructure("the answer over ssh to 127.0.0.1:\(plan.sshPort) is not the probe's: it carries \(facts.nonce.map { _ in "another nonce" } ?? "no nonce")")
                    }
                    return facts
                }
                lastError = result.stderr.split(separator: "\n").last.map { TerminalText.sanitize(String($0.prefix(300))) } ?? "ssh exited \(result.status)"
            } catch let failure as BoundedProcess.Failure {
                lastError = "\(failure)"
            }
            try await Task.sleep(for: .seconds(3))
        }
        throw ImageGateError.infrastructure("ssh to 127.0.0.1:\(plan.sshPort) gave no facts: \(lastError)")
    }
}
