// `import ImageGate` gives a client every layer of the core: the CLI, the
// queue and a vendor's test suite name models, inspection and boot types
// alike without importing each layer.
@_exported import ImageGateBoot
@_exported import ImageGateInspection
@_exported import ImageGateModel
