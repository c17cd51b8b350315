import Foundation
import Yams
import ImageGateModel

/// The platform's own settings the rules depend on. The shipped default is
/// the seller guide; a platform or a reviewer can give another YAML file.
public struct PlatformProfile: Sendable, Codable, Equatable {
    /// The platform's cloud-init build for each OS (the guide's download table).
    public var cloudInitBuilds: [CloudInitBuild]
    /// The tag every platform cloud-init version carries, e.g. `ucloud`.
    public var cloudInitTag: String
    /// The cloud-init datasources that read this platform's metadata: an
    /// image whose effective `datasource_list` holds none of them never
    /// applies the platform's hostname, network or keys.
    public var cloudInitDatasources: [String]
    /// Where SEC-EOL learns when the OS's support ends, and how near warns.
    public var endOfLife: EndOfLife
    /// The platform's monitoring agent; nil when the profile names none.
    public var monitorAgent: MonitorAgent?
    /// The monitoring agent on Windows images: paths (`C:\…`) and its
    /// Windows service; nil when the profile names none.
    public var windowsMonitorAgent: MonitorAgent?
    /// Whether the image claims the fast ("快杰") network tier.
    public var fastTier: Bool
    /// Rules waived for this profile, with the reason.
    public var waivers: [Waiver]
    /// Ceilings on what an image and its guest may make ImageGate do.
    public var limits = GateLimits()
    /// Per OS family (`linux`, `windows`), the seconds a boot may take to
    /// cloud-init's finished line at KVM speed (stretched like every
    /// deadline under TCG); crossing it is a warning in the nightly queue,
    /// never a verdict. Empty: no budget.
    public var bootBudgetSeconds: [String: Double] = [:]
    /// How many times the nightly queue checks an entry again after an
    /// infrastructure error or a boot deadline (0 to 3; the seller guide's
    /// profile: 1). Every attempt stays in the history.
    public var queueRetries = 1

    public struct CloudInitBuild: Sendable, Codable, Equatable {
        /// libguestfs distro name (`ubuntu`, `rocky`, `rhel`, `centos`).
        public var distro: String
        /// `22.04`, `9`, `8`, `7` (a bare major matches every minor).
        public var version: String
        /// The package file the guide links.
        public var package: String
    }

    public struct MonitorAgent: Sendable, Codable, Equatable {
        /// Paths that exist when the agent is installed.
        public var paths: [String]
        /// Its service (systemd unit on Linux, Windows service name on Windows), which must be enabled.
        public var service: String?

        public init(paths: [String], service: String?) {
            self.paths = paths
            self.service = service
        }
    }

    public struct Waiver: Sendable, Codable, Equatable {
        public var rule: String
        public var reason: String

        public init(rule: String, reason: String) {
            self.rule = rule
            self.reason = reason
        }
    }

    enum CodingKeys: String, CodingKey {
        case cloudInitBuilds = "cloud_init_builds", cloudInitTag = "cloud_init_tag", cloudInitDatasources = "cloud_init_datasources"
        case endOfLife = "end_of_life"
        case monitorAgent = "monitor_agent", windowsMonitorAgent = "windows_monitor_agent", fastTier = "fast_tier", waivers, limits
        case bootBudgetSeconds = "boot_budget_seconds", queueRetries = "queue_retries"
    }

    /// A field the file leaves out keeps the seller guide's value, so a
    /// profile can hold just what it changes (say, only `waivers:`).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value<T: Decodable>(_ key: CodingKeys, _ builtIn: @autoclosure () -> T) throws -> T {
            try c.decodeIfPresent(T.self, forKey: key) ?? builtIn()
        }
        cloudInitBuilds = try value(.cloudInitBuilds, PlatformProfile.default.cloudInitBuilds)
        cloudInitTag = try value(.cloudInitTag, PlatformProfile.default.cloudInitTag)
        cloudInitDatasources = try value(.cloudInitDatasources, PlatformProfile.default.cloudInitDatasources)
        endOfLife = try value(.endOfLife, PlatformProfile.default.endOfLife)
        guard endOfLife.horizonDays >= 0, endOfLife.dates.allSatisfy({ EndOfLife.day($0.ends) != nil }) else {
            throw DecodingError.dataCorruptedError(forKey: .endOfLife, in: c, debugDescription: "horizon_days must be 0 or more, and each date YYYY-MM-DD")
        }
        guard !cloudInitDatasources.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .cloudInitDatasources, in: c, debugDescription: "expected at least one datasource name")
        }
        monitorAgent = c.contains(.monitorAgent) ? try c.decodeIfPresent(MonitorAgent.self, forKey: .monitorAgent) : PlatformProfile.default.monitorAgent
        windowsMonitorAgent = c.contains(.windowsMonitorAgent) ? try c.decodeIfPresent(MonitorAgent.self, forKey: .windowsMonitorAgent)
            : PlatformProfile.default.windowsMonitorAgent
        fastTier = try value(.fastTier, PlatformProfile.default.fastTier)
        waivers = try value(.waivers, PlatformProfile.default.waivers)
        limits = try value(.limits, GateLimits())
        bootBudgetSeconds = try value(.bootBudgetSeconds, [:])
        for (family, seconds) in bootBudgetSeconds where !["linux", "windows"].contains(family) || !(seconds > 0) || !seconds.isFinite {
            throw DecodingError.dataCorruptedError(forKey: .bootBudgetSeconds, in: c,
                                                   debugDescription: "\(family): \(seconds): expected linux or windows, and a positive number of seconds")
        }
        queueRetries = try value(.queueRetries, 1)
        guard (0...3).contains(queueRetries) else {
            throw DecodingError.dataCorruptedError(forKey: .queueRetries, in: c, debugDescription: "\(queueRetries): expected 0 to 3 retries")
        }
    }

    /// The expected build for an OS, or nil when the table has none.
    public func cloudInitBuild(for facts: OSFacts) -> CloudInitBuild? {
        cloudInitBuilds.first { build in
            guard build.distro == facts.distro else { return false }
            let parts = build.version.split(separator: ".").compactMap { Int($0) }
            guard parts.first == facts.majorVersion else { return false }
            return parts.count < 2 || parts[1] == facts.minorVersion
        }
    }

    /// Loads a profile; every problem is a bad-input ``ImageGateError``
    /// naming the file. Each waiver's rule must be one of `knownRules`
    /// (every rule, static and boot: ``RuleCatalogue/everyID``).
    public static func load(path: String, knownRules: Set<String>) throws -> PlatformProfile {
        // Any read failure is the one bad-input line below.
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw ImageGateError.badInput("\(path): cannot read the platform profile")
        }
        return try parse(text, source: path, knownRules: knownRules)
    }

    public static func parse(_ text: String, source: String, knownRules: Set<String>) throws -> PlatformProfile {
        let profile: PlatformProfile
        do {
            profile = try YAMLDecoder().decode(PlatformProfile.self, from: text)
        } catch let error as DecodingError {
            throw ImageGateError.badInput("\(source): \(YAMLErrors.describe(error))")
        } catch {
            throw ImageGateError.badInput("\(source): \(YAMLErrors.describe(error))")
        }
        for (index, waiver) in profile.waivers.enumerated() where !knownRules.contains(waiver.rule) {
            throw ImageGateError.badInput("\(source): waivers[\(index)].rule: unknown rule ID '\(TerminalText.line(waiver.rule))'")
        }
        return profile
    }

    /// The seller guide's settings.
    public static let `default`: PlatformProfile = {
        // The text is a constant of this file; a failure here is a bug.
        try! parse(defaultYAML, source: "built-in profile", knownRules: [])
    }()

    public static let defaultYAML = """
        # The platform profile: what the seller guide says, as data.
        cloud_init_tag: ucloud
        # The datasources that read the platform's metadata (ImageGate's own
        # seed is NoCloud's).
        cloud_init_datasources: [NoCloud]
        # SEC-EOL: Debian and Ubuntu from distro-info-data's tables (the column
        # that counts per distribution), the RPM families from this table.
        end_of_life:
          horizon_days: 90
          distro_info: /usr/share/distro-info
          support: {debian: eol-lts, ubuntu: eol}
          dates:
            - {distro: rocky, version: "8", ends: "2029-05-31"}
            - {distro: rocky, version: "9", ends: "2032-05-31"}
            - {distro: rhel, version: "8", ends: "2029-05-31"}
            - {distro: rhel, version: "9", ends: "2032-05-31"}
            - {distro: almalinux, version: "8", ends: "2029-03-01"}
            - {distro: almalinux, version: "9", ends: "2032-05-31"}
            - {distro: centos, version: "6", ends: "2020-11-30"}
            - {distro: centos, version: "7", ends: "2024-06-30"}
            - {distro: centos, version: "8", ends: "2021-12-31"}
            - {distro: centos, version: "9", ends: "2027-05-31"}
        fast_tier: false
        monitor_agent: null
        windows_monitor_agent: null
        waivers: []
        cloud_init_builds:
          - {distro: rocky, version: "9", package: cloud-init-23.4-7.el9.5.0.1.ucloud.noarch.rpm}
          - {distro: rocky, version: "8", package: cloud-init-23.4-7.el8.3.0.1.ucloud.noarch.rpm}
          - {distro: rhel, version: "8", package: cloud-init-23.4-7.el8.3.ucloud.noarch.rpm}
          - {distro: ubuntu, version: "20.04", package: cloud-init_24.1.3-1ubuntu1~20.04.5ucloud_all.deb}
          - {distro: ubuntu, version: "22.04", package: cloud-init_24.1.3-1ubuntu2~22.04.5ucloud_all.deb}
          - {distro: ubuntu, version: "24.04", package: cloud-init_24.1.3-0ubuntu3.3ucloud_all.deb}
          - {distro: centos, version: "9", package: cloud-init-23.4-17.el9.ucloud.noarch.rpm}
          - {distro: centos, version: "8", package: cloud-init-22.1-8.el8.ucloud.noarch.rpm}
          - {distro: centos, version: "7", package: cloud-init-19.4-7.el7.7.ucloud.x86_64.rpm}
          - {distro: centos, version: "6", package: cloud-init-19.4+11.g158c661c-1.el6.noarch.rpm}

        """
}
