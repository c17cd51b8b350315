import ImageGateModel

/// What the disk already says about the default GRUB entry before anything
/// boots: a boot loader is where the BIOS looks (code in the first sector;
/// on GPT, a BIOS boot partition), the entry's kernel and initramfs files
/// are there, its `root=` names a filesystem on this disk, and the init it
/// names is where the kernel looks for it (`rdinit=` in the initramfs,
/// `init=` on the root filesystem). Folded into LNX-GRUB-CFG.
package struct BootChain {
    /// What is wrong, each at its grub.cfg line.
    var problems: [Evidence] = []
    /// What was not decided, and why.
    var notChecked: [String] = []

    /// The default entry's chain, from its `linux` line (a GRUB
    /// configuration, not a BootLoaderSpec entry) and the `initrd` lines
    /// after it in the same entry.
    static func check(_ kernel: BootLoaderRules.KernelLine, grubLines: [Line], context: RuleContext) async throws -> BootChain {
        var chain = BootChain()
        guard let line = kernel.line, let index = grubLines.firstIndex(of: line) else { return chain }
        func words(_ line: Line) -> [String] { line.trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) }
        var initrds: [String] = []
        for next in grubLines[(index + 1)...].prefix(12) {
            let command = words(next)
            if ["menuentry", "submenu", "}"].contains(command.first) { break }
            if ["initrd", "initrd16", "initrdefi"].contains(command.first) { initrds += command.dropFirst() }
        }
        chain.checkPlacement(context.facts)
        for file in words(line).dropFirst().prefix(1) { _ = try await chain.checkFile(file, line: line, path: kernel.path, fs: context.fs) }
        var initramfs: [String] = []
        for file in initrds {
            if let found = try await chain.checkFile(file, line: line, path: kernel.path, fs: context.fs) { initramfs.append(found) }
        }
        chain.checkRoot(kernel.arguments, line: line, path: kernel.path, volumes: context.facts.volumes)
        try await chain.checkInit(kernel.arguments, line: line, path: kernel.path, initramfs: initramfs, fs: context.fs)
        return chain
    }

    /// The last value of kernel parameter `name` (the kernel keeps the last);
    /// words after `--` are init's, not the kernel's.
    static func parameter(_ name: String, in arguments: [String]) -> String? {
        let own = arguments.prefix { $0 != "--" }
        return own.last(where: { $0.hasPrefix(name + "=") }).map { String($0.dropFirst(name.count + 1)) }
    }

    /// `rdinit=` is run from the initramfs, `init=` from the root filesystem
    /// once it is mounted (by the kernel, or by the initramfs, whose scripts
    /// look for it there): a path that is in neither place ends the boot in
    /// a panic or the initramfs shell.
    private mutating func checkInit(_ arguments: [String], line: Line, path: String, initramfs: [String], fs: any GuestFilesystem) async throws {
        if let rdinit = Self.parameter("rdinit", in: arguments), rdinit.hasPrefix("/") {
            var names: Set<String> = [], read = false
            for archive in initramfs {
                // An initramfs past a limit is the virtio rule's to report; here it only leaves rdinit= unchecked.
                guard let listing = try? await fs.initramfsContents(archive) else { continue }
                read = true
                names.formUnion(listing.map { String($0.drop(while: { $0 == "." || $0 == "/" })) })
            }
            let wanted = String(rdinit.drop(while: { $0 == "/" }))
            if !read {
                notChecked.append("rdinit=\(rdinit): no initramfs of the entry could be read")
            } else if !names.contains(wanted) {
                problems.append(Evidence(path: path, line: line.number,
                                         "rdinit=\(rdinit) is not in the initramfs (\(initramfs.joined(separator: ", "))): the kernel has no init to run and panics"))
            }
        }
        if let initPath = Self.parameter("init", in: arguments), initPath.hasPrefix("/"), !(try await fs.exists(initPath)) {
            problems.append(Evidence(path: path, line: line.number,
                                     "init=\(initPath) is not on the root filesystem: the boot ends in a panic or the initramfs shell"))
        }
    }

    package static let biosBootPartition = "21686148-6449-6E6F-744E-656564454649"
    package static let efiSystemPartition = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B"

    /// This platform's firmware is a BIOS: it runs the code in the disk's
    /// first sector, and GRUB on GPT keeps the rest of itself in a BIOS boot
    /// partition.
    private mutating func checkPlacement(_ facts: OSFacts) {
        let gpt = facts.volumes.contains { $0.gptType != nil }
        if gpt, !facts.volumes.contains(where: { $0.gptType == Self.biosBootPartition }) {
            let uefiOnly = facts.volumes.contains { $0.gptType == Self.efiSystemPartition }
            problems.append(Evidence(path: "/dev/sda (GPT)", uefiOnly
                ? "only an EFI system partition, no BIOS boot partition: the image boots with UEFI only, and this platform boots BIOS"
                : "no BIOS boot partition: GRUB for BIOS has nowhere to keep its core on a GPT disk"))
        }
        switch facts.bootCode {
        case false?: problems.append(Evidence(path: "/dev/sda (first sector)", "no boot code: nothing for the BIOS to start"))
        case nil: notChecked.append("the disk's first sector was not read")
        case true?: break
        }
    }

    /// A path as GRUB reads it: relative to the partition GRUB searched
    /// (the root filesystem, or a separate /boot), a `(hd0,msdos1)` device
    /// prefix dropped.
    /// Returns where the file is in the guest, if it is there.
    private mutating func checkFile(_ file: String, line: Line, path: String, fs: any GuestFilesystem) async throws -> String? {
        var name = Substring(file)
        if name.hasPrefix("("), let close = name.firstIndex(of: ")") { name = name[name.index(after: close)...] }
        guard name.hasPrefix("/"), !name.contains("$") else {
            notChecked.append("\(file): a path GRUB works out at boot")
            return nil
        }
        if try await fs.exists(String(name)) { return String(name) }
        if try await fs.exists("/boot" + name) { return "/boot" + name }
        problems.append(Evidence(path: path, line: line.number, "\(file) is not on the disk (neither \(name) nor /boot\(name))"))
        return nil
    }

    /// `root=UUID=…`, `LABEL=…`, `PARTUUID=…` (or their `/dev/disk/by-…`
    /// forms) must name a filesystem blkid found on this disk; a device
    /// name (`/dev/vda1`, an LVM volume) is the guest kernel's to resolve.
    private mutating func checkRoot(_ arguments: [String], line: Line, path: String, volumes: [OSFacts.Volume]) {
        guard let root = arguments.last(where: { $0.hasPrefix("root=") })?.dropFirst("root=".count) else { return }
        let forms: [(prefix: String, key: KeyPath<OSFacts.Volume, String?>)] = [
            ("UUID=", \.uuid), ("/dev/disk/by-uuid/", \.uuid), ("LABEL=", \.label), ("/dev/disk/by-label/", \.label),
            ("PARTUUID=", \.partUUID), ("/dev/disk/by-partuuid/", \.partUUID),
        ]
        guard let form = forms.first(where: { root.hasPrefix($0.prefix) }) else { return }
        let wanted = String(root.dropFirst(form.prefix.count))
        if volumes.contains(where: { $0[keyPath: form.key]?.caseInsensitiveCompare(wanted) == .orderedSame }) { return }
        guard volumes.allSatisfy({ $0.uuid != nil || $0.filesystem.isEmpty || $0.filesystem == "unknown" }), volumes.contains(where: { $0.uuid != nil }) else {
            notChecked.append("root=\(root): the disk's filesystem identifiers were not read")
            return
        }
        let known = volumes.compactMap { volume in volume[keyPath: form.key].map { "\($0) (\(volume.filesystem))" } }
        problems.append(Evidence(path: path, line: line.number,
                                 "root=\(root) names no filesystem on this disk (its \(form.prefix.hasSuffix("=") ? String(form.prefix.dropLast()) : String(form.prefix)) values: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"))
    }
}
