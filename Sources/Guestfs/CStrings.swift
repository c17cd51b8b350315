import CGuestfs
import Foundation

/// Converts and frees the NULL-terminated string lists libguestfs returns.
enum CStrings {
    static func take(_ list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> [String] {
        var strings: [String] = []
        var index = 0
        while let item = list[index] {
            strings.append(String(cString: item))
            free(item)
            index += 1
        }
        free(list)
        return strings
    }

    /// A libguestfs "hashtable": a flat list of key, value, key, value.
    static func takePairs(_ list: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> [(String, String)] {
        let flat = take(list)
        return stride(from: 0, to: flat.count - 1, by: 2).map { (flat[$0], flat[$0 + 1]) }
    }

    static func take(_ string: UnsafeMutablePointer<CChar>) -> String {
        defer { free(string) }
        return String(cString: string)
    }
}
