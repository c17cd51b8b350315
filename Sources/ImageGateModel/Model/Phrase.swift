/// A phrase of ImageGate's own text, in both languages side by side: the one
/// way every user-visible string that is not a rule's own text (``RuleText``)
/// is translated. Reports read them through ``Language/label(_:)``.
public struct Phrase: Sendable, Equatable {
    public let english: String
    public let chinese: String

    public init(_ english: String, _ chinese: String) {
        self.english = english
        self.chinese = chinese
    }
}

/// The check reports' phrases.
extension Phrase {
    public static let verdict = Phrase("Verdict", "审核结论")
    public static let pass = Phrase("PASS", "通过")
    public static let fail = Phrase("FAIL", "不通过")
    public static let incomplete = Phrase("INCOMPLETE", "检查不完整")
    public static let info = Phrase("Info", "提示")
    public static let uncheckedErrors = Phrase("error rules that could not be checked", "条必须项无法检查")
    public static let failures = Phrase("Failures", "不通过项")
    public static let warnings = Phrase("Warnings", "警告")
    public static let couldNotCheck = Phrase("Could not check", "无法检查")
    public static let passed = Phrase("Passed", "通过项")
    public static let notApplicable = Phrase("Not applicable", "不适用")
    public static let required = Phrase("Required", "要求")
    public static let found = Phrase("Found", "实际情况")
    public static let evidence = Phrase("Evidence", "证据")
    public static let fix = Phrase("Fix", "修复方法")
    public static let image = Phrase("Image", "镜像")
    public static let scenario = Phrase("Scenario", "场景")
    public static let bootPhase = Phrase("Boot phase", "启动阶段")
    public static let accelerator = Phrase("Accelerator", "加速方式")
    public static let timeline = Phrase("Boot timeline", "启动时间线")
    public static let console = Phrase("Console log (ttyS0)", "串口日志 (ttyS0)")
    public static let instance = Phrase("Instance", "实例")
    public static let staticInspection = Phrase("Static inspection", "静态检查")
    public static let waived = Phrase("Waived", "已豁免")
    public static let duration = Phrase("Duration", "耗时")
    public static let stage = Phrase("Stage", "阶段")
    public static let seconds = Phrase("Seconds after start", "启动后秒数")
    public static let diagnosis = Phrase("Diagnosis", "诊断")
    public static let diagnosisIntro = Phrase("What the guest itself logged, read from its disk after the instance stopped; each line with its file and line number (journal: entry number of this boot).", "实例停止后从其磁盘读取的客户机自身日志；每行注明文件和行号（journal：本次启动的条目序号）。")
    public static let postMortemProblems = Phrase("Not read from the guest's disk", "未能从客户机磁盘读取")
    public static let bootFailure = Phrase("How the boot failed", "启动失败的原因")
    public static let endedTheBoot = Phrase("ended the boot", "导致启动终止")
    public static let evidenceOnly = Phrase("evidence", "仅作证据")
    public static let likelyCauses = Phrase("Likely causes", "可能原因")
    public static let afterReboot = Phrase("After the reboot (seconds after it)", "重启后（重启后秒数）")
    public static let keptRunning = Phrase("Kept running for support", "实例保持运行，供支持人员排查")
    public static let windowsNotBooted = Phrase(
        "not booted: ImageGate boots Linux images only; the Windows rules a boot judges (WIN-NO-DYNAMIC-ID) could not be checked",
        "未启动：ImageGate 目前只启动 Linux 镜像；需要启动才能判断的 Windows 规则（WIN-NO-DYNAMIC-ID）无法检查")
}
