import ImageGate
import ImageGateInspection
import XCTest

/// The parsers behind the fast OS discovery: os-release, fstab and the dpkg
/// database, on the shapes other distributions and vendors write.
final class RootDiscoveryTests: XCTestCase {
    func testOSReleaseNamesTheOSAsLibguestfsDoes() {
        let ubuntu = OSRelease(parsing: """
            PRETTY_NAME="Ubuntu 22.04.4 LTS"
            NAME="Ubuntu"
            VERSION_ID="22.04"
            ID=ubuntu
            ID_LIKE=debian
            """)
        XCTAssertEqual(ubuntu.identity(debianVersion: nil),
                       OSIdentity(distro: "ubuntu", majorVersion: 22, minorVersion: 4, productName: "Ubuntu 22.04.4 LTS", packageFormat: "deb"))

        // Debian: the point release and product name come from debian_version.
        let debian = OSRelease(parsing: "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n")
        XCTAssertEqual(debian.identity(debianVersion: "12.7\n"),
                       OSIdentity(distro: "debian", majorVersion: 12, minorVersion: 7, productName: "12.7", packageFormat: "deb"))
        XCTAssertNil(debian.identity(debianVersion: "trixie/sid\n"), "a testing release: libguestfs decides")
        XCTAssertNil(debian.identity(debianVersion: nil))

        let rhel = OSRelease(parsing: "ID=\"rhel\"\nVERSION_ID=\"9.3\"\nPRETTY_NAME='Red Hat Enterprise Linux 9.3 (Plow)'\n")
        XCTAssertEqual(rhel.identity(debianVersion: nil)?.distro, "rhel")
        XCTAssertEqual(rhel.identity(debianVersion: nil)?.minorVersion, 3)
        XCTAssertEqual(rhel.identity(debianVersion: nil)?.productName, "Red Hat Enterprise Linux 9.3 (Plow)")
        XCTAssertEqual(OSRelease(parsing: "ID=opensuse-leap\nVERSION_ID=15.5\nPRETTY_NAME=x").identity(debianVersion: nil)?.distro, "opensuse")

        // Where libguestfs reads other files, or maps the ID differently.
        XCTAssertNil(OSRelease(parsing: "ID=centos\nVERSION_ID=\"7\"\nPRETTY_NAME=CentOS").identity(debianVersion: nil))
        XCTAssertNil(OSRelease(parsing: "ID=rocky\nVERSION_ID=9.3\nPRETTY_NAME=Rocky").identity(debianVersion: nil))
        XCTAssertNil(OSRelease(parsing: "ID=ubuntu\nPRETTY_NAME=Ubuntu").identity(debianVersion: nil), "no VERSION_ID")
    }

    func testOSReleaseUnquotesShellValues() {
        let release = OSRelease(parsing: "# comment\nNAME=\"A \\\"quoted\\\" name\"\nID='x'\nBARE=word\n\n")
        XCTAssertEqual(release.values, ["NAME": "A \"quoted\" name", "ID": "x", "BARE": "word"])
    }

    func testFstabKeepsLocalFilesystemsBelowTheRoot() {
        let fstab = Fstab(parsing: """
            # <file system> <mount point> <type> <options> <dump> <pass>
            UUID=1111-aaaa  /          ext4  defaults  0 1
            LABEL=boot      /boot      ext4  defaults  0 2
            /dev/mapper/vg--data-var  /var  xfs  defaults  0 0
            /swapfile       none       swap  sw        0 0
            proc            /proc      proc  defaults  0 0
            tmpfs           /tmp       tmpfs defaults  0 0
            nfs.example:/x  /mnt/nfs   nfs   defaults  0 0
            /srv/a          /srv/b     none  bind      0 0
            /dev/vdb        /data      ext4  defaults,nofail 0 0
            PARTUUID=abcd-02 /my\\040dir ext4 ro 0 0
            """)
        XCTAssertEqual(fstab.entries.count, 10)
        XCTAssertEqual(fstab.localMounts.map(\.mountpoint), ["/boot", "/var", "/data", "/my dir"])
        XCTAssertEqual(fstab.localMounts.last?.options, ["ro"])
        XCTAssertEqual(fstab.localMounts.last?.line, 11)
    }

    func testFstabDevicesResolveToTheDiskOnTheImage() {
        let devices = [
            BlockDevice(device: "/dev/sda1", type: "ext4", uuid: "6A1F3C2E-aaaa", label: "root", partUUID: "abcd-01"),
            BlockDevice(device: "/dev/sda2", type: "ext4", label: "boot", partUUID: "abcd-02", partLabel: "BOOT"),
            BlockDevice(device: "/dev/vg-data/var", type: "xfs"),
        ]
        func resolve(_ spec: String) -> String? { BlockDevice.resolve(spec, in: devices)?.device }
        XCTAssertEqual(resolve("UUID=6a1f3c2e-AAAA"), "/dev/sda1", "UUIDs compare without case")
        XCTAssertEqual(resolve("/dev/disk/by-uuid/6a1f3c2e-aaaa"), "/dev/sda1")
        XCTAssertEqual(resolve("LABEL=boot"), "/dev/sda2")
        XCTAssertEqual(resolve("PARTUUID=abcd-02"), "/dev/sda2")
        XCTAssertEqual(resolve("PARTLABEL=BOOT"), "/dev/sda2")
        XCTAssertEqual(resolve("/dev/mapper/vg--data-var"), "/dev/vg-data/var")
        XCTAssertEqual(resolve("/dev/vg-data/var"), "/dev/vg-data/var")
        XCTAssertEqual(resolve("/dev/vda2"), "/dev/sda2")
        XCTAssertEqual(resolve("/dev/xvda1"), "/dev/sda1")
        XCTAssertEqual(resolve("/dev/nvme0n1p2"), "/dev/sda2")
        XCTAssertNil(resolve("/dev/vdb"), "a data disk is not on the image")
        XCTAssertNil(resolve("UUID=ffff"))
        XCTAssertNil(resolve("LABEL=ROOT"), "labels are case-sensitive")
    }

    func testBlockDeviceFromWhatBlkidPrints() {
        // `blkid -p -o export /dev/sda1` on an MBR disk.
        let blkid = ["DEVNAME": "/dev/sda1", "LABEL": "root", "UUID": "6a1f3c2e", "TYPE": "ext4", "USAGE": "filesystem",
                     "PART_ENTRY_SCHEME": "dos", "PART_ENTRY_UUID": "9b66c184-01", "PART_ENTRY_TYPE": "0x83"]
        let device = BlockDevice(device: "/dev/sda1", blkid: blkid)
        XCTAssertEqual(device, BlockDevice(device: "/dev/sda1", type: "ext4", uuid: "6a1f3c2e", label: "root", partUUID: "9b66c184-01"))
        XCTAssertEqual(BlockDevice.resolve("PARTUUID=9b66c184-01", in: [device!])?.device, "/dev/sda1")
        XCTAssertNil(BlockDevice(device: "/dev/sda2", blkid: ["PART_ENTRY_SCHEME": "gpt"]), "no filesystem")
    }

    func testDpkgStatusListsInstalledPackagesWithoutEpoch() {
        let status = """
            Package: openssh-server
            Status: install ok installed
            Version: 1:9.2p1-2+deb12u3

            Package: removed-one
            Status: deinstall ok config-files
            Version: 1.0

            Package: held
            Status: hold ok installed
            Architecture: amd64
            Version: 4.4.3-P1-2

            Package: half
            Status: install reinstreq half-installed
            Version: 2.0
            """
        XCTAssertEqual(DpkgStatus.installedPackages(status), ["openssh-server": "9.2p1-2+deb12u3", "held": "4.4.3-P1-2"])
    }
}
