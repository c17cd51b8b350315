import Foundation
import ImageGateModel

extension SecurityRules {
    package static let endOfLife = Rule(
        "SEC-EOL", .error, title: "The OS release is still supported",
        required: "the OS release is within its vendor's support period (Debian and Ubuntu dates from distro-info-data, the RPM families from the profile); within the profile's horizon of its end, a warning",
        fix: "Build the image on a supported release of the OS (for Debian and Ubuntu, the next stable or LTS release; for the Red Hat family, the next major version) and submit it again.",
        chinese: RuleText(title: "操作系统版本仍在支持期内", required: "操作系统版本在其厂商的支持期内（Debian、Ubuntu 的日期取自 distro-info-data，RPM 系发行版取自平台配置）；距支持结束不足平台配置的期限时给出警告", fix: "基于仍受支持的操作系统版本重新制作镜像（Debian、Ubuntu 用下一个稳定版或 LTS 版，Red Hat 系用下一个主版本）后重新提交。")
    ) { context in
        let facts = context.facts
        let release = "\(facts.distro) \(facts.productName.isEmpty ? "\(facts.majorVersion).\(facts.minorVersion)" : facts.productName)"
        let end: EndOfLife.End
        switch context.profile.endOfLife.end(of: facts) {
        case let .success(found): end = found
        case let .failure(error): return .couldNotCheck(error.message)
        }
        let day = 86_400.0
        let left = Int((end.date.timeIntervalSince(context.now) / day).rounded(.down))
        let date = EndOfLife.dayText(end.date), today = EndOfLife.dayText(context.now)
        if left < 0 {
            return .violated("\(release) reached its end of life (\(end.column)) on \(date), \(-left) days before this check (\(today))", [end.source])
        }
        if left <= context.profile.endOfLife.horizonDays {
            return .violated("\(release) reaches its end of life (\(end.column)) on \(date), in \(left) days (the profile warns from \(context.profile.endOfLife.horizonDays))",
                             [end.source], severity: .warning)
        }
        return .pass("\(release) is supported until \(date) (\(end.column)), \(left) days from \(today)", [end.source])
    }
}
