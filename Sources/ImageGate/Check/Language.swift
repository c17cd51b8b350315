import Foundation

/// The language of reports. The platform's guide is Chinese, and so are
/// most of its reviewers and vendors; titles, requirements and fixes of
/// every rule exist in both languages. Found values and evidence are what
/// the image holds and stay as read.
public enum Language: String, Sendable, Codable, CaseIterable {
    case english = "en", chinese = "zh"

    /// `zh` when the locale (LC_ALL, LC_MESSAGES, LANG) is Chinese.
    public static var fromEnvironment: Language {
        let env = ProcessInfo.processInfo.environment
        let locale = env["LC_ALL"].flatMap { $0.isEmpty ? nil : $0 } ?? env["LC_MESSAGES"].flatMap { $0.isEmpty ? nil : $0 } ?? env["LANG"] ?? ""
        return locale.lowercased().hasPrefix("zh") ? .chinese : .english
    }

    public func localize(_ findings: [Finding]) -> [Finding] {
        guard self == .chinese else { return findings }
        return findings.map { finding in
            guard let text = RuleText.chinese[finding.rule] else { return finding }
            var localized = finding
            localized.title = text.title
            localized.required = text.required
            if finding.fix != nil { localized.fix = text.fix }
            return localized
        }
    }

    /// The verdict in words.
    public func label(_ verdict: GateVerdict) -> String {
        switch verdict {
        case .pass: return label(Label.pass)
        case .fail: return label(Label.fail)
        case .incomplete: return label(Label.incomplete)
        }
    }

    /// A label of the reports' own text.
    public func label(_ key: Label) -> String {
        self == .chinese ? key.chinese : key.english
    }

    public enum Label: CaseIterable {
        case verdict, pass, fail, incomplete, failures, warnings, info, couldNotCheck, uncheckedErrors, passed, notApplicable, required, found, evidence, fix
        case image, scenario, accelerator, timeline, console, instance, staticInspection, waived, duration, stage, seconds, bootPhase
        case diagnosis, diagnosisIntro, postMortemProblems, afterReboot, keptRunning

        var english: String {
            switch self {
            case .verdict: return "Verdict"
            case .pass: return "PASS"
            case .fail: return "FAIL"
            case .incomplete: return "INCOMPLETE"
            case .info: return "Info"
            case .uncheckedErrors: return "error rules that could not be checked"
            case .failures: return "Failures"
            case .warnings: return "Warnings"
            case .couldNotCheck: return "Could not check"
            case .passed: return "Passed"
            case .notApplicable: return "Not applicable"
            case .required: return "Required"
            case .found: return "Found"
            case .evidence: return "Evidence"
            case .fix: return "Fix"
            case .image: return "Image"
            case .scenario: return "Scenario"
            case .bootPhase: return "Boot phase"
            case .accelerator: return "Accelerator"
            case .timeline: return "Boot timeline"
            case .console: return "Console log (ttyS0)"
            case .instance: return "Instance"
            case .staticInspection: return "Static inspection"
            case .waived: return "Waived"
            case .duration: return "Duration"
            case .stage: return "Stage"
            case .seconds: return "Seconds after start"
            case .diagnosis: return "Diagnosis"
            case .diagnosisIntro: return "What the guest itself logged, read from its disk after the instance stopped; each line with its file and line number (journal: entry number of this boot)."
            case .postMortemProblems: return "Not read from the guest's disk"
            case .afterReboot: return "After the reboot (seconds after it)"
            case .keptRunning: return "Kept running for support"
            }
        }

        var chinese: String {
            switch self {
            case .verdict: return "审核结论"
            case .pass: return "通过"
            case .fail: return "不通过"
            case .incomplete: return "检查不完整"
            case .info: return "提示"
            case .uncheckedErrors: return "条必须项无法检查"
            case .failures: return "不通过项"
            case .warnings: return "警告"
            case .couldNotCheck: return "无法检查"
            case .passed: return "通过项"
            case .notApplicable: return "不适用"
            case .required: return "要求"
            case .found: return "实际情况"
            case .evidence: return "证据"
            case .fix: return "修复方法"
            case .image: return "镜像"
            case .scenario: return "场景"
            case .bootPhase: return "启动阶段"
            case .accelerator: return "加速方式"
            case .timeline: return "启动时间线"
            case .console: return "串口日志 (ttyS0)"
            case .instance: return "实例"
            case .staticInspection: return "静态检查"
            case .waived: return "已豁免"
            case .duration: return "耗时"
            case .stage: return "阶段"
            case .seconds: return "启动后秒数"
            case .diagnosis: return "诊断"
            case .diagnosisIntro: return "实例停止后从其磁盘读取的客户机自身日志；每行注明文件和行号（journal：本次启动的条目序号）。"
            case .postMortemProblems: return "未能从客户机磁盘读取"
            case .afterReboot: return "重启后（重启后秒数）"
            case .keptRunning: return "实例保持运行，供支持人员排查"
            }
        }
    }
}
