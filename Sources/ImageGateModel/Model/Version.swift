/// ImageGate's version, written into every report.
public enum ImageGateVersion {
    public static let current = "0.1.0"
}
