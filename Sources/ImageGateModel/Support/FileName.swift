/// Names from an image, a manifest or a guest made safe as one file name.
package enum FileName {
    /// Letters, digits, `-`, `_` and `.` kept; everything else `_` (no
    /// `/`, and never `.` or `..`: the name stays in its folder).
    package static func safe(_ text: String) -> String {
        let name = String(String.UnicodeScalarView(text.unicodeScalars.map {
            ($0.properties.isAlphabetic && $0.isASCII) || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) ? $0 : "_"
        }))
        return name.isEmpty || name == "." || name == ".." ? "_" : name
    }
}
