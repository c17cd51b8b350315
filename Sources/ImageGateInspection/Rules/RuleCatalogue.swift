import ImageGateModel

/// Every static rule ImageGate enforces, in the catalogue's order
/// (../shared/REQUIREMENTS.md): the image rules, the Linux rules, the
/// security rules, then the Windows rules.
public enum RuleCatalogue {
    public static let linux: [Rule] = [
        DiskRules.minimumSize, DiskRules.format, DiskRules.noSwap,
        KernelRules.virtio, KernelRules.netFailover,
        PackageRules.tzdataLegacy,
        CloudInitRules.installed, CloudInitRules.vendorBuild,
        ServiceRules.firewalld,
        NetworkRules.networkManagerServerConf, NetworkRules.alternativeNames,
        BootLoaderRules.grubDefault, BootLoaderRules.grubConfig, BootLoaderRules.bootChain,
        KernelRules.nouveau, KernelRules.mlx5,
        ServiceRules.auditd, ServiceRules.monitorAgent,
        CleanlinessRules.dataEmpty,
        PackageRules.python,
        NetworkRules.noDynamicIdentity,
        CloudInitRules.clean,
        NetworkRules.hostsClean,
        CloudInitRules.cloudImageLeftovers,
        CleanlinessRules.protectedFiles, CleanlinessRules.historyClean,
    ]

    public static let security: [Rule] = [
        SecurityRules.authorizedKeys, SecurityRules.passwordHash, SecurityRules.sshHostKeys,
        SecurityRules.machineID, SecurityRules.sshdRootPassword, SecurityRules.history, SecurityRules.endOfLife,
    ]

    /// The Windows rules (WIN-*), each read from the registry (through
    /// libguestfs's hivex calls) or from C:.
    public static let windows: [Rule] = [
        WindowsDiskRules.minimumSize, WindowsDiskRules.biosBoot, WindowsDiskRules.partitions,
        WindowsDriverRules.virtio,
        WindowsInitRules.cloudbaseInit, WindowsInitRules.bootScript, WindowsInitRules.cloudbaseClean,
        WindowsAccessRules.rdp, WindowsAccessRules.firewall, WindowsAccessRules.lockout, WindowsAccessRules.monitorAgent,
        WindowsInitRules.noDynamicIdentity,
        WindowsCleanupRules.cleanup, WindowsCleanupRules.patches,
    ]

    /// Rules about the image as a whole.
    public static let image: [Rule] = [ImageRules.operatingSystem]

    public static let all: [Rule] = image + linux + security + windows

    /// Every static rule's Chinese text by rule ID.
    public static let chinese: [String: RuleText] = Dictionary(all.map { ($0.id, $0.chinese) }) { first, _ in first }

    /// The rules that judge an image of `family`: a Linux image is never
    /// judged by a WIN rule, a Windows image never by an LNX or SEC one;
    /// an image with no OS ImageGate knows only by the image rules.
    public static func rules(_ rules: [Rule], for family: String) -> [Rule] {
        rules.filter { $0.families.isEmpty || $0.families.contains(family) }
    }

    /// The rules with these IDs; an unknown ID is an bad-input ``ImageGateError``.
    public static func select(_ ids: [String]) throws -> [Rule] {
        try ids.map { id in
            guard let rule = all.first(where: { $0.id == id }) else {
                throw ImageGateError.badInput("--rules: unknown rule ID '\(id)' (known: \(all.map(\.id).joined(separator: ", ")))")
            }
            return rule
        }
    }
}
