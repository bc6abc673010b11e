//! The event store's guarantees, each against a real PostgreSQL and, where
//! it matters, under real concurrency.

mod common;

use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use prasme_eventstore::{
    verify_chain, AppendError, EventMetadata, EventStore, ExpectedVersion, NewEvent, NOTIFY_CHANNEL,
};
use serde_json::json;
use sqlx::postgres::PgListener;
use sqlx::Connection;
use uuid::Uuid;

fn event(n: i64) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "TestHappened".into(),
        schema_version: 1,
        payload: json!({ "n": n, "nested": { "b": [1, 2], "a": "ā" } }),
        occurred_at: Utc::now(),
    }
}

fn meta() -> EventMetadata {
    EventMetadata::for_command("tester", Uuid::now_v7())
}

#[tokio::test]
async fn events_cannot_be_updated_deleted_or_truncated() {
    let db = common::fresh_db().await;
    let store = EventStore::new(db.pool.clone());
    store
        .append("s-1", ExpectedVersion::NoStream, meta(), vec![event(1)])
        .await
        .unwrap();
    for sql in [
        "UPDATE events SET payload = '{}'::jsonb",
        "DELETE FROM events",
        "TRUNCATE events",
    ] {
        let err = sqlx::query(sql).execute(&db.pool).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    assert_eq!(store.read_stream("s-1").await.unwrap().len(), 1);
    db.drop_db().await;
}

#[tokio::test]
async fn exactly_one_of_32_racing_appends_wins() {
    let db = common::fresh_db().await;
    let store = EventStore::new(db.pool.clone());
    let first = store
        .append("race", ExpectedVersion::NoStream, meta(), vec![event(0), event(1)])
        .await
        .unwrap();
    assert_eq!(first.stream_version, 2);
    let barrier = std::sync::Arc::new(tokio::sync::Barrier::new(32));
    // Four writer tasks, as four processes would have.
    let stores: Vec<_> = (0..4).map(|_| EventStore::new(db.pool.clone())).collect();
    let tasks: Vec<_> = (0..32)
        .map(|i| {
            let store = stores[i as usize % 4].clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                store
                    .append("race", ExpectedVersion::Exact(2), meta(), vec![event(i)])
                    .await
            })
        })
        .collect();
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(r) => {
                won += 1;
                assert_eq!(r.stream_version, 3);
            }
            Err(AppendError::WrongExpectedVersion { expected, actual }) => {
                assert_eq!((expected.as_str(), actual), ("2", 3));
            }
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert_eq!(won, 1);
    assert_eq!(store.read_stream("race").await.unwrap().len(), 3);
    let err = store
        .append("race", ExpectedVersion::NoStream, meta(), vec![event(9)])
        .await
        .unwrap_err();
    assert!(matches!(err, AppendError::WrongExpectedVersion { actual: 3, .. }));
    db.drop_db().await;
}

#[tokio::test]
async fn a_repeated_command_id_returns_the_first_result_and_appends_nothing() {
    let db = common::fresh_db().await;
    let store = EventStore::new(db.pool.clone());
    let m = meta();
    let first = store
        .append("idem", ExpectedVersion::Any, m.clone(), vec![event(1), event(2)])
        .await
        .unwrap();
    assert!(!first.duplicate);
    // Sent again, even with other content and a version that would now conflict.
    let again = store
        .append("idem", ExpectedVersion::NoStream, m.clone(), vec![event(3)])
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(
        (again.first_position, again.last_position, again.stream_version),
        (first.first_position, first.last_position, first.stream_version)
    );
    // And sent by 16 racing clients at once, under a new id: one append only.
    let racing = meta();
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let (store, racing) = (store.clone(), racing.clone());
            tokio::spawn(async move {
                store
                    .append("idem-2", ExpectedVersion::Any, racing, vec![event(i)])
                    .await
            })
        })
        .collect();
    let mut positions = HashSet::new();
    for t in tasks {
        positions.insert(t.await.unwrap().unwrap().last_position);
    }
    assert_eq!(positions.len(), 1, "every racer sees the same first result");
    assert_eq!(store.read_stream("idem-2").await.unwrap().len(), 1);
    assert_eq!(store.head_position().await.unwrap(), 3);
    db.drop_db().await;
}

#[tokio::test]
async fn a_follower_sees_every_event_once_in_order_while_8_writers_append() {
    let db = common::fresh_db().await;
    let store = EventStore::new(db.pool.clone());
    const WRITERS: usize = 8;
    const APPENDS: usize = 150;
    // Every third append carries two events, to mix group sizes.
    let size = |i: usize| if i.is_multiple_of(3) { 2 } else { 1 };
    let total: usize = WRITERS * (0..APPENDS).map(size).sum::<usize>();

    // Two stores, two writer tasks: like two server processes, they order
    // their appends only through the database's lock.
    let stores = [store.clone(), EventStore::new(db.pool.clone())];
    let follower_store = store.clone();
    let reader = tokio::spawn(async move {
        let mut follower = follower_store.follow(0, Duration::from_millis(50)).await.unwrap();
        let mut seen = Vec::new();
        while seen.len() < total {
            let batch = tokio::time::timeout(Duration::from_secs(20), follower.next_batch(37))
                .await
                .expect("events keep arriving")
                .unwrap();
            seen.extend(batch.into_iter().map(|e| (e.position, e.event_id)));
        }
        seen
    });
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let store = stores[w % 2].clone();
            tokio::spawn(async move {
                let mut ids = Vec::new();
                for i in 0..APPENDS {
                    let events: Vec<_> = (0..size(i)).map(|_| event(i as i64)).collect();
                    ids.extend(events.iter().map(|e| e.event_id));
                    store
                        .append(&format!("writer-{w}"), ExpectedVersion::Any, meta(), events)
                        .await
                        .unwrap();
                }
                ids
            })
        })
        .collect();
    let mut written = HashSet::new();
    for w in writers {
        written.extend(w.await.unwrap());
    }
    let seen = reader.await.unwrap();
    let positions: Vec<i64> = seen.iter().map(|(p, _)| *p).collect();
    assert_eq!(
        positions,
        (1..=total as i64).collect::<Vec<_>>(),
        "every position once, ascending"
    );
    let ids: HashSet<Uuid> = seen.iter().map(|(_, id)| *id).collect();
    assert_eq!(ids, written, "exactly the events written");
    db.drop_db().await;
}

#[tokio::test]
async fn every_event_carries_its_metadata() {
    let db = common::fresh_db().await;
    let store = EventStore::new(db.pool.clone());
    let command_id = Uuid::now_v7();
    let m = EventMetadata {
        actor: "hr@vk.gov.lv".into(),
        command_id,
        correlation_id: Uuid::now_v7(),
        causation_id: Uuid::now_v7(),
        extra: json!({ "client": "portal" }),
    };
    let occurred = Utc.with_ymd_and_hms(2024, 3, 1, 9, 30, 0).unwrap();
    let mut e = event(1);
    e.occurred_at = occurred;
    store
        .append("meta", ExpectedVersion::Any, m.clone(), vec![e, event(2)])
        .await
        .unwrap();
    let stored = store.read_stream("meta").await.unwrap();
    assert_eq!(stored.len(), 2);
    for e in &stored {
        assert_eq!(e.metadata, m);
        assert!(
            e.recorded_at > occurred,
            "business time is kept apart from recorded time"
        );
    }
    assert_eq!(stored[0].occurred_at, occurred);
    let missing = sqlx::query(
        "INSERT INTO events (position, stream_id, stream_version, event_id, event_type, schema_version, payload,
                             command_id, correlation_id, causation_id, occurred_at, recorded_at, prev_hash, hash)
         VALUES (99, 'x', 1, gen_random_uuid(), 'T', 1, '{}', gen_random_uuid(), gen_random_uuid(),
                 gen_random_uuid(), now(), now(), '', '')",
    )
    .execute(&db.pool)
    .await;
    assert!(missing.is_err(), "an event without an actor is refused by the table");
    db.drop_db().await;
}

#[tokio::test]
async fn verify_names_the_first_altered_position() {
    let db = common::fresh_db().await;
    let store = EventStore::new(db.pool.clone());
    for i in 0..10 {
        store
            .append(&format!("s-{}", i % 3), ExpectedVersion::Any, meta(), vec![event(i)])
            .await
            .unwrap();
    }
    let intact = verify_chain(&db.pool, |_| {}).await.unwrap();
    assert_eq!((intact.events_checked, intact.first_break.clone()), (10, None));
    let cli = |url: &str| {
        Command::new(env!("CARGO_BIN_EXE_prasme"))
            .arg("verify")
            .env("DATABASE_URL", url)
            .output()
            .unwrap()
    };
    assert!(cli(&db.url).status.success());

    // A superuser edits position 6 behind the trigger's back.
    let mut tx = db.pool.begin().await.unwrap();
    sqlx::query("ALTER TABLE events DISABLE TRIGGER USER")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("UPDATE events SET payload = jsonb_set(payload, '{n}', '999') WHERE position = 6")
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query("ALTER TABLE events ENABLE TRIGGER USER")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let broken = verify_chain(&db.pool, |_| {}).await.unwrap();
    assert_eq!(broken.first_break.map(|b| b.position), Some(6));
    assert_eq!(broken.events_checked, 5);
    let out = cli(&db.url);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("position 6"));
    db.drop_db().await;
}

#[tokio::test]
async fn an_append_notifies_after_commit_and_wakes_a_waiting_follower() {
    let db = common::fresh_db().await;
    let store = EventStore::new(db.pool.clone());
    let mut listener = PgListener::connect_with(&db.pool).await.unwrap();
    listener.listen(NOTIFY_CHANNEL).await.unwrap();
    // A poll interval far longer than the test: only the notification can wake it.
    let mut follower = store.follow(0, Duration::from_secs(600)).await.unwrap();
    let waiting = tokio::spawn(async move { follower.next_batch(10).await.unwrap() });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = store
        .append("wake", ExpectedVersion::Any, meta(), vec![event(1)])
        .await
        .unwrap();
    let n = tokio::time::timeout(Duration::from_secs(5), listener.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(n.payload(), r.last_position.to_string());
    let batch = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("woken")
        .unwrap();
    assert_eq!(batch.len(), 1);
    db.drop_db().await;
}

#[tokio::test]
async fn a_follower_without_notifications_still_finds_events_by_polling() {
    let db = common::fresh_db().await;
    let store = EventStore::new(db.pool.clone());
    let mut follower = store.follow(0, Duration::from_millis(100)).await.unwrap();
    // Written straight to the table: no NOTIFY is ever sent for it.
    sqlx::query(
        "INSERT INTO events (position, stream_id, stream_version, event_id, event_type, schema_version, payload,
                             actor, command_id, correlation_id, causation_id, occurred_at, recorded_at, prev_hash, hash)
         VALUES (1, 'quiet', 1, gen_random_uuid(), 'T', 1, '{}', 'a', gen_random_uuid(), gen_random_uuid(),
                 gen_random_uuid(), now(), now(), '', '')",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let batch = tokio::time::timeout(Duration::from_secs(5), follower.next_batch(10))
        .await
        .expect("the poll finds it")
        .unwrap();
    assert_eq!(batch[0].stream_id, "quiet");
    db.drop_db().await;
}

#[tokio::test]
async fn one_unstorable_append_does_not_sink_the_others_in_its_group() {
    let db = common::fresh_db().await;
    let store = EventStore::new(db.pool.clone());
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut e = event(i);
                if i == 7 {
                    // jsonb refuses the NUL character.
                    e.payload = json!({ "bad": "\u{0}" });
                }
                store
                    .append(&format!("g-{i}"), ExpectedVersion::Any, meta(), vec![e])
                    .await
            })
        })
        .collect();
    let mut failed = vec![];
    for (i, t) in tasks.into_iter().enumerate() {
        if t.await.unwrap().is_err() {
            failed.push(i);
        }
    }
    assert_eq!(failed, vec![7]);
    assert_eq!(store.head_position().await.unwrap(), 19);
    assert!(verify_chain(&db.pool, |_| {}).await.unwrap().first_break.is_none());
    db.drop_db().await;
}

#[tokio::test]
async fn payloads_with_fractions_are_refused_before_they_can_break_the_chain() {
    let db = common::fresh_db().await;
    let store = EventStore::new(db.pool.clone());
    for bad in [
        json!({ "x": 1e16 }),
        json!({ "nested": [{ "y": -0.0 }] }),
        json!({ "z": 0.5 }),
    ] {
        let mut e = event(1);
        e.payload = bad.clone();
        let err = store
            .append("floats", ExpectedVersion::Any, meta(), vec![e])
            .await
            .unwrap_err();
        assert!(matches!(err, AppendError::Invalid(_)), "{bad}: {err}");
    }
    let mut e = event(1);
    e.payload = json!({ "big": i64::MAX, "small": i64::MIN, "text": "ā\u{1F600}\"\\" });
    store
        .append("floats", ExpectedVersion::Any, meta(), vec![e])
        .await
        .unwrap();
    assert!(verify_chain(&db.pool, |_| {}).await.unwrap().first_break.is_none());
    db.drop_db().await;
}

/// Each writer plans a batch on what it last saw of the log; here two
/// stores (as two server processes would) keep making each other's view
/// stale, and one caller expects a version the stream has not reached.
#[tokio::test]
async fn two_writers_taking_turns_keep_one_gap_free_chain() {
    let db = common::fresh_db().await;
    let a = EventStore::new(db.pool.clone());
    let b = EventStore::new(db.pool.clone());
    let mut shared_version = 0;
    let mut positions = Vec::new();
    for round in 0..10 {
        for (store, own) in [(&a, "a-own"), (&b, "b-own")] {
            let written = store
                .append(own, ExpectedVersion::Exact(round), meta(), vec![event(round)])
                .await
                .unwrap();
            positions.push(written.first_position);
            let written = store
                .append(
                    "shared",
                    ExpectedVersion::Exact(shared_version),
                    meta(),
                    vec![event(round)],
                )
                .await
                .unwrap();
            shared_version = written.stream_version;
            positions.push(written.first_position);
        }
    }
    assert_eq!(positions, (1..=40).collect::<Vec<i64>>());

    // A command id that the other writer stored is answered, not appended again.
    let repeated = meta();
    let first = a.append("a-own", ExpectedVersion::Exact(10), repeated.clone(), vec![event(99)]);
    let first = first.await.unwrap();
    let again = b.append("b-own", ExpectedVersion::Exact(10), repeated, vec![event(99)]);
    let again = again.await.unwrap();
    assert!(again.duplicate);
    assert_eq!(
        (again.stream_id.as_str(), again.first_position),
        ("a-own", first.first_position)
    );

    // Expecting more than the stream holds is refused, and leaves no gap.
    let ahead = b.append(
        "shared",
        ExpectedVersion::Exact(shared_version + 5),
        meta(),
        vec![event(0)],
    );
    match ahead.await {
        Err(AppendError::WrongExpectedVersion { actual, .. }) => assert_eq!(actual, shared_version),
        other => panic!("expected WrongExpectedVersion, got {other:?}"),
    }
    let next = a.append("shared", ExpectedVersion::Exact(shared_version), meta(), vec![event(0)]);
    assert_eq!(next.await.unwrap().first_position, 42);

    let report = verify_chain(&db.pool, |_| {}).await.unwrap();
    assert_eq!((report.events_checked, report.first_break), (42, None));
    db.drop_db().await;
}

/// A writer does not probe a stream whose version it wrote itself; when
/// another writer has gone past that version since, the unique index stops
/// the insert and the writer plans again on what the log says.
#[tokio::test]
async fn a_writer_overtaken_on_a_stream_it_knows_writes_after_the_newer_version() {
    let db = common::fresh_db().await;
    let a = EventStore::new(db.pool.clone());
    let b = EventStore::new(db.pool.clone());
    let first = a.append("s", ExpectedVersion::NoStream, meta(), vec![event(1)]);
    assert_eq!(first.await.unwrap().stream_version, 1);
    let by_b = b.append("s", ExpectedVersion::Exact(1), meta(), vec![event(2)]);
    assert_eq!(by_b.await.unwrap().stream_version, 2);

    // `a` still believes "s" is at version 1.
    let any = a.append("s", ExpectedVersion::Any, meta(), vec![event(3), event(4)]);
    let any = any.await.unwrap();
    assert_eq!((any.first_position, any.last_position, any.stream_version), (3, 4, 4));
    let stale = a.append("s", ExpectedVersion::Exact(2), meta(), vec![event(5)]).await;
    assert!(
        matches!(stale, Err(AppendError::WrongExpectedVersion { actual: 4, .. })),
        "{stale:?}"
    );
    let next = a.append("s", ExpectedVersion::Exact(4), meta(), vec![event(6)]);
    assert_eq!(next.await.unwrap().stream_version, 5);

    let report = verify_chain(&db.pool, |_| {}).await.unwrap();
    assert_eq!(
        (report.events_checked, report.first_break),
        (5, None),
        "one chain, no gap"
    );
    db.drop_db().await;
}

/// Two writers (two processes, in effect) race on the same streams, so each
/// keeps finding its belief stale: batches are refused or overtaken and
/// planned again while the next batch has already been planned on the
/// belief that they would land. Every append that is answered as written is
/// in the log once, stream versions run without gaps, and the chain holds.
#[tokio::test]
async fn two_writers_racing_on_shared_streams_keep_versions_and_chain_whole() {
    let db = common::fresh_db().await;
    let stores = [EventStore::new(db.pool.clone()), EventStore::new(db.pool.clone())];
    let mut tasks = Vec::new();
    for (s, store) in stores.iter().enumerate() {
        for t in 0..16 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let stream = format!("shared-{}", t % 4);
                let mut version = 0;
                let mut written = Vec::new();
                for n in 0..25 {
                    loop {
                        let event = event(s as i64 * 10_000 + t * 100 + n);
                        match store
                            .append(&stream, ExpectedVersion::Exact(version), meta(), vec![event])
                            .await
                        {
                            Ok(r) => {
                                written.push((stream.clone(), r.stream_version, r.first_position));
                                version = r.stream_version;
                                break;
                            }
                            Err(AppendError::WrongExpectedVersion { actual, .. }) => version = actual,
                            Err(e) => panic!("{e:?}"),
                        }
                    }
                }
                written
            }));
        }
    }
    let mut answered = Vec::new();
    for t in tasks {
        answered.extend(t.await.unwrap());
    }
    assert_eq!(answered.len(), 2 * 16 * 25);
    let stored: Vec<(String, i64, i64)> =
        sqlx::query_as("SELECT stream_id, stream_version, position FROM events ORDER BY position")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    let mut answered_sorted = answered.clone();
    answered_sorted.sort_by_key(|(_, _, position)| *position);
    assert_eq!(stored, answered_sorted, "exactly the appends answered as written");
    for shared in 0..4 {
        let versions: Vec<i64> = stored
            .iter()
            .filter(|(stream, _, _)| *stream == format!("shared-{shared}"))
            .map(|(_, version, _)| *version)
            .collect();
        assert_eq!(
            versions,
            (1..=versions.len() as i64).collect::<Vec<_>>(),
            "shared-{shared}"
        );
    }
    let report = verify_chain(&db.pool, |_| {}).await.unwrap();
    assert_eq!((report.events_checked, report.first_break), (800, None));
    db.drop_db().await;
}

/// Under REPEATABLE READ an append would plan on a snapshot taken before it
/// held the lock; the store refuses it, and its own connections ask for
/// READ COMMITTED whatever the database's default.
#[tokio::test]
async fn appends_run_under_read_committed_whatever_the_default() {
    let db = common::fresh_db().await;
    let sql = format!(
        "ALTER DATABASE \"{}\" SET default_transaction_isolation = 'repeatable read'",
        db.name
    );
    sqlx::query(&sql).execute(&db.pool).await.unwrap();

    let mut plain = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let refused = sqlx::query("SELECT events_writer_lock()").execute(&mut plain).await;
    let refused = refused.expect_err("the lock must refuse REPEATABLE READ");
    assert!(refused.to_string().contains("READ COMMITTED"), "{refused}");
    plain.close().await.unwrap();

    let pool = prasme_eventstore::connect(&db.url, 2).await.unwrap();
    let store = EventStore::new(pool.clone());
    let written = store.append("s", ExpectedVersion::NoStream, meta(), vec![event(1)]);
    assert_eq!(written.await.unwrap().stream_version, 1);
    pool.close().await;
    db.drop_db().await;
}

/// The writer sends a batch before the one ahead of it has answered. Killing
/// its appending connection again and again under load must lose nothing
/// and write nothing twice: whatever was cut off is written again (or found
/// written) through the careful path, and a caller told the outcome is
/// unknown resends the same command id.
#[tokio::test]
async fn appends_survive_the_appending_connection_being_killed_under_load() {
    let db = common::fresh_db().await;
    let store = EventStore::new(db.pool.clone());
    let loading = Arc::new(AtomicBool::new(true));
    let killer = {
        let pool = db.pool.clone();
        let loading = loading.clone();
        tokio::spawn(async move {
            let mut killed = 0;
            while loading.load(Ordering::Relaxed) {
                tokio::time::sleep(Duration::from_millis(15)).await;
                let n: i64 = sqlx::query_scalar(
                    "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                      WHERE application_name = 'prasme-writer' AND datname = current_database()) AS t",
                )
                .fetch_one(&pool)
                .await
                .unwrap();
                killed += n;
            }
            killed
        })
    };
    let mut tasks = Vec::new();
    for t in 0..16 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let stream = format!("killed-{t}");
            let mut resent = 0;
            for n in 0..150 {
                let meta = meta();
                let event = event(n);
                loop {
                    match store
                        .append(&stream, ExpectedVersion::Exact(n), meta.clone(), vec![event.clone()])
                        .await
                    {
                        Ok(r) => {
                            assert_eq!(r.stream_version, n + 1, "{stream}");
                            break;
                        }
                        Err(AppendError::Store(e)) => {
                            resent += 1;
                            assert!(resent < 100, "{e}");
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                        Err(e) => panic!("{e:?}"),
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    loading.store(false, Ordering::Relaxed);
    let killed = killer.await.unwrap();
    assert!(
        killed >= 3,
        "the appending connection was killed {killed} times under load"
    );
    let per_stream: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT stream_id, count(*), max(stream_version) FROM events GROUP BY stream_id ORDER BY stream_id",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(per_stream.len(), 16);
    for (stream, count, max) in per_stream {
        assert_eq!((count, max), (150, 150), "{stream}");
    }
    let report = verify_chain(&db.pool, |_| {}).await.unwrap();
    assert_eq!((report.events_checked, report.first_break), (2400, None));
    db.drop_db().await;
}
