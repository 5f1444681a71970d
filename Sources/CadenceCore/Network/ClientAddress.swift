/// Which address a request came from: the connection's peer, unless that peer is a proxy the configuration
/// trusts, in which case the nearest address in `X-Forwarded-For` that is not one of those proxies. Anyone can
/// write `X-Forwarded-For`, so without trusted proxies it is ignored.
public enum ClientAddress {
    public static func resolve(peer: IPAddress?, forwardedFor: [String], trusted: IPRangeSet) -> IPAddress? {
        guard let peer, trusted.contains(peer) else { return peer }
        // Each proxy appends the address it received from, so the list is read from the right.
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }
        var nearest = peer
        for hop in hops.reversed() {
            guard let address = IPAddress(hop) else { return nearest }
            guard trusted.contains(address) else { return address }
            nearest = address
        }
        return nearest
    }
}
