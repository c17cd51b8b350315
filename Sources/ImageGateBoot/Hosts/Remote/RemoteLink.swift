import Libvirt
import ImageGateModel

/// What every connection to a remote host is asked for: a keepalive ping
/// every 5 s, the connection closed after 6 unanswered (30 s), so a host
/// that went away ends its calls and streams with an error.
enum RemoteLink {
    static let interval: Int32 = 5
    static let unanswered: UInt32 = 6

    static func keepAlive(_ connection: Connection) async {
        do {
            try await connection.setKeepAlive(interval: interval, count: unanswered)
        } catch {
            Log.warning("\(connection.uri): no keepalive (\(error)): a host that stops answering is noticed only by each call's own bounds")
        }
    }
}
