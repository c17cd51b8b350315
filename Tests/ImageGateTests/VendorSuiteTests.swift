import ImageGateTesting
import Testing
@Test(arguments: FirstBootRule.all) func firstBoot(_ rule: FirstBootRule) async throws { try await rule.check() }
