import CadenceCore
import CadenceStore
import Foundation
import Testing

extension StoreContractTests {
    @Test("the fleet for metrics: leases held, steps due, sends in doubt, paused mailboxes, each runner's latest report", arguments: StoreBackend.available)
    func fleetSnapshot(_ backend: StoreBackend) async throws {
        try await backend.withSeededStore { seeded in
            let store = seeded.store
            let empty = try await store.fleetSnapshot(now: Self.now)
            #expect(empty.leases.isEmpty && empty.runners.isEmpty && empty.sendsInDoubt == 0 && empty.pausedMailboxes.isEmpty)
            #expect(empty.stepsDue == 2)
            let lease = try await Self.lease(store, owner: "host-a")
            let ana = try await Self.due(store, "ana@example.org")
            guard case .recorded = try await store.recordIntent(ana, key: Self.key, bytes: [1], fence: lease.fence, now: Self.now) else {
                Issue.record("no intent")
                return
            }
            try await store.pauseMailbox("sam", until: Self.now.addingTimeInterval(600), reason: "rate limited")
            // A runner gone two days: its report is let go when another runner reports.
            try await store.publishMetrics(owner: "host-old", exposition: "old 1\n", now: Self.now.addingTimeInterval(-2 * 86_400))
            // One gone a quarter of an hour: kept, but not on the page.
            try await store.publishMetrics(owner: "host-quiet", exposition: "quiet 1\n", now: Self.now.addingTimeInterval(-900))
            try await store.publishMetrics(owner: "host-a", exposition: "a 1\n", now: Self.now)
            try await store.publishMetrics(owner: "host-b", exposition: "b 1\n", now: Self.now.addingTimeInterval(1))
            try await store.publishMetrics(owner: "host-a", exposition: "a 2\n", now: Self.now.addingTimeInterval(2))
            let fleet = try await store.fleetSnapshot(now: Self.now)
            #expect(fleet.leases.map(\.owner) == ["host-a"])
            // A shared database leases mailbox by mailbox; a SQLite file has one lease for the whole database.
            #expect(fleet.leases.first?.mailbox == (backend == .postgres ? "sam" : nil))
            #expect(fleet.sendsInDoubt == 1)
            #expect(fleet.stepsDue == 2, "Bo's step is due, and Ana's until her send is confirmed")
            #expect(fleet.pausedMailboxes == ["sam": Self.now.addingTimeInterval(600)])
            #expect(fleet.runners.map(\.owner) == ["host-a", "host-b"])
            let kept = try await seeded.rows(try #require(TableLayout.all.first { $0.name == "runnerMetrics" })).compactMap { row -> String? in
                if case .text(let owner) = row.first { owner } else { nil }
            }
            #expect(kept.sorted() == ["host-a", "host-b", "host-quiet"])
            #expect(fleet.runners.first?.exposition == "a 2\n", "a runner's report replaces its last")
            #expect(fleet.runners.first?.updatedAt == Self.now.addingTimeInterval(2))
        }
    }
}
