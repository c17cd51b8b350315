import ImageGate
import ImageGateBoot
import XCTest

/// How many boots the machine admits, alone and beside the static phase's
/// appliance, and how far their deadlines stretch.
final class BootAdmissionTests: XCTestCase {
    /// Beside the appliance, its vCPU counts against every boot but the
    /// first, which starts whenever the memory is there; without the
    /// memory, none does. Alone, one boot at least.
    func testTheFirstBootStartsBesideTheApplianceWhenTheMemoryIsThere() {
        let plenty = 24 * 1024
        XCTAssertEqual(BootAdmission.jobs(memoryMiBPerBoot: 2048, cpusPerBoot: 2, besideAnAppliance: true, cores: 2, availableMiB: plenty), 1)
        XCTAssertEqual(BootAdmission.jobs(memoryMiBPerBoot: 1024, cpusPerBoot: 1, besideAnAppliance: true, cores: 2, availableMiB: plenty), 1)
        XCTAssertEqual(BootAdmission.jobs(memoryMiBPerBoot: 1024, cpusPerBoot: 1, besideAnAppliance: true, cores: 1, availableMiB: plenty), 1)
        XCTAssertEqual(BootAdmission.jobs(memoryMiBPerBoot: 2048, cpusPerBoot: 2, besideAnAppliance: true, cores: 8, availableMiB: plenty), 3)
        XCTAssertEqual(BootAdmission.jobs(memoryMiBPerBoot: 2048, cpusPerBoot: 2, besideAnAppliance: false, cores: 8, availableMiB: plenty), 4)
        // 3 GiB free: the appliance's 1.5 GiB leaves too little for a 2 GiB boot beside it, not alone.
        XCTAssertEqual(BootAdmission.jobs(memoryMiBPerBoot: 2048, cpusPerBoot: 2, besideAnAppliance: true, cores: 2, availableMiB: 3072), 0)
        XCTAssertEqual(BootAdmission.jobs(memoryMiBPerBoot: 2048, cpusPerBoot: 2, besideAnAppliance: false, cores: 2, availableMiB: 3072), 1)
        XCTAssertEqual(BootAdmission.jobs(memoryMiBPerBoot: 2048, cpusPerBoot: 2, besideAnAppliance: false, cores: 2, availableMiB: 0), 1)
    }

    /// The deadlines stretch by the vCPUs over the cores, the appliance's
    /// one included, never below 1 and never past the number of guests.
    func testDeadlinesStretchByTheVCPUsOverTheCoresTheAppliancesIncluded() {
        XCTAssertEqual(BootAdmission.loadFactor(jobs: 1, cpusPerBoot: 2, cores: 2), 1)
        XCTAssertEqual(BootAdmission.loadFactor(jobs: 1, cpusPerBoot: 2, besideAnAppliance: true, cores: 2), 1.5)
        XCTAssertEqual(BootAdmission.loadFactor(jobs: 1, cpusPerBoot: 1, besideAnAppliance: true, cores: 2), 1)
        XCTAssertEqual(BootAdmission.loadFactor(jobs: 2, cpusPerBoot: 2, cores: 2), 2)
        XCTAssertEqual(BootAdmission.loadFactor(jobs: 2, cpusPerBoot: 4, cores: 2), 2, "at most the number of guests")
        XCTAssertEqual(BootAdmission.loadFactor(jobs: 1, cpusPerBoot: 8, besideAnAppliance: true, cores: 1), 2, "at most the number of guests")
        XCTAssertEqual(BootAdmission.loadFactor(jobs: 3, cpusPerBoot: 1, cores: 8), 1)
    }
}
