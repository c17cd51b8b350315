@testable import ImageGate
@testable import ImageGateBoot
import XCTest

/// A volume's timestamps read from the XML a host sends: only inside
/// `<timestamps>`, finite numbers only, nothing from a flood.
final class VolumeTimesTests: XCTestCase {
    func testReadsModifiedAndChangedInsideTimestamps() {
        let xml = """
            <volume type='file'><name>candidate-x</name><mtime>1</mtime>
              <target><timestamps>
                <atime>1796219908.899066417</atime>
                <mtime>1796219908.892731218</mtime>
                <ctime> 1796219910.5 </ctime>
              </timestamps></target>
            </volume>
            """
        let times = VolumeTimes(xml: xml)
        XCTAssertEqual(times.modified ?? 0, 1796219908.892731218, accuracy: 0.001)
        XCTAssertEqual(times.changed ?? 0, 1796219910.5, accuracy: 0.001)
    }

    func testMissingMalformedOrFloodedTimesAreUnknown() {
        XCTAssertEqual(VolumeTimes(xml: "<volume><mtime>5</mtime></volume>"), VolumeTimes(xml: ""))
        XCTAssertNil(VolumeTimes(xml: "<timestamps><mtime>nan</mtime><ctime>inf</ctime></timestamps>").modified)
        XCTAssertNil(VolumeTimes(xml: "<timestamps><mtime>12</timestamps></mtime>").modified)
        let flood = "<timestamps>" + String(repeating: " ", count: 100 << 10) + "<mtime>7</mtime></timestamps>"
        XCTAssertNil(VolumeTimes(xml: flood).modified, "read past the first 64 KiB")
    }
}
