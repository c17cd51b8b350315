import ImageGateTesting
import Testing
@Test(arguments: GateRule.all) func gate(_ rule: GateRule) async throws { try await rule.check(scenario: "Tests/Scenarios/conformant-fixture.yaml") }
