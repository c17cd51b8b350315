import ImageGate
import ImageGateBoot
import ImageGateModel
import XCTest

final class BootPlanTests: XCTestCase {
    let instance = InstanceMetadata(hostname: "ig-plan", mac: "52:54:00:12:34:56", ip: "10.77.0.20", prefix: 24,
                                    gateway: "10.77.0.1", dns: ["10.77.0.3"])

    func plan(_ accelerator: Accelerator = .tcg) -> BootPlan {
        BootPlan(image: ImageFile(path: "/images/vendor.qcow2", format: "qcow2", virtualSize: 20 << 30),
                 instance: instance, accelerator: accelerator, sshPort: 40222, directory: "/state/runs/boot-1-abc", name: "imagegate-boot-1-abc")
    }

    func testDomainXMLHasThePlatformsDevices() {
        let xml = plan().domainXML
        XCTAssertTrue(xml.contains("<domain type='qemu'"), "TCG gives domain type qemu")
        XCTAssertTrue(plan(.kvm).domainXML.contains("<domain type='kvm'"))
        XCTAssertTrue(xml.contains("machine='pc'"))
        XCTAssertTrue(xml.contains("<source file='/state/runs/boot-1-abc/overlay.qcow2'/>"), xml)
        XCTAssertTrue(xml.contains("<target dev='vda' bus='virtio'/>"))
        XCTAssertTrue(xml.contains("<target dev='vdb' bus='virtio'/>"))
        XCTAssertTrue(xml.contains("<target dev='hdc' bus='ide'/>"), "the seed is an IDE CD-ROM")
        // The candidate only as the overlay's backing file, the chain pinned
        // and ended: a backing file added to it later is never followed.
        XCTAssertEqual(xml.components(separatedBy: "/images/vendor.qcow2").count - 1, 1, "the candidate is never attached directly")
        XCTAssertTrue(xml.contains("""
            <source file='/state/runs/boot-1-abc/overlay.qcow2'/>
                  <backingStore type='file'>
                    <format type='qcow2'/>
                    <source file='/images/vendor.qcow2'/>
                    <backingStore/>
                  </backingStore>
            """), xml)
        XCTAssertTrue(xml.contains("<serial type='file'>\n      <source path='/state/runs/boot-1-abc/console.log'/>"), xml)
        var kept = plan()
        kept.interactiveConsole = true
        XCTAssertTrue(kept.domainXML.contains("<serial type='pty'>"), "a run kept running: ttyS0 on a pty for imagegate console")
        XCTAssertFalse(kept.domainXML.contains("console.log"),
                       "no file QEMU writes the console to: it would grow without bound once the run is left running")
        XCTAssertTrue(xml.contains("restrict=on"))
        XCTAssertTrue(xml.contains("hostfwd=tcp:127.0.0.1:40222-10.77.0.20:22"), "SSH only on loopback")
        XCTAssertTrue(xml.contains("virtio-net-pci,netdev=ignet0,mac=52:54:00:12:34:56"))
        XCTAssertTrue(xml.contains("net=10.77.0.0/24") && xml.contains("host=10.77.0.1"))
    }

    func testSeedMatchesTheNICByMACAndNamesItEth0() {
        let seed = CloudInitSeed(instance: instance, sshPublicKey: "ssh-ed25519 AAAA test")
        XCTAssertTrue(seed.networkConfig.contains("macaddress: \"52:54:00:12:34:56\""))
        XCTAssertTrue(seed.networkConfig.contains("set-name: eth0"))
        XCTAssertTrue(seed.networkConfig.contains("addresses: [10.77.0.20/24]"))
        XCTAssertTrue(seed.networkConfig.contains("gateway4: 10.77.0.1"))
        XCTAssertTrue(seed.metaData.contains("local-hostname: ig-plan"))
        XCTAssertTrue(seed.metaData.contains("instance-id: iid-imagegate-"))
        XCTAssertTrue(seed.userData.hasPrefix("#cloud-config\n"))
        XCTAssertTrue(seed.userData.contains("ssh-ed25519 AAAA test"))
        XCTAssertTrue(seed.userData.contains("[/dev/vdb1, /data, ext4"))
        var dhcp = instance
        dhcp.dhcp = true
        XCTAssertTrue(CloudInitSeed(instance: dhcp, sshPublicKey: "k").networkConfig.contains("dhcp4: true"))
    }

    func testMetadataValidationNamesTheBadField() {
        var bad = instance
        bad.mac = "52:54:00:12:34"
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("mac"), "\($0)") }
        bad = instance
        bad.gateway = "10.78.0.1"
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("gateway"), "\($0)") }
        bad = instance
        bad.hostname = "bad_name!"
        XCTAssertThrowsError(try bad.validate()) { XCTAssertTrue("\($0)".contains("hostname"), "\($0)") }
        XCTAssertNoThrow(try instance.validate())
        XCTAssertNoThrow(try InstanceMetadata.fresh().validate())
    }

    func testDeadlinesScaleWithTheAccelerator() {
        let kvm = BootDeadlines(multiplier: 1), tcg = BootDeadlines(multiplier: 5)
        XCTAssertEqual(tcg.loginPrompt, kvm.loginPrompt * 5)
        var capped = tcg
        capped.cap(100)
        XCTAssertEqual(capped.cloudInitFinished, 100)
    }
}
