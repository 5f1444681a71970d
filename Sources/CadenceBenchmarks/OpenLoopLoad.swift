import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// A fixed-rate load generator on bare NIO, as wrk2 works: request `i` is due at `start + i / rate` whatever the
/// answers' pace, goes out on connection `i mod connections` as soon as that connection is free, and its latency
/// is measured from when it was due, so a server that stalls is charged for the queue it caused (no coordinated
/// omission). Written here because wrk2 is not packaged in Debian, and AsyncHTTPClient's per-request cost on
/// these two cores kept the previous generator under 9,000 requests a second.
enum OpenLoopLoad {
    struct Result {
        var latenciesMS: [Double]
        var statuses: [Int: Int]
        var elapsed: Double
        /// How late each request's timer fired after its due time.
        var timerLagMS: [Double]
    }

    static func run(host: String, port: Int, paths: [String], rate: Double, seconds: Double, connections: Int) throws -> Result {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let loop = group.next()
        let total = Int(rate * seconds)
        let began = NIODeadline.now() + .milliseconds(200)  // every connection is up by then
        // Each connection's state lives on the one event loop; the bound wrapper carries it across safely.
        var handlers: [NIOLoopBound<Connection>] = []
        var finished: [EventLoopFuture<Void>] = []
        for index in 0..<connections {
            let done = loop.makePromise(of: Void.self)
            let handler = try loop.submit {
                NIOLoopBound(
                    Connection(index: index, connections: connections, total: total, rate: rate, began: began, paths: paths, host: host, done: done),
                    eventLoop: loop)
            }.wait()
            handlers.append(handler)
            finished.append(done.futureResult)
            let bootstrap = ClientBootstrap(group: loop).channelOption(.socketOption(.tcp_nodelay), value: 1).channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(handler.value)
                }
            }
            _ = try bootstrap.connect(host: host, port: port).wait()
        }
        try EventLoopFuture.andAllComplete(finished, on: loop).wait()
        let all = handlers
        return try loop.submit {
            var result = Result(latenciesMS: [], statuses: [:], elapsed: 0, timerLagMS: [])
            var last = began
            for bound in all {
                let handler = bound.value
                result.latenciesMS += handler.latenciesMS
                result.statuses.merge(handler.statuses, uniquingKeysWith: +)
                result.timerLagMS += handler.timerLagMS
                last = max(last, handler.lastAnswer)
            }
            result.elapsed = Double((last - began).nanoseconds) / 1e9
            return result
        }.wait()
    }

    /// One keep-alive connection and its share of the schedule; lives on the one event loop.
    final class Connection: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundOut = HTTPClientRequestPart

        let index: Int
        let connections: Int
        let total: Int
        let rate: Double
        let began: NIODeadline
        let paths: [String]
        let host: String
        let done: EventLoopPromise<Void>
        var next: Int
        var due: [(at: NIODeadline, path: String)] = []
        var head = 0
        var inFlight: NIODeadline?
        var status = 0
        var latenciesMS: [Double] = []
        var timerLagMS: [Double] = []
        var statuses: [Int: Int] = [:]
        var lastAnswer: NIODeadline
        var context: ChannelHandlerContext?
        var finished = false
        /// Timers fired so far, against this connection's share of the schedule.
        var fired = 0
        var share: Int { max(0, (total - index + connections - 1) / connections) }

        init(index: Int, connections: Int, total: Int, rate: Double, began: NIODeadline, paths: [String], host: String, done: EventLoopPromise<Void>) {
            self.index = index
            self.connections = connections
            self.total = total
            self.rate = rate
            self.began = began
            self.paths = paths
            self.host = host
            self.done = done
            self.next = index
            self.lastAnswer = began
        }

        func channelActive(context: ChannelHandlerContext) {
            self.context = context
            scheduleNext()
            finishIfDone()
        }

        /// One timer at a time per connection: the next request of its share.
        func scheduleNext() {
            guard next < total, let context else { return }
            let request = next
            next += connections
            let at = began + .nanoseconds(Int64((Double(request) / rate * 1e9).rounded()))
            context.eventLoop.assumeIsolated().scheduleTask(deadline: at) {
                self.timerLagMS.append(Double((NIODeadline.now() - at).nanoseconds) / 1e6)
                self.fired += 1
                self.due.append((at, self.paths[request % self.paths.count]))
                self.scheduleNext()
                self.sendIfIdle()
            }
        }

        func sendIfIdle() {
            guard inFlight == nil, head < due.count, let context else { return }
            let request = due[head]
            head += 1
            inFlight = request.at
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: host)
            headers.add(name: "User-Agent", value: "Mozilla/5.0 (open-loop benchmark)")
            context.write(wrapOutboundOut(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: request.path, headers: headers))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let response): status = Int(response.status.code)
            case .body: break
            case .end:
                let now = NIODeadline.now()
                if let sent = inFlight { latenciesMS.append(Double((now - sent).nanoseconds) / 1e6) }
                statuses[status, default: 0] += 1
                lastAnswer = now
                inFlight = nil
                sendIfIdle()
                finishIfDone()
            }
        }

        func finishIfDone() {
            guard !finished, fired == share, head == due.count, inFlight == nil else { return }
            finished = true
            done.succeed()
        }

        /// The connection failed or the server closed it: every request it still owed counts as failed.
        func fail(_ context: ChannelHandlerContext) {
            guard !finished else { return }
            let owed = (due.count - head) + (inFlight == nil ? 0 : 1) + (share - fired)
            statuses[0, default: 0] += owed
            next = total
            head = due.count
            inFlight = nil
            finished = true
            context.close(promise: nil)
            done.succeed()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) { fail(context) }

        func channelInactive(context: ChannelHandlerContext) { fail(context) }
    }
}
