//! The full-scale generator (`prasme demo --scale full`), at a small scale:
//! the same seed writes the same log, another seed another, the chain
//! verifies, no personal data is in clear text, and the projections take
//! every event.

mod common;

use std::time::Duration;

use prasme::demo::generator::{generate, GeneratorConfig};
use prasme::server::projections;
use prasme_commands::Vault;
use prasme_eventstore::{verify_chain, EventStore};
use prasme_projections::ProjectionRunner;
use sqlx::PgPool;
use tokio::sync::watch;

const SMALL: GeneratorConfig = GeneratorConfig {
    employees: 150,
    seed: 7,
    years: 2,
};

/// Every stored field of every event but `recorded_at` and the hashes,
/// which follow the writer's clock, as text, in log order.
async fn log(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT concat_ws('|', position, stream_id, stream_version, event_id, event_type, schema_version,
                          payload::text, metadata::text, actor, command_id, correlation_id, causation_id,
                          occurred_at)
           FROM events ORDER BY position",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn generated(config: GeneratorConfig) -> (common::TestDb, EventStore, prasme::demo::generator::Generated) {
    let db = common::fresh_db().await;
    let store = EventStore::new(db.pool.clone());
    let vault = Vault::new(db.pool.clone());
    let generated = generate(&store, &vault, config, |_| {}).await.unwrap();
    (db, store, generated)
}

#[tokio::test]
async fn the_same_seed_writes_the_same_log_and_the_projections_take_it() {
    let (first_db, store, first) = generated(SMALL).await;
    let (second_db, _, second) = generated(SMALL).await;
    assert!(first.events > 10_000, "{first:?}");
    assert_eq!((first.events, first.appends), (second.events, second.appends));
    let (a, b) = (log(&first_db.pool).await, log(&second_db.pool).await);
    assert_eq!(a.len() as u64, first.events);
    let differing = a.iter().zip(&b).position(|(x, y)| x != y);
    assert_eq!(
        differing,
        None,
        "first difference: {:?}",
        differing.map(|i| (&a[i], &b[i]))
    );
    assert_eq!(a.len(), b.len());

    // The chain verifies; names, e-mails and personal codes are sealed.
    let report = verify_chain(&first_db.pool, |_| {}).await.unwrap();
    assert!(report.first_break.is_none());
    assert_eq!(report.events_checked as u64, first.events);
    let clear: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM events WHERE payload::text ~ '(@example\\.gov\\.lv|Bērziņ|Kalniņ|Ozol)'",
    )
    .fetch_one(&first_db.pool)
    .await
    .unwrap();
    assert_eq!(clear, 0, "no personal data in clear text");

    // Another seed, another log (institutions keep their ids).
    let (other_db, _, _) = generated(GeneratorConfig {
        seed: 8,
        years: 1,
        ..SMALL
    })
    .await;
    let other = log(&other_db.pool).await;
    let same = a.iter().zip(&other).filter(|(x, y)| x == y).count();
    assert!(same < other.len() / 10, "{same} of {} events alike", other.len());

    // Every projection catches up to the end, and counts what was written.
    let (_stop, stopped) = watch::channel(false);
    let (runner, _tasks) = ProjectionRunner::new(store.clone(), projections())
        .start(stopped)
        .await
        .unwrap();
    runner
        .wait_for(first.last_position, Duration::from_secs(120))
        .await
        .unwrap();
    let (institutions, employees, offerings, completed, plans, assessed): (i64, i64, i64, i64, i64, i64) =
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM rm_institution), (SELECT count(*) FROM rm_employee),
                    (SELECT count(*) FROM rm_offering), (SELECT count(*) FROM rm_place WHERE passed),
                    (SELECT count(*) FROM rm_development_plan),
                    (SELECT count(DISTINCT employee_id) FROM rm_competency_assessment)",
        )
        .fetch_one(&first_db.pool)
        .await
        .unwrap();
    assert_eq!(institutions as usize, first.institutions);
    assert_eq!(employees as usize, first.hires);
    assert!(
        institutions > 100 && offerings > 100 && completed > 1000 && plans > 50 && assessed > 20,
        "{institutions} institutions, {offerings} offerings, {completed} passed, {plans} plans, {assessed} assessed"
    );
}
