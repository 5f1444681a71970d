import CadenceCore
import GRDB

extension CadenceDatabase {
    /// Migrations are registered once and never edited after they ship; a change is a new migration.
    static let migrator: DatabaseMigrator = {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-initial") { db in
            try db.execute(
                sql: """
                    CREATE TABLE campaign (
                        id TEXT PRIMARY KEY NOT NULL,
                        name TEXT NOT NULL,
                        sourcePath TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'paused', 'stopped')),
                        createdAt DATETIME NOT NULL,
                        updatedAt DATETIME NOT NULL
                    );
                    -- Every version of a campaign as launched or updated: what was reviewed is what is sent.
                    CREATE TABLE campaignVersion (
                        campaignId TEXT NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
                        version INTEGER NOT NULL,
                        digest TEXT NOT NULL,
                        createdAt DATETIME NOT NULL,
                        PRIMARY KEY (campaignId, version)
                    );
                    CREATE TABLE snapshotFile (
                        campaignId TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        kind TEXT NOT NULL CHECK (kind IN ('campaign', 'template', 'attachment', 'mailbox')),
                        path TEXT NOT NULL,
                        content BLOB NOT NULL,
                        digest TEXT NOT NULL,
                        PRIMARY KEY (campaignId, version, kind, path),
                        FOREIGN KEY (campaignId, version) REFERENCES campaignVersion(campaignId, version) ON DELETE CASCADE
                    );
                    -- One person across campaigns, keyed by the normalised address.
                    CREATE TABLE candidate (
                        id INTEGER PRIMARY KEY,
                        addressKey TEXT NOT NULL UNIQUE,
                        address TEXT NOT NULL,
                        fields TEXT NOT NULL,
                        timeZone TEXT,
                        createdAt DATETIME NOT NULL,
                        updatedAt DATETIME NOT NULL
                    );
                    CREATE TABLE enrollment (
                        id INTEGER PRIMARY KEY,
                        campaignId TEXT NOT NULL REFERENCES campaign(id) ON DELETE CASCADE,
                        candidateId INTEGER NOT NULL REFERENCES candidate(id) ON DELETE CASCADE,
                        mailbox TEXT NOT NULL,
                        fields TEXT NOT NULL,
                        variants TEXT NOT NULL,
                        csvLine INTEGER,
                        launchId TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('active', 'waitingOnTask', 'held', 'paused', 'stopped', 'finished')),
                        stepId TEXT,
                        dueAt DATETIME,
                        reason TEXT,
                        taskId INTEGER,
                        createdAt DATETIME NOT NULL,
                        updatedAt DATETIME NOT NULL,
                        UNIQUE (campaignId, candidateId),
                        CHECK ((state IN ('stopped', 'finished')) = (stepId IS NULL)),
                        CHECK ((state = 'active') = (dueAt IS NOT NULL))
                    );
                    -- The runner claims due steps through this index: cost grows with what is due, not with size.
                    CREATE INDEX enrollmentDue ON enrollment(dueAt) WHERE state = 'active';
                    CREATE INDEX enrollmentCandidate ON enrollment(candidateId);
                    CREATE INDEX enrollmentCampaignState ON enrollment(campaignId, state);
                    -- Append-only: every change of state, with who and why.
                    CREATE TABLE event (
                        id INTEGER PRIMARY KEY,
                        at DATETIME NOT NULL,
                        campaignId TEXT,
                        candidateId INTEGER REFERENCES candidate(id) ON DELETE CASCADE,
                        enrollmentId INTEGER REFERENCES enrollment(id) ON DELETE CASCADE,
                        kind TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        detail TEXT NOT NULL DEFAULT ''
                    );
                    CREATE INDEX eventEnrollment ON event(enrollmentId);
                    CREATE INDEX eventCandidate ON event(candidateId);
                    CREATE TABLE task (
                        id INTEGER PRIMARY KEY,
                        enrollmentId INTEGER NOT NULL REFERENCES enrollment(id) ON DELETE CASCADE,
                        stepId TEXT NOT NULL,
                        openedAt DATETIME NOT NULL,
                        doneAt DATETIME,
                        doneBy TEXT,
                        note TEXT,
                        UNIQUE (enrollmentId, stepId)
                    );
                    CREATE TABLE suppression (
                        id INTEGER PRIMARY KEY,
                        kind TEXT NOT NULL CHECK (kind IN ('address', 'domain', 'hash')),
                        value TEXT NOT NULL,
                        reason TEXT NOT NULL,
                        actor TEXT NOT NULL,
                        createdAt DATETIME NOT NULL,
                        UNIQUE (kind, value)
                    );
                    -- Sending (the runner): one record per enrolment and step, created with the exact bytes before the
                    -- provider is called, so a crash can be reconciled and nothing is sent twice.
                    CREATE TABLE sendRecord (
                        id INTEGER PRIMARY KEY,
                        enrollmentId INTEGER REFERENCES enrollment(id) ON DELETE CASCADE,
                        campaignId TEXT NOT NULL,
                        stepId TEXT NOT NULL,
                        sendId TEXT NOT NULL UNIQUE,
                        mailbox TEXT NOT NULL,
                        state TEXT NOT NULL CHECK (state IN ('intent', 'sent', 'unknown', 'failed')),
                        message BLOB,
                        providerMessageId TEXT,
                        providerThreadId TEXT,
                        rfcMessageId TEXT,
                        error TEXT,
                        createdAt DATETIME NOT NULL,
                        sentAt DATETIME,
                        UNIQUE (enrollmentId, stepId)
                    );
                    -- Every send a mailbox made, without personal data, for its rolling daily and hourly caps.
                    CREATE TABLE mailboxLedger (
                        id INTEGER PRIMARY KEY,
                        mailbox TEXT NOT NULL,
                        sentAt DATETIME NOT NULL,
                        recipientDomain TEXT NOT NULL,
                        campaignId TEXT NOT NULL
                    );
                    CREATE INDEX mailboxLedgerSent ON mailboxLedger(mailbox, sentAt);
                    CREATE INDEX mailboxLedgerCampaign ON mailboxLedger(campaignId, sentAt);
                    -- One runner per database: whoever holds an unexpired lease.
                    CREATE TABLE runnerLease (
                        id INTEGER PRIMARY KEY CHECK (id = 1),
                        owner TEXT NOT NULL,
                        expiresAt DATETIME NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v2-gmail-sending") { db in
            try db.execute(
                sql: """
                    -- The Message-ID the provider stored (Gmail may replace ours); follow-ups reference it.
                    ALTER TABLE sendRecord ADD COLUMN storedMessageId TEXT;
                    -- A lookup that found nothing is trusted only after a second one, a provider-chosen delay later.
                    ALTER TABLE sendRecord ADD COLUMN lookupMisses INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE sendRecord ADD COLUMN lookedUpAt DATETIME;
                    -- Gmail's history id of the sent message, and the mailbox's latest known one when the intent was
                    -- recorded: a lookup reads the mailbox's history from there (history ids are strings, compared as
                    -- unsigned 64-bit numbers).
                    ALTER TABLE sendRecord ADD COLUMN historyId TEXT;
                    ALTER TABLE sendRecord ADD COLUMN historyCursor TEXT;
                    CREATE INDEX sendRecordHistory ON sendRecord (mailbox, id) WHERE historyId IS NOT NULL;
                    -- A mailbox the provider told to stop sending until a time (Gmail's "(Mail sending)" limit).
                    CREATE TABLE mailboxPause (
                        mailbox TEXT PRIMARY KEY NOT NULL,
                        until DATETIME NOT NULL,
                        reason TEXT NOT NULL
                    );
                    """)
        }
        migrator.registerMigration("v3-reply-watching") { db in
            try db.execute(
                sql: """
                    -- Per mailbox: the history position every message before which has been processed (Gmail's id, a
                    -- string compared as an unsigned 64-bit number). It only moves forward, after the messages it covers.
                    CREATE TABLE mailboxSync (
                        mailbox TEXT PRIMARY KEY NOT NULL,
                        historyId TEXT NOT NULL,
                        syncedAt DATETIME NOT NULL
                    );
                    -- Every incoming message processed, once: a crash that re-reads history re-finds them here.
                    CREATE TABLE incomingMessage (
                        mailbox TEXT NOT NULL,
                        providerMessageId TEXT NOT NULL,
                        enrollmentId INTEGER REFERENCES enrollment(id) ON DELETE SET NULL,
                        class TEXT NOT NULL,
                        snippet TEXT NOT NULL,
                        receivedAt DATETIME NOT NULL,
                        PRIMARY KEY (mailbox, providerMessageId)
                    );
                    """)
        }
        migrator.registerMigration("v4-push") { db in
            try db.execute(
                sql: """
                    -- Gmail push notifications received by `cadence serve`, queued for the runner, which alone syncs a
                    -- mailbox. Pub/Sub delivers at least once: its messageId makes a redelivery a no-op.
                    CREATE TABLE pushNotification (
                        messageId TEXT PRIMARY KEY NOT NULL,
                        mailbox TEXT NOT NULL,
                        historyId TEXT NOT NULL,
                        receivedAt DATETIME NOT NULL,
                        handledAt DATETIME
                    );
                    CREATE INDEX pushNotificationQueue ON pushNotification (mailbox) WHERE handledAt IS NULL;
                    -- Each mailbox's users.watch registration, renewed daily by the runner.
                    CREATE TABLE mailboxWatch (
                        mailbox TEXT PRIMARY KEY NOT NULL,
                        topic TEXT NOT NULL,
                        expiresAt DATETIME NOT NULL,
                        renewedAt DATETIME NOT NULL
                    );
                    -- When a mailbox's history position had expired and the recent inbox was read instead.
                    ALTER TABLE mailboxSync ADD COLUMN resyncedAt DATETIME;
                    ALTER TABLE mailboxSync ADD COLUMN resyncCount INTEGER NOT NULL DEFAULT 0;
                    """)
        }
        migrator.registerMigration("v5-lease-fence") { db in
            try db.execute(
                sql: """
                    -- The lease's fence grows with every new holder; each send record keeps the fence it was written
                    -- under, so a runner that overran its lease can no longer record an outcome or start a resend.
                    ALTER TABLE runnerLease ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE sendRecord ADD COLUMN fence INTEGER;
                    """)
        }
        migrator.registerMigration("v6-incoming-rule") { db in
            try db.execute(
                sql: """
                    -- Which classifier rule decided each incoming message (`out-of-office.wording:de`), so `show` can
                    -- say why a message stopped, held or only was recorded. Messages from before are marked unknown.
                    ALTER TABLE incomingMessage ADD COLUMN rule TEXT NOT NULL DEFAULT 'unknown';
                    """)
        }
        migrator.registerMigration("v7-tracking") { db in
            try db.execute(
                sql: """
                    -- The 20 hex digits that end a send id: what a tracking token names the send by.
                    ALTER TABLE sendRecord ADD COLUMN trackingId TEXT;
                    UPDATE sendRecord SET trackingId = substr(sendId, length(sendId) - 19);
                    CREATE INDEX sendRecordTrackingId ON sendRecord(trackingId);
                    -- Where each click link of a send goes, written with the intent: a click is redirected to what
                    -- was sent and nowhere else.
                    CREATE TABLE trackedLink (
                        sendRecordId INTEGER NOT NULL REFERENCES sendRecord(id) ON DELETE CASCADE,
                        link INTEGER NOT NULL,
                        url TEXT NOT NULL,
                        PRIMARY KEY (sendRecordId, link)
                    ) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v8-tracking-events") { db in
            try db.execute(
                sql: """
                    -- Each pixel fetch and click, with who most likely made it (TrackingEventClass) and whether the
                    -- send had one of its kind before. The client's address is never stored.
                    CREATE TABLE trackingEvent (
                        id INTEGER PRIMARY KEY,
                        sendRecordId INTEGER NOT NULL REFERENCES sendRecord(id) ON DELETE CASCADE,
                        kind TEXT NOT NULL,
                        link INTEGER,
                        class TEXT NOT NULL,
                        isRepeat INTEGER NOT NULL,
                        at DATETIME NOT NULL
                    );
                    CREATE INDEX trackingEventSend ON trackingEvent(sendRecordId, kind);
                    """)
        }
        migrator.registerMigration("v9-erased-tracking") { db in
            try db.execute(
                sql: """
                    -- The tracking ids of sends erased with `forget` (hashes, like the suppression list's), so the
                    -- links still in the person's mailbox lead to a neutral page rather than "unknown link".
                    CREATE TABLE erasedTracking (trackingId TEXT PRIMARY KEY) WITHOUT ROWID;
                    """)
        }
        migrator.registerMigration("v10-tracking-key") { db in
            try db.execute(
                sql: """
                    -- Which key signed a send's tracking links, so a key is not dropped while its unsubscribe links
                    -- must still work (60 days).
                    ALTER TABLE sendRecord ADD COLUMN trackingKeyId INTEGER;
                    CREATE INDEX sendRecordTrackingKey ON sendRecord(trackingKeyId, createdAt) WHERE trackingKeyId IS NOT NULL;
                    """)
        }
        migrator.registerMigration("v11-hot-leads") { db in
            try db.execute(
                sql: """
                    -- Recent clicks, for opening hot-lead tasks without reading every event each tick.
                    CREATE INDEX trackingEventKindAt ON trackingEvent(kind, at);
                    """)
        }
        migrator.registerMigration("v12-reply-label") { db in
            try db.execute(
                sql: """
                    -- What a reply meant, as the recruiter labelled it (`cadence label`): interested, not-now or no.
                    ALTER TABLE incomingMessage ADD COLUMN label TEXT;
                    """)
        }
        migrator.registerMigration("v13-stats") { db in
            try db.execute(
                sql: """
                    -- The campaign's zone, whose days and weeks `stats --by day|week` counts in.
                    ALTER TABLE campaign ADD COLUMN timeZone TEXT NOT NULL DEFAULT 'UTC';
                    -- The variant a send was written with, fixed at intent time: what it is counted under.
                    ALTER TABLE sendRecord ADD COLUMN variantId TEXT NOT NULL DEFAULT '';
                    UPDATE sendRecord SET variantId = COALESCE((
                        SELECT json_extract(e.variants, '$."' || sendRecord.stepId || '"') FROM enrollment e WHERE e.id = sendRecord.enrollmentId), '');
                    -- When a task should be done (its step's `due`); tasks opened before are given a day.
                    ALTER TABLE task ADD COLUMN dueAt DATETIME;
                    UPDATE task SET dueAt = strftime('%Y-%m-%d %H:%M:%f', openedAt, '+1 day');
                    CREATE INDEX taskOpen ON task(stepId, enrollmentId) WHERE doneAt IS NULL;
                    -- A person's incoming mail, which the counters re-derive on each new message, label and send.
                    CREATE INDEX incomingMessageEnrollment ON incomingMessage(enrollmentId) WHERE enrollmentId IS NOT NULL;
                    -- What `stats` reads: counters kept in the transactions that write the facts they count
                    -- (TallyMeasure), by step, variant, mailbox, launch and day in the campaign's zone. Step '' holds
                    -- the campaign's enrolments.
                    CREATE TABLE stepTally (
                        campaignId TEXT NOT NULL,
                        stepId TEXT NOT NULL,
                        variantId TEXT NOT NULL,
                        mailbox TEXT NOT NULL,
                        launchId TEXT NOT NULL,
                        day TEXT NOT NULL,
                        enrolled INTEGER NOT NULL DEFAULT 0,
                        sent INTEGER NOT NULL DEFAULT 0,
                        bounced INTEGER NOT NULL DEFAULT 0,
                        replied INTEGER NOT NULL DEFAULT 0,
                        repliedEventually INTEGER NOT NULL DEFAULT 0,
                        positive INTEGER NOT NULL DEFAULT 0,
                        unsubscribed INTEGER NOT NULL DEFAULT 0,
                        outOfOffice INTEGER NOT NULL DEFAULT 0,
                        opened INTEGER NOT NULL DEFAULT 0,
                        openedHuman INTEGER NOT NULL DEFAULT 0,
                        clicked INTEGER NOT NULL DEFAULT 0,
                        clickedHuman INTEGER NOT NULL DEFAULT 0,
                        unsubscribedByLink INTEGER NOT NULL DEFAULT 0,
                        tasksDone INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (campaignId, stepId, variantId, mailbox, launchId, day)
                    ) WITHOUT ROWID;
                    -- The same counters without the day: what `stats` reads unless it is asked for days, a few rows
                    -- per mailbox and launch however long the campaign has run.
                    CREATE TABLE stepTotal (
                        campaignId TEXT NOT NULL,
                        stepId TEXT NOT NULL,
                        variantId TEXT NOT NULL,
                        mailbox TEXT NOT NULL,
                        launchId TEXT NOT NULL,
                        enrolled INTEGER NOT NULL DEFAULT 0,
                        sent INTEGER NOT NULL DEFAULT 0,
                        bounced INTEGER NOT NULL DEFAULT 0,
                        replied INTEGER NOT NULL DEFAULT 0,
                        repliedEventually INTEGER NOT NULL DEFAULT 0,
                        positive INTEGER NOT NULL DEFAULT 0,
                        unsubscribed INTEGER NOT NULL DEFAULT 0,
                        outOfOffice INTEGER NOT NULL DEFAULT 0,
                        opened INTEGER NOT NULL DEFAULT 0,
                        openedHuman INTEGER NOT NULL DEFAULT 0,
                        clicked INTEGER NOT NULL DEFAULT 0,
                        clickedHuman INTEGER NOT NULL DEFAULT 0,
                        unsubscribedByLink INTEGER NOT NULL DEFAULT 0,
                        tasksDone INTEGER NOT NULL DEFAULT 0,
                        PRIMARY KEY (campaignId, stepId, variantId, mailbox, launchId)
                    ) WITHOUT ROWID;
                    -- Facts counted once per person and step (a reply, the first open of a send), with the counter
                    -- row each moved. Kept without the person after `forget` (enrollmentId NULL): anonymous, and
                    -- still in the median time to first reply.
                    CREATE TABLE stepOutcome (
                        id INTEGER PRIMARY KEY,
                        enrollmentId INTEGER REFERENCES enrollment(id) ON DELETE SET NULL,
                        campaignId TEXT NOT NULL,
                        stepId TEXT NOT NULL,
                        variantId TEXT NOT NULL,
                        mailbox TEXT NOT NULL,
                        launchId TEXT NOT NULL,
                        day TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        seconds REAL,
                        UNIQUE (enrollmentId, stepId, kind)
                    );
                    CREATE INDEX stepOutcomeLatency ON stepOutcome(campaignId, kind, stepId, variantId, seconds) WHERE seconds IS NOT NULL;
                    """)
            // Each campaign's zone from its stored file, read as Cadence reads it (SQLite's JSON functions refuse
            // a file that starts with a byte-order mark, which Cadence accepts).
            for id in try String.fetchAll(db, sql: "SELECT id FROM campaign") {
                if let zone = try CadenceDatabase.definition(id, db)?.timeZone {
                    try db.execute(sql: "UPDATE campaign SET timeZone = ? WHERE id = ?", arguments: [zone, id])
                }
            }
            try CadenceDatabase.backfillTallies(db)
        }
        migrator.registerMigration("v14-runner-metrics") { db in
            try db.execute(
                sql: """
                    -- Each runner's own metrics (Prometheus text: sends, deferrals by reason, quota waits, claim
                    -- times), written after every pass, so that any `cadence serve` can show the whole fleet.
                    CREATE TABLE runnerMetrics (
                        owner TEXT PRIMARY KEY,
                        exposition TEXT NOT NULL,
                        updatedAt DATETIME NOT NULL
                    );
                    -- Sends in doubt, which every pass reads and every metrics scrape counts, without reading
                    -- every send ever made.
                    CREATE INDEX sendRecordInDoubt ON sendRecord(id) WHERE state IN ('intent', 'unknown');
                    """)
        }
        migrator.registerMigration("v15-enrolled-inline") { db in
            try db.execute(
                sql: """
                    -- The first line of an enrolment's history (who launched it, in what state) is kept on its row:
                    -- a launch writes one per person, and as an event row of its own (with its two indexes) it was
                    -- a fifth of a launch's writes. `show` reads it as the `enrolled` event it was; enrolments from
                    -- before keep their event rows and leave these empty.
                    ALTER TABLE enrollment ADD COLUMN enrolledBy TEXT;
                    ALTER TABLE enrollment ADD COLUMN enrolledAs TEXT;
                    """)
        }
        return migrator
    }()
}
