import Hummingbird
import NIOCore

/// The request context of `cadence serve`: Hummingbird's basic one plus the connection's peer address, which
/// the tracking routes need to tell Apple's relay apart (and never store).
struct ServerRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
