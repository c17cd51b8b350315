import Foundation
import ImageGateInspection
import ImageGateModel

/// The NoCloud seed (an ISO9660 volume labelled `cidata`) that plays the
/// platform's metadata service for one instance: meta-data, a v2
/// network-config matching the NIC by MAC, and user-data with a test user,
/// the data disk's format-and-mount, and the guest probe that reports first
/// boot's facts on ttyS0.
public struct CloudInitSeed: Sendable {
    public var instance: InstanceMetadata
    /// The per-run SSH public key of the test user.
    public var sshPublicKey: String
    /// Guest device of the blank data disk; nil: the instance has none.
    public var dataDevice: String? = "/dev/vdb"
    /// The probe reports on every boot, not only the first (a reboot step).
    public var probeEveryBoot = false
    /// The run's nonce, handed to the probe on its command line.
    public var probeNonce: String

    public init(instance: InstanceMetadata, sshPublicKey: String, probeNonce: String = GuestProbe.makeNonce()) {
        self.instance = instance
        self.sshPublicKey = sshPublicKey
        self.probeNonce = probeNonce
    }

    public static let testUser = "imagegate"

    /// The platform's data disk: one partition, ext4, mounted at /data;
    /// nothing when the instance has no data disk.
    var dataDiskConfig: String {
        guard let dataDevice else { return "" }
        return """
            # The platform's data disk: one partition, ext4, mounted at /data.
            disk_setup:
              \(dataDevice):
                table_type: mbr
                layout: [100]
                overwrite: false
            fs_setup:
              - label: data
                filesystem: ext4
                device: \(dataDevice)
                partition: auto
            mounts:
              - [\(dataDevice)1, /data, ext4, "defaults,nofail", "0", "2"]

            """
    }

    public var metaData: String {
        """
        instance-id: \(instance.instanceID)
        local-hostname: \(instance.hostname)

        """
    }

    public var networkConfig: String {
        var lines = [
            "version: 2",
            "ethernets:",
            "  eth0:",
            "    match:",
            "      macaddress: \"\(instance.mac)\"",
            "    set-name: eth0",
        ]
        if instance.dhcp {
            lines.append("    dhcp4: true")
        } else {
            lines += [
                "    dhcp4: false",
                "    addresses: [\(instance.ip)/\(instance.prefix)]",
                // gateway4, not routes: every renderer (ENI, netplan,
                // sysconfig, NetworkManager, networkd) writes it natively;
                // ENI renders `routes` with net-tools' `route`, which
                // minimal images lack.
                "    gateway4: \(instance.gateway)",
            ]
            if !instance.dns.isEmpty {
                lines += ["    nameservers:", "      addresses: [\(instance.dns.joined(separator: ", "))]"]
            }
        }
        // Further NICs: matched by MAC, a static address, no gateway.
        for (index, nic) in instance.extraNICs.enumerated() {
            lines += [
                "  eth\(index + 1):",
                "    match:",
                "      macaddress: \"\(nic.mac)\"",
                "    set-name: eth\(index + 1)",
                "    dhcp4: false",
                "    addresses: [\(nic.ip)/\(nic.prefix)]",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public var userData: String {
        let probe = GuestProbe.script.split(separator: "\n", omittingEmptySubsequences: false)
            .map { "      " + $0 }.joined(separator: "\n")
        return """
            #cloud-config
            # Written by ImageGate for one first-boot check.
            users:
              - default
              - name: \(Self.testUser)
                gecos: ImageGate first-boot probe
                shell: /bin/sh
                sudo: "ALL=(ALL) NOPASSWD:ALL"
                lock_passwd: true
                ssh_authorized_keys:
                  - \(sshPublicKey)
            \(dataDiskConfig)write_files:
              - path: \(GuestProbe.path)
                permissions: "0755"
                content: |
            \(probe)
              - path: /etc/systemd/system/imagegate-probe.service
                content: |
                  [Unit]
                  Description=ImageGate first-boot probe (reports facts on ttyS0 once cloud-init is done)
                  [Service]
                  # simple, not oneshot: enabled for every boot (a reboot
                  # step), a oneshot would hold multi-user.target, which
                  # cloud-final waits for, while the probe waits for it.
                  Type=simple
                  ExecStart=\(GuestProbe.path) --console \(probeNonce)
                  [Install]
                  WantedBy=multi-user.target
            runcmd:
            \(probeEveryBoot ? "  - [systemctl, enable, imagegate-probe.service]\n" : "")  - [systemctl, start, --no-block, imagegate-probe.service]

            """
    }

    /// The three files, by name, as the seed holds them.
    public var files: [String: String] {
        ["meta-data": metaData, "network-config": networkConfig, "user-data": userData]
    }

    /// Writes the three files and builds the ISO with xorriso.
    public func write(to iso: String, workDirectory: String) async throws {
        let dir = workDirectory + "/seed"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try metaData.write(toFile: dir + "/meta-data", atomically: true, encoding: .utf8)
        try networkConfig.write(toFile: dir + "/network-config", atomically: true, encoding: .utf8)
        try userData.write(toFile: dir + "/user-data", atomically: true, encoding: .utf8)
        let result = try await BoundedProcess.run("xorriso", [
            "-as", "mkisofs", "-quiet", "-output", iso, "-volid", "cidata", "-joliet", "-rock",
            dir + "/user-data", dir + "/meta-data", dir + "/network-config",
        ], timeout: .seconds(60))
        guard result.status == 0 else {
            throw ImageGateError.infrastructure("xorriso could not write the seed: \(result.firstLine)")
        }
    }
}
