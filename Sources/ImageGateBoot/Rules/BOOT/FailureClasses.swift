import ImageGateModel

/// Every failure class, each declared once and named by the BOOT rule it
/// breaks (``BootRule/failureClasses``) or, when it is only evidence, by
/// ``evidenceOnly``. Within a rule, the more specific classes come first:
/// a console line counts for the first class it matches.
extension FailureClass {
    static let nothingBootable = FailureClass(
        "nothing-bootable", fatal: true,
        signatures: ["No bootable device", "Boot failed: not a bootable disk", "Boot failed: could not read the boot disk",
                     "No boot device available", "No operating system found", "Missing operating system"],
        english: Text(meaning: "nothing bootable on the disk",
                      causes: "no boot loader in the MBR (or only an EFI system partition: this platform boots BIOS), a wiped or never-installed GRUB, a disk image of a partition rather than a whole disk",
                      fix: "Install GRUB for BIOS on the whole disk (grub-install /dev/sda; on GPT with a BIOS boot partition) and regenerate grub.cfg."),
        chinese: Text(meaning: "磁盘上没有可启动的内容",
                      causes: "MBR 中没有引导程序（或只有 EFI 系统分区：本平台以 BIOS 方式启动），GRUB 被擦除或从未安装，镜像是单个分区而非整块磁盘",
                      fix: "在整块磁盘上为 BIOS 安装 GRUB（grub-install /dev/sda；GPT 需有 BIOS boot 分区），并重新生成 grub.cfg。"))

    /// Named from how the boot ended, not from a line: no kernel (and no
    /// init) within the kernel stage's deadline, the console silent after
    /// the firmware or the boot loader.
    static let stalledBeforeKernel = FailureClass(
        "stalled-before-kernel", fatal: true, signatures: [],
        english: Text(meaning: "the boot stopped before the kernel: ttyS0 stayed silent after the firmware or the boot loader",
                      causes: "a boot loader waiting on a screen this platform does not show (a GRUB menu, prompt or password on the VGA console only), a kernel and initramfs that print only to tty0 (no console=ttyS0) and hang before init, a boot loader installed for another disk or partition layout, a kernel that stops before its first message on this CPU",
                      fix: "Watch the boot on the serial console (imagegate boot --keep-running, then imagegate console RUN): set GRUB_TERMINAL=\"serial console\", GRUB_TIMEOUT=1 and console=tty1 console=ttyS0,115200n8 in /etc/default/grub, run update-grub, and remove anything that waits for a key."),
        chinese: Text(meaning: "启动在内核之前停止：固件或引导程序之后 ttyS0 再无输出",
                      causes: "引导程序在本平台看不到的屏幕上等待（仅在 VGA 控制台上的 GRUB 菜单、提示或密码），内核和 initramfs 只输出到 tty0（没有 console=ttyS0）并在 init 之前挂起，引导程序是为另一种磁盘或分区布局安装的，内核在本 CPU 上输出第一条信息之前就停止",
                      fix: "在串口控制台上观察启动（imagegate boot --keep-running，然后 imagegate console RUN）：在 /etc/default/grub 中设置 GRUB_TERMINAL=\"serial console\"、GRUB_TIMEOUT=1 以及 console=tty1 console=ttyS0,115200n8，运行 update-grub，并去掉任何等待按键的设置。"))

    static let grubShell = FailureClass(
        "grub-shell", fatal: true, prompt: true,
        signatures: ["grub rescue>", "grub>", "Entering rescue mode..."],
        english: Text(meaning: "GRUB stopped at its shell",
                      causes: "GRUB cannot find its own files or the partition it was installed for (a changed UUID, a moved /boot, a filesystem GRUB cannot read), or grub.cfg is missing",
                      fix: "Reinstall GRUB and regenerate grub.cfg from the image's own system (grub-install /dev/sda; update-grub), then check that /boot/grub is on the partition GRUB searches."),
        chinese: Text(meaning: "GRUB 停在了它的命令行",
                      causes: "GRUB 找不到自己的文件或安装时对应的分区（UUID 改变、/boot 被移动、GRUB 无法读取的文件系统），或缺少 grub.cfg",
                      fix: "在镜像系统内重新安装 GRUB 并重新生成 grub.cfg（grub-install /dev/sda；update-grub），并确认 /boot/grub 位于 GRUB 搜索的分区上。"))

    static let grubError = FailureClass(
        "grub-error", fatal: false,
        signatures: ["error: no such device", "error: unknown filesystem", "error: file '*' not found", "error: disk `*' not found",
                     "error: no such partition", "error: you need to load the kernel first"],
        english: Text(meaning: "GRUB reported an error",
                      causes: "a grub.cfg entry names a UUID, partition or file that is not on this disk (it was made on the build machine)",
                      fix: "Regenerate grub.cfg inside the image (update-grub) so that its search UUID, root and kernel paths are this disk's."),
        chinese: Text(meaning: "GRUB 报告了错误",
                      causes: "grub.cfg 中的条目引用了本磁盘上不存在的 UUID、分区或文件（它是在构建机上生成的）",
                      fix: "在镜像内重新生成 grub.cfg（update-grub），使其 search UUID、root 和内核路径与本磁盘一致。"))

    static let rootNotFound = FailureClass(
        "root-not-found", fatal: true,
        signatures: ["VFS: Unable to mount root fs", "Gave up waiting for root file system device", "Gave up waiting for root device",
                     "ALERT! * does not exist", "Warning: /dev/* does not exist", "Cannot open root device", "No filesystem could mount root",
                     "Could not boot."],
        english: Text(meaning: "the kernel cannot mount the root filesystem",
                      causes: "root= names a UUID, LABEL or device that is not on this disk; the initramfs lacks virtio_blk or the root filesystem's driver; the root is on LVM or RAID the initramfs does not assemble",
                      fix: "Set root=UUID= of this disk's root filesystem in GRUB (update-grub), and rebuild the initramfs with virtio_blk and the filesystem driver (update-initramfs -u, or dracut -f --add-drivers 'virtio_blk virtio_pci')."),
        chinese: Text(meaning: "内核无法挂载根文件系统",
                      causes: "root= 指向本磁盘上不存在的 UUID、LABEL 或设备；initramfs 缺少 virtio_blk 或根文件系统驱动；根位于 initramfs 未组装的 LVM 或 RAID 上",
                      fix: "在 GRUB 中设置本磁盘根文件系统的 root=UUID=（update-grub），并重建包含 virtio_blk 和文件系统驱动的 initramfs（update-initramfs -u，或 dracut -f --add-drivers 'virtio_blk virtio_pci'）。"))

    static let noInit = FailureClass(
        "no-init", fatal: true,
        signatures: ["No working init found", "Attempted to kill init", "Requested init * failed"],
        english: Text(meaning: "no init could run",
                      causes: "init= on the kernel command line names a missing program, /sbin/init (systemd) is missing or broken, or the root filesystem mounted is not the system's",
                      fix: "Remove init= from the kernel command line (GRUB_CMDLINE_LINUX, update-grub) and reinstall the init system (systemd-sysv)."),
        chinese: Text(meaning: "没有可运行的 init",
                      causes: "内核命令行的 init= 指向不存在的程序，/sbin/init（systemd）缺失或损坏，或挂载的根文件系统不是系统盘",
                      fix: "从内核命令行删除 init=（GRUB_CMDLINE_LINUX，update-grub），并重新安装 init 系统（systemd-sysv）。"))

    static let initNotRun = FailureClass(
        "init-not-run", fatal: false,
        signatures: ["Failed to execute /init", "Failed to execute /sbin/init"],
        english: Text(meaning: "the kernel could not run an init program and tries the next",
                      causes: "the initramfs has no /init, or an init program is missing or not executable",
                      fix: "Rebuild the initramfs (update-initramfs -u or dracut -f) and reinstall the init system."),
        chinese: Text(meaning: "内核无法运行某个 init 程序，正在尝试下一个",
                      causes: "initramfs 中没有 /init，或某个 init 程序缺失或不可执行",
                      fix: "重建 initramfs（update-initramfs -u 或 dracut -f），并重新安装 init 系统。"))

    static let emergencyShell = FailureClass(
        "emergency-shell", fatal: true, prompt: true,
        signatures: ["You are in emergency mode", "Entering emergency mode", "Welcome to emergency mode", "You are in rescue mode",
                     "Give root password for maintenance", "Press Enter for maintenance",
                     "Cannot open access to console, the root account is locked", "Dropping to debug shell", "Dropping to a shell!",
                     "dracut:/#", "(initramfs)", "built-in shell (ash)"],
        english: Text(meaning: "an emergency, rescue, maintenance or initramfs shell",
                      causes: "a filesystem in /etc/fstab without nofail that this instance lacks (or that fails its check), a unit the boot requires failed, or the initramfs could not hand over to the system",
                      fix: "Add nofail to fstab entries for disks a new instance may not have (or remove them), and fix the failed unit the console names before the shell."),
        chinese: Text(meaning: "进入了 emergency、rescue、maintenance 或 initramfs shell",
                      causes: "/etc/fstab 中有未加 nofail 的文件系统而本实例没有（或检查失败），启动必需的单元失败，或 initramfs 无法移交给系统",
                      fix: "为新实例可能没有的磁盘在 fstab 中加 nofail（或删除该行），并修复 shell 之前串口上所列的失败单元。"))

    static let kernelPanic = FailureClass(
        "kernel-panic", fatal: true,
        signatures: ["Kernel panic - not syncing"],
        english: Text(meaning: "kernel panic",
                      causes: "the panic line says why: a missing root or init, a driver fault, memory corruption",
                      fix: "Read the lines before the panic; most first-boot panics are a wrong root= or a missing init (see the classes above)."),
        chinese: Text(meaning: "内核崩溃（kernel panic）",
                      causes: "panic 行给出了原因：根设备或 init 缺失、驱动错误、内存损坏",
                      fix: "查看 panic 之前的几行；首次启动的 panic 多为 root= 错误或缺少 init（见上面的分类）。"))

    static let oops = FailureClass(
        "kernel-oops", fatal: false,
        signatures: ["Oops: ", "kernel BUG at", "BUG: "],
        english: Text(meaning: "kernel oops or BUG",
                      causes: "a kernel or out-of-tree driver fault (often a module built for another kernel)",
                      fix: "Remove or rebuild out-of-tree modules for the image's kernel; update the kernel."),
        chinese: Text(meaning: "内核 oops 或 BUG",
                      causes: "内核或树外驱动出错（常见为针对其他内核编译的模块）",
                      fix: "删除或针对镜像内核重新编译树外模块；更新内核。"))

    static let stall = FailureClass(
        "cpu-stall", fatal: false,
        signatures: ["BUG: soft lockup", "rcu_sched self-detected stall", "rcu: INFO: * detected stalls", "INFO: rcu_* detected stalls",
                     "INFO: task * blocked for more than"],
        english: Text(meaning: "a CPU or task stalled (soft lockup, RCU stall, hung task)",
                      causes: "a driver spinning or waiting for a device that does not answer, or a host too loaded for the guest's watchdogs",
                      fix: "Read the stack after the line; if it names a driver for hardware this platform lacks, remove that driver or its configuration."),
        chinese: Text(meaning: "CPU 或任务停滞（soft lockup、RCU stall、hung task）",
                      causes: "驱动在空转或等待不应答的设备，或宿主机负载过高以致触发来宾的看门狗",
                      fix: "查看该行之后的调用栈；若指向本平台没有的硬件驱动，删除该驱动或其配置。"))

    static let outOfMemory = FailureClass(
        "out-of-memory", fatal: false,
        signatures: ["invoked oom-killer", "Out of memory: Killed process", "Out of memory and no killable processes"],
        english: Text(meaning: "the OOM killer ran",
                      causes: "a service that takes more memory than the smallest instance type offers, or a tmpfs filled at boot",
                      fix: "Lower the service's memory use or declare the minimum memory the image needs; keep boot-time services small."),
        chinese: Text(meaning: "OOM killer 被触发",
                      causes: "某个服务占用的内存超过最小实例规格，或启动时 tmpfs 被写满",
                      fix: "降低该服务的内存占用，或声明镜像所需的最小内存；保持启动期服务精简。"))

    static let orderingCycle = FailureClass(
        "ordering-cycle", fatal: false,
        signatures: ["Found ordering cycle on", "Breaking ordering cycle by deleting job", "Job * deleted to break ordering cycle"],
        english: Text(meaning: "a systemd ordering cycle (systemd dropped a unit to break it)",
                      causes: "units that order themselves After= each other, often a vendor unit After=multi-user.target wanted by an earlier target",
                      fix: "Remove the circular After=/Before=/Wants= between the units the console names (systemd-analyze verify UNIT)."),
        chinese: Text(meaning: "systemd 顺序依赖成环（systemd 删除了某个单元以打破循环）",
                      causes: "单元之间相互 After=，常见为厂商单元 After=multi-user.target 却被更早的 target 所需要",
                      fix: "删除串口所列单元之间循环的 After=/Before=/Wants=（可用 systemd-analyze verify 检查）。"))

    static let generatorFailed = FailureClass(
        "generator-failed", fatal: false,
        signatures: ["system-generators/* failed with exit status", "Failed to execute generator"],
        english: Text(meaning: "a systemd generator failed",
                      causes: "a malformed /etc/fstab, crypttab or kernel command line that a generator cannot parse",
                      fix: "Fix the configuration the generator reads (run it by hand: /usr/lib/systemd/system-generators/NAME /tmp/a /tmp/b /tmp/c)."),
        chinese: Text(meaning: "systemd generator 执行失败",
                      causes: "生成器无法解析的 /etc/fstab、crypttab 或内核命令行",
                      fix: "修复生成器读取的配置（可手动运行 /usr/lib/systemd/system-generators/NAME /tmp/a /tmp/b /tmp/c 检查）。"))

    static let unitFailed = FailureClass(
        "unit-failed", fatal: false,
        signatures: ["A start job is running for * / no limit)", "Timed out waiting for device", "[FAILED] Failed to mount",
                     "Dependency failed for", "[FAILED] Failed to start"],
        english: Text(meaning: "a unit failed, or a start job waits for a device",
                      causes: "an fstab entry or a unit that waits for a device this instance does not have, a mount that fails, a service that fails on a new instance",
                      fix: "Add nofail (and x-systemd.device-timeout=) to fstab entries for optional disks, and fix or disable the failing unit."),
        chinese: Text(meaning: "有单元失败，或启动作业在等待某个设备",
                      causes: "fstab 条目或单元在等待本实例没有的设备，挂载失败，或服务在新实例上失败",
                      fix: "为可选磁盘的 fstab 条目加 nofail（及 x-systemd.device-timeout=），并修复或禁用失败的单元。"))

    static let cloudInitFailure = FailureClass(
        "cloud-init-failure", fatal: false,
        signatures: ["Traceback (most recent call last)", "Running module * failed", "Failed to run module", "Failed running /var/lib/cloud/"],
        english: Text(meaning: "cloud-init raised an error or a module failed",
                      causes: "vendor cloud-config (bootcmd, runcmd, write_files) that fails on a new instance, a datasource configured for another cloud, a broken Python module",
                      fix: "Read /var/log/cloud-init.log at the traceback; fix or remove the failing module's vendor configuration under /etc/cloud/cloud.cfg.d/."),
        chinese: Text(meaning: "cloud-init 抛出异常或模块失败",
                      causes: "在新实例上失败的厂商 cloud-config（bootcmd、runcmd、write_files），为其他云配置的数据源，损坏的 Python 模块",
                      fix: "查看 /var/log/cloud-init.log 中的 traceback；修复或删除 /etc/cloud/cloud.cfg.d/ 下失败模块的厂商配置。"))

    /// Classes that break no rule by themselves: quoted as evidence.
    package static let evidenceOnly: [FailureClass] = [stall, outOfMemory, grubError, initNotRun, orderingCycle, generatorFailed, unitFailed]

    /// The order a console line is matched in: specific classes before the
    /// general ones they share words with (a root that cannot be mounted
    /// before the panic it causes, a soft lockup before a kernel BUG).
    package static let precedence: [FailureClass] = [nothingBootable, stalledBeforeKernel, grubShell, rootNotFound, noInit, initNotRun, emergencyShell, stall,
                                             kernelPanic, oops, outOfMemory, orderingCycle, generatorFailed, unitFailed, grubError,
                                             cloudInitFailure]

    /// Every class.
    public static let all: [FailureClass] = [nothingBootable, stalledBeforeKernel, grubShell, rootNotFound, noInit, emergencyShell, kernelPanic, oops,
                                             cloudInitFailure] + evidenceOnly
}
