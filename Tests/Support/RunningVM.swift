import ImageGate
import ImageGateBoot
import ImageGateModel

/// A VM that runs until the test is done with it: for watching a console
/// log the test writes, with no hypervisor.
public struct RunningVM: VirtualMachineInstance {
    /// What the hypervisor says of its processors (nil: it does not say).
    public var registerText: String?
    public init(registers: String? = nil) { registerText = registers }
    public var name: String { "imagegate-test" }
    public func resume() async throws {}
    public func destroy() async throws {}
    public func isRunning() async throws -> Bool { true }
    public func xml() async throws -> String { "" }
    public func sendKeys(_ keys: [UInt32], holdMilliseconds: UInt32) async throws {}
    public func reboot() async throws {}
    public func openConsole() async throws -> any ConsoleChannel { throw ImageGateError.infrastructure("no console") }
    public func registers() async throws -> String? { registerText }
}
