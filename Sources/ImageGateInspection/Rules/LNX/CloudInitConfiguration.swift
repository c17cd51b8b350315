import ImageGateModel

/// What cloud-init's effective configuration lets it do on the platform's
/// first boot, read before anything boots (part of LNX-CLOUD-INIT): it
/// looks for the platform's datasource (`datasource_list`, ds-identify's
/// policy, `ci.ds=` on the kernel command line), it applies the new
/// hostname (`preserve_hostname`), network (`network: {config: disabled}`)
/// and keys (the modules that do it are in a stage).
enum CloudInitConfiguration {
    /// The modules that apply a new instance's identity, and what is lost
    /// without each.
    static let identityModules = [
        ("set_hostname", "the platform's hostname is never set"),
        ("users_groups", "the default user is never made"),
        ("ssh", "the buyer's SSH key is never installed and no host keys are made"),
    ]

    static func problems(_ context: RuleContext, kernelArguments: [String]) async throws -> (problems: [Evidence], notChecked: [String]) {
        var problems: [Evidence] = [], notChecked: [String] = []
        let wanted = context.profile.cloudInitDatasources
        let named = wanted.joined(separator: " or ")
        func includesPlatform(_ names: [String]) -> Bool {
            names.contains { name in wanted.contains { $0.caseInsensitiveCompare(name.trimmingCharacters(in: .whitespaces)) == .orderedSame } }
        }
        if let config = try await CloudConfig.read(context.fs) {
            notChecked += config.problems
            if let list = config.value("datasource_list"), let names = list.strings, !includesPlatform(names) {
                problems.append(Evidence(path: list.file, line: list.line,
                                         "\(list.text): cloud-init never looks for the platform's datasource (\(named)), so the platform's hostname, network and keys are never applied"))
            }
            if let preserve = config.value("preserve_hostname"), preserve.bool == true {
                problems.append(Evidence(path: preserve.file, line: preserve.line, "\(preserve.text): cloud-init keeps the image's hostname instead of the platform's"))
            }
            if let network = config.value("network", "config"), network.node.scalar?.string.lowercased() == "disabled" {
                problems.append(Evidence(path: network.file, line: network.line, "network: {config: disabled}: cloud-init never applies the platform's network configuration"))
            }
            if let (modules, lists) = config.modules() {
                for (module, loss) in identityModules where !modules.contains(module) {
                    let where_ = lists.map { "\($0.file):\($0.line.map(String.init) ?? "?")" }.joined(separator: ", ")
                    problems.append(Evidence(path: lists[0].file, line: lists[0].line, "the module \(module) is in no stage (\(where_)): \(loss)"))
                }
            }
        }
        if let policy = try await dsIdentifyPolicy(context.fs), policy.mode == "disabled" {
            problems.append(Evidence(path: dsIdentify, line: policy.line.number, "\(policy.line.trimmed): ds-identify turns cloud-init off at boot"))
        }
        for argument in kernelArguments.prefix(while: { $0 != "--" }) where argument.hasPrefix("ci.ds=") {
            let names = argument.dropFirst("ci.ds=".count).split(separator: ",").map(String.init)
            if !includesPlatform(names) {
                problems.append(Evidence("\(argument) on the kernel command line: cloud-init uses only that datasource, not the platform's (\(named))"))
            }
        }
        return (problems, notChecked)
    }

    static let dsIdentify = "/etc/cloud/ds-identify.cfg"

    /// ds-identify's `policy:` line and its mode (`search`, `enabled`,
    /// `disabled`: the word before the first comma).
    static func dsIdentifyPolicy(_ fs: any GuestFilesystem) async throws -> (mode: String, line: Line)? {
        guard let size = try await fs.size(dsIdentify), size <= 64 << 10, let lines = try await fs.lines(dsIdentify) else { return nil }
        guard let line = lines.last(where: { $0.trimmed.lowercased().hasPrefix("policy:") }) else { return nil }
        let value = line.trimmed.dropFirst("policy:".count).trimmingCharacters(in: .whitespaces)
        return (String(value.prefix { $0 != "," }).lowercased(), line)
    }
}
