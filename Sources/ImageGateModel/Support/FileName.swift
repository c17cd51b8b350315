/// Names and paths from an image, a manifest or a guest made safe to
/// write under a folder of ImageGate's own.
public enum FileName {
    /// One file name: letters, digits, `-`, `_` and `.` kept; everything
    /// else `_` (no `/`, and never `.` or `..`: the name stays in its folder).
    public static func safe(_ text: String) -> String {
        let name = String(String.UnicodeScalarView(text.unicodeScalars.map {
            ($0.properties.isAlphabetic && $0.isASCII) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) ? $0 : "_"
        }))
        return name.isEmpty || isDotOrDotDot(name) ? "_" : name
    }

    /// A guest's absolute path as a path to append to a folder: `/` and
    /// its components, less every `.` and `..`, so it stays inside.
    public static func inside(_ guestPath: String) -> String {
        "/" + components(guestPath).filter { !isDotOrDotDot($0) }.joined(separator: "/")
    }

    /// A path's non-empty components as the kernel splits them: at every
    /// `/` byte. Swift's characters would not do: a `/` followed by a
    /// combining mark is one character, and would hide a `..` after it.
    public static func components(_ path: String) -> [String] {
        path.unicodeScalars.split(separator: "/").map { String(String.UnicodeScalarView($0)) }
    }

    /// Whether a component is `.` or `..`, byte for byte.
    public static func isDotOrDotDot(_ component: String) -> Bool {
        component.utf8.elementsEqual(".".utf8) || component.utf8.elementsEqual("..".utf8)
    }
}
