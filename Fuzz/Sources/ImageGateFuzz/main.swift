import Foundation

// Hands the command line to libFuzzer's driver, which calls
// `fuzzOneInput` for every input (SwiftPM names this file's code the
// executable's entry point, so libFuzzer's own `main` is not used).
_ = FuzzTarget.selected
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(runFuzzerDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) })
