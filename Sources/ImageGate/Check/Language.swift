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
            guard let text = ChineseRuleText.table[finding.rule] else { return finding }
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

/// Every rule's title, requirement and fix in Chinese (the guide's words
/// where it has them).
enum ChineseRuleText {
    struct Text {
        var title: String
        var required: String
        var fix: String
    }

    static let table: [String: Text] = [
        "IMG-OS": Text(title: "只含一个 ImageGate 可审核的操作系统", required: "镜像中恰好有一个 ImageGate 能识别并有规则的操作系统（Linux、Windows；没有系统、有两个系统或系统未知均不通过，并列出所发现的内容）", fix: "每个镜像只放一个可启动的 Linux 或 Windows 系统；删除磁盘上的其他系统和残留的根文件系统。"),
        "WIN-DISK-MIN": Text(title: "系统盘不小于 40 GiB", required: "Windows 系统盘虚拟大小 >= 40 GiB", fix: "扩容镜像：qemu-img resize IMAGE 40G，再把 C: 扩展到磁盘末尾（磁盘管理，或 diskpart：select volume C、extend）。"),
        "WIN-BIOS-BOOT": Text(title: "BIOS（MBR）启动", required: "镜像从 MBR 磁盘的活动分区以 BIOS 方式启动；UEFI 镜像需要平台人工处理", fix: "按 BIOS 启动制作镜像：MBR 分区表，启动分区设为活动分区（或告知平台该镜像需要 UEFI）。"),
        "WIN-PARTITIONS": Text(title: "启动分区在前，C: 在最后并到磁盘末尾", required: "如有启动分区，它是第一个分区；系统分区（C:）是最后一个分区并延伸到磁盘末尾，其后没有其他分区", fix: "按平台要求布置磁盘：启动分区（系统保留或 EFI）在前，C: 在最后并扩展到磁盘末尾；移动或删除位于 C: 之后的恢复分区（diskpart），再扩展 C:。"),
        "WIN-VIRTIO": Text(title: "virtio 存储和网络驱动", required: "已安装 virtio 存储和网络驱动（viostor、netkvm）；Windows Server 2012 及以下建议 0.1.164 版本，以上建议 0.1.229 版本，无明确问题不要修改驱动版本", fix: "安装 virtio-win 驱动（https://fedorapeople.org/groups/virt/virtio-win/direct-downloads/archive-virtio/）：Windows Server 2012 及以下用 0.1.164，以上用 0.1.229；viostor 和 netkvm 都要安装。"),
        "WIN-CLOUDBASE-INIT": Text(title: "已安装 cloudbase-init（Windows Server 2016 及以上）", required: "Windows Server 2016 及以上：已安装 cloudbase-init，不删除其软件包和服务，不改动 C:\\Program Files\\Cloudbase Solutions", fix: "安装平台提供的 cloudbase-init（卖家指南中的 cloud-init 下载链接），保留其服务和 C:\\Program Files\\Cloudbase Solutions 目录。"),
        "WIN-BOOTSCRIPT": Text(title: "启动脚本 C:\\bootstrap.bat（无 cloudbase-init 时）", required: "没有 cloudbase-init 的系统：C:\\bootstrap.bat 已注册为计算机启动脚本（组策略）", fix: "运行 gpedit.msc → 计算机配置 → Windows 设置 → 脚本 → 启动 → 添加：C:\\bootstrap.bat（平台的脚本）；或安装 cloudbase-init。"),
        "WIN-CLOUDBASE-CLEAN": Text(title: "已清理 cloudbase-init 状态", required: "注册表项 HKLM\\SOFTWARE\\Cloudbase Solutions\\Cloudbase-Init 已删除，...\\Cloudbase-Init\\log\\cloudbase-init.log 为空", fix: "在 PowerShell 中执行：Remove-Item -Path \"HKLM:\\SOFTWARE\\Cloudbase Solutions\\Cloudbase-Init\" -Recurse -Force；Set-Content -Path \"C:\\Program Files\\Cloudbase Solutions\\Cloudbase-Init\\log\\cloudbase-init.log\" -Value \"\""),
        "WIN-RDP": Text(title: "已开启远程桌面", required: "已开启远程桌面：fDenyTSConnections = 0，且 TermService 服务未被禁用", fix: "系统属性 → 远程 → 允许远程连接到此计算机（将 fDenyTSConnections 设为 0），并把远程桌面服务（TermService）设为手动或自动。"),
        "WIN-FIREWALL": Text(title: "关闭所有防火墙配置文件", required: "Windows 防火墙的所有配置文件（域、专用、公用）均已关闭", fix: "netsh advfirewall set allprofiles state off"),
        "WIN-LOCKOUT": Text(title: "不锁定账户", required: "账户锁定阈值为 0（账户永不锁定）", fix: "secpol.msc → 账户策略 → 账户锁定策略 → 账户锁定阈值：0（或 net accounts /lockoutthreshold:0）。"),
        "WIN-MONITOR-AGENT": Text(title: "已安装平台监控代理", required: "已安装平台的监控代理（路径和服务见平台配置）", fix: "按文档安装平台的 Windows 监控代理（https://docs.ucloud.cn/umon/agent），并把其服务设为自动启动。"),
        "WIN-NO-DYNAMIC-ID": Text(title: "不依赖 IP、主机名或 MAC", required: "镜像不依赖制作时的 IP、主机名或 MAC 地址", fix: "让服务在启动时读取实例自己的地址和名称，而不是制作机器的。"),
        "WIN-CLEANUP": Text(title: "已清理制作残留", required: "已清理浏览器记录、Windows 更新日志和缓存、事件日志和临时文件", fix: "制作镜像前：清空事件日志（wevtutil el | ForEach-Object { wevtutil cl $_ }），清空 C:\\Windows\\Temp、各用户的 %TEMP% 和 C:\\Windows\\SoftwareDistribution\\Download，删除 C:\\Windows\\Logs\\WindowsUpdate\\*，并清除浏览器记录。"),
        "WIN-PATCHES": Text(title: "已安装的更新", required: "已安装最新的安全更新（列出供审核员查看）", fix: "制作镜像前通过 Windows 更新安装最新的累积更新。"),
        "LNX-DISK-MIN": Text(title: "系统盘不小于 20 GiB", required: "系统盘虚拟大小 >= 20 GiB", fix: "扩容镜像：qemu-img resize IMAGE 20G，再扩展最后一个分区及其文件系统（growpart、resize2fs / xfs_growfs）。"),
        "LNX-FORMAT": Text(title: "磁盘格式为 qcow2", required: "镜像为 qcow2 格式（virtio 总线）", fix: "转换格式：qemu-img convert -O qcow2 IMAGE IMAGE.qcow2。"),
        "LNX-NO-SWAP": Text(title: "不使用 SWAP 分区", required: "磁盘上没有 swap 分区，/etc/fstab 中没有 swap 条目", fix: "删除 swap 分区（并把空间给根文件系统），删除 /etc/fstab 中所有 swap 行及 swap 文件。"),
        "LNX-VIRTIO": Text(title: "包含 virtio 驱动", required: "每个已安装内核内置或在 initramfs 中包含 virtio_blk、virtio_net、virtio_pci", fix: "把驱动加入 initramfs：Debian/Ubuntu 在 /etc/initramfs-tools/modules 中写入 virtio_blk virtio_net virtio_pci 后执行 update-initramfs -u；CentOS/RedHat/Rocky 在 /etc/dracut.conf.d/virtio.conf 中写入 add_drivers+=\" virtio_blk virtio_net virtio_pci \" 后执行 dracut -f。"),
        "LNX-NET-FAILOVER": Text(title: "快杰镜像：内核 >= 4.19 且含 net_failover", required: "快杰镜像的内核版本 >= 4.19，并包含 net_failover 驱动", fix: "安装 4.19 及以上、带 net_failover（内置或模块）的内核；或不声明快杰机型。"),
        "LNX-TZDATA-LEGACY": Text(title: "Ubuntu 24.04 安装 tzdata-legacy", required: "Ubuntu 24.04 系统安装了 tzdata-legacy 软件包", fix: "apt-get install tzdata-legacy"),
        "LNX-CLOUD-INIT": Text(title: "cloud-init 已安装并启用", required: "已安装 cloud-init，且未被 /etc/cloud/cloud-init.disabled、内核参数或屏蔽（mask）的服务禁用", fix: "不可删除 cloud-init 软件包及其相关服务：如已删除请重新安装；rm -f /etc/cloud/cloud-init.disabled；systemctl unmask cloud-init-local cloud-init cloud-config cloud-final；去掉内核参数 cloud-init=disabled。"),
        "LNX-CLOUD-INIT-VENDOR": Text(title: "使用平台版 cloud-init", required: "cloud-init 须为平台为该系统提供的版本（版本号带平台标识），不可使用社区版", fix: "按卖家指南的 cloud-init 下载表安装该系统对应的平台版本（rpm -Uvh / dpkg -i 表中的软件包）。"),
        "LNX-FIREWALLD": Text(title: "关闭 firewalld", required: "firewalld 已停止并禁用（Ubuntu 22.04 及以后版本必做）", fix: "systemctl stop firewalld; systemctl disable firewalld"),
        "LNX-NM-SERVER-CONF": Text(title: "NetworkManager 服务器配置", required: "使用 NetworkManager 管理网络时，/usr/lib/NetworkManager/conf.d/00-server.conf 的 [main] 中有 no-auto-default=* 和 ignore-carrier=*", fix: "按指南写入 /usr/lib/NetworkManager/conf.d/00-server.conf：[main] 段包含 no-auto-default=* 与 ignore-carrier=*。"),
        "LNX-ALTNAMES": Text(title: "关闭网卡备用名", required: "存在 99-default.link 时，其 AlternativeNamesPolicy 行已注释", fix: "sed -i 's/^AlternativeNamesPolicy/# AlternativeNamesPolicy/' /usr/lib/systemd/network/99-default.link"),
        "LNX-GRUB-DEFAULT": Text(title: "按指南配置 /etc/default/grub", required: "/etc/default/grub：无 GRUB_TIMEOUT_STYLE，GRUB_TIMEOUT=5，GRUB_CMDLINE_LINUX 含 net.ifnames=0 biosdevname=0 console=tty1 console=ttyS0,115200n8", fix: "sed -i '/^GRUB_TIMEOUT_STYLE/d' /etc/default/grub; sed -i 's/^GRUB_TIMEOUT=.*/GRUB_TIMEOUT=5/' /etc/default/grub; sed -i 's/^GRUB_CMDLINE_LINUX=.*/GRUB_CMDLINE_LINUX=\"net.ifnames=0 biosdevname=0 console=tty1 console=ttyS0,115200n8\"/' /etc/default/grub；然后重新生成 grub.cfg（update-grub 或 grub2-mkconfig -o /boot/grub2/grub.cfg）。"),
        "LNX-GRUB-CFG": Text(title: "已重新生成 grub.cfg", required: "生成的 grub.cfg 默认内核行带有 net.ifnames=0 biosdevname=0 console=tty1 console=ttyS0,115200n8", fix: "修改 /etc/default/grub 后重新生成启动配置：debian/ubuntu 执行 update-grub2 和 update-initramfs -u；centos/redhat/rocky 执行 grub2-mkconfig -o /boot/grub2/grub.cfg。"),
        "LNX-NOUVEAU": Text(title: "屏蔽 nouveau", required: "/etc/modprobe.d/blacklist-nouv.conf 含 blacklist nouveau 和 options nouveau modeset=0", fix: "printf 'blacklist nouveau\\noptions nouveau modeset=0\\n' > /etc/modprobe.d/blacklist-nouv.conf"),
        "LNX-MLX5": Text(title: "mlx5 在 virtio_net 之后加载", required: "/etc/modprobe.d/mlx5.conf 含 softdep mlx5_core pre: virtio_net", fix: "echo 'softdep mlx5_core pre: virtio_net' > /etc/modprobe.d/mlx5.conf"),
        "LNX-AUDITD": Text(title: "auditd 开机启用", required: "已安装 auditd 并设为开机启动（启动检查确认其运行）", fix: "安装审计服务（apt-get install auditd / yum install audit）并启用：systemctl enable auditd"),
        "LNX-MONITOR-AGENT": Text(title: "安装平台监控 Agent", required: "已安装平台的监控 Agent（路径与服务见平台配置）", fix: "按监控代理文档（https://docs.ucloud.cn/umon/agent）安装平台监控 Agent 并启用其服务。"),
        "LNX-DATA-EMPTY": Text(title: "/data 为空或不存在", required: "/data 为空或不存在（它是数据盘挂载点，有文件会导致新机器数据盘无法自动挂载）", fix: "把 /data 中的文件移到其他目录，保持 /data 为空。"),
        "LNX-PYTHON": Text(title: "保留系统 Python", required: "不删除、不升级系统自带 Python；python/python3 软链接仍指向发行版解释器", fix: "重新安装发行版的 python3 并把 /usr/bin/python3 指回其解释器（如 ln -sf python3.11 /usr/bin/python3）；其他版本装在 /usr/local 或 /opt，不要修改 python/python3 软链接。"),
        "LNX-NO-DYNAMIC-ID": Text(title: "不依赖制作机的 IP、主机名、MAC", required: "网络配置和 udev 规则中无 MAC 地址，无 70-persistent-net.rules，无制作机静态地址，/etc/hosts 中无旧主机名，无阻止 cloud-init 应用新网络和主机名的配置", fix: "删除网络配置中的 MAC 匹配和静态地址（由 cloud-init 按平台元数据生成），删除 /etc/udev/rules.d/70-persistent-net.rules，清理 /etc/hosts 中的制作机主机名，去掉 /etc/cloud 中的 'network: {config: disabled}' 与 'preserve_hostname: true'。"),
        "LNX-CLOUD-INIT-CLEAN": Text(title: "已清理 cloud-init 数据", required: "已执行 cloud-init clean：无 /var/lib/cloud/instance 及实例数据；无 /usr/local/ucloud/.cache/metadata.json", fix: "制作镜像前执行 cloud-init clean --logs 和 rm -f /usr/local/ucloud/.cache/metadata.json。"),
        "LNX-HOSTS-CLEAN": Text(title: "/etc/hosts 中无制作机主机名", required: "/etc/hosts 只含标准的 localhost 名称", fix: "从 /etc/hosts 中删除制作机主机名（只保留 localhost 行）；新实例首次启动时由 cloud-init 写入新主机名。"),
        "LNX-CLOUDIMG-LEFTOVERS": Text(title: "已删除云镜像残留文件", required: "已删除 /etc/default/grub.d/50-cloudimg-settings.cfg、/etc/netplan/50-cloud-init.yaml、/etc/sysctl.d/99-cloudimg-ipv6.conf", fix: "rm -f /etc/default/grub.d/50-cloudimg-settings.cfg /etc/netplan/50-cloud-init.yaml /etc/sysctl.d/99-cloudimg-ipv6.conf（然后重新生成 grub.cfg）"),
        "LNX-PROTECTED-FILES": Text(title: "平台文件保持平台写入的内容", required: "blacklist-nouv.conf、mlx5.conf、grub.cfg、/etc/default/grub、99-default.link、00-server.conf（如存在）保持指南给出的内容", fix: "把列出的文件恢复为指南给出的内容（对应规则给出方法），之后不要修改这些文件。"),
        "LNX-HISTORY-CLEAN": Text(title: "已清理历史记录和日志", required: "无 shell 历史、无登录记录（wtmp、btmp、lastlog）、无制作过程的 cloud-init 日志", fix: "制作镜像前：rm -f /root/.*_history /home/*/.*_history；truncate -s 0 /var/log/wtmp /var/log/btmp /var/log/lastlog；rm -f /var/log/cloud-init*.log"),
        "SEC-AUTHORIZED-KEYS": Text(title: "无 SSH 授权公钥", required: "任何用户（包括 root）都没有 authorized_keys 公钥", fix: "删除所有 authorized_keys：rm -f /root/.ssh/authorized_keys* /home/*/.ssh/authorized_keys*（买家的公钥由 cloud-init 在首次启动时写入）。"),
        "SEC-PASSWORD-HASH": Text(title: "无可用密码", required: "/etc/shadow 中无可用的密码哈希（所有账户锁定、为 * 或 !），且无空密码", fix: "锁定所有密码：passwd -l root（及每个用户）或 usermod -p '*' 用户名；不可出现空密码。"),
        "SEC-SSH-HOST-KEYS": Text(title: "不带 SSH 主机密钥", required: "无 /etc/ssh/ssh_host_* 密钥（每个实例自行生成）", fix: "制作镜像前 rm -f /etc/ssh/ssh_host_*（首次启动时由 cloud-init 或 sshd-keygen 生成新密钥）。"),
        "SEC-MACHINE-ID": Text(title: "machine-id 为空", required: "镜像中 /etc/machine-id 为空或不存在（systemd 首次启动时生成唯一值）", fix: "truncate -s 0 /etc/machine-id; rm -f /var/lib/dbus/machine-id（或改为指向 /etc/machine-id 的软链接）。"),
        "SEC-SSHD-PASSWORD-ROOT": Text(title: "禁止 root 用密码登录 SSH", required: "sshd 的 PermitRootLogin 为 no 或 prohibit-password（默认值）", fix: "在 /etc/ssh/sshd_config 中设置 PermitRootLogin prohibit-password（或 no），并删除 /etc/ssh/sshd_config.d/ 中的 PermitRootLogin yes。"),
        "SEC-HISTORY": Text(title: "shell 历史为空", required: "shell 历史文件为空（bash、zsh、python、mysql、less 等）", fix: "rm -f /root/.*_history /root/.lesshst /home/*/.*_history /home/*/.lesshst；退出前执行 history -c。"),
        "BOOT-CONSOLE": Text(title: "ttyS0 串口输出", required: "ttyS0 输出启动信息和登录提示", fix: "内核参数加上 console=tty1 console=ttyS0,115200n8（GRUB_CMDLINE_LINUX，然后 update-grub），并保留 ttyS0 上的 getty（serial-getty@ttyS0）。"),
        "BOOT-NO-PANIC": Text(title: "无内核崩溃或紧急模式", required: "串口上没有 kernel panic、oops、emergency 或 rescue shell", fix: "按串口日志中的行修复：新实例没有的磁盘在 fstab 中须加 nofail（或删除该行）；缺少 init 或根设备须重新生成启动配置。"),
        "BOOT-NETWORK": Text(title: "按元数据配置网络", required: "eth0 使用元数据中的 MAC 和 IP 启动，默认路由指向给定网关", fix: "让 cloud-init 按平台元数据配置网络：删除绑定 MAC 的配置和静态配置以及 'network: {config: disabled}'，保留 net.ifnames=0。"),
        "BOOT-HOSTNAME": Text(title: "按元数据设置主机名", required: "应用元数据中的主机名", fix: "保持 cloud-init 启用及其 set_hostname/update_hostname 模块；删除 preserve_hostname: true 和写死 /etc/hostname 的逻辑。"),
        "BOOT-DATA-DISK": Text(title: "数据盘挂载到 /data", required: "挂载的数据盘挂载在 /data", fix: "保持 /data 为空或不存在，保留 cloud-init 的 disk_setup/fs_setup/mounts 模块，不要在 /etc/fstab 中写死制作时的磁盘。"),
        "BOOT-CLOUD-INIT": Text(title: "cloud-init 正常完成", required: "cloud-init 运行完成且没有错误", fix: "查看证据包中的 /var/log/cloud-init.log，修复或删除出错的模块或厂商配置（例如在新实例上会失败的 bootcmd）。"),
        "BOOT-AUDITD": Text(title: "auditd 运行中", required: "首次启动后 auditd 处于运行状态", fix: "systemctl enable auditd，并用 auditd -f 检查 /etc/audit/auditd.conf，直到能正常启动。"),
        "BOOT-FIREWALLD": Text(title: "firewalld 未运行", required: "首次启动后 firewalld 未运行", fix: "systemctl disable --now firewalld（Ubuntu 22.04 及以后版本必做）。"),
        "BOOT-SERVICE-PORTS": Text(title: "声明的服务端口可访问", required: "产品声明的每个服务端口在首次启动后都能建立连接", fix: "让产品服务开机启动（systemctl enable …），监听所有地址，并在镜像运行的防火墙中放行这些端口。"),
        "BOOT-REINSTANCE": Text(title: "第二个实例同样正常", required: "同一镜像以另一主机名、IP、MAC 创建的第二个实例也通过所有启动检查；实例之间不共享 SSH 主机密钥和 machine-id", fix: "删除所有把镜像绑定到某个实例的内容：SSH 主机密钥、/etc/machine-id、绑定 MAC 或静态的网络配置、主机名固定（见不通过的规则）。"),
    ]
}
