//! The projection runner: checkpoints move with the read model in one
//! transaction, so every event takes effect exactly once.

mod common;

use std::collections::BTreeSet;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use futures::future::BoxFuture;
use futures::FutureExt;
use prasme::server::projections;
use prasme_commands::{AllocateTrainingBudget, CommandContext, CommandHandler, RegisterInstitution, UseCases, Vault};
use prasme_domain::assessment::CompetenceEvent;
use prasme_domain::competency::FrameworkEvent;
use prasme_domain::course::CourseEvent;
use prasme_domain::development_plan::DevelopmentPlanEvent;
use prasme_domain::employee::EmployeeEvent;
use prasme_domain::feedback_cycle::FeedbackCycleEvent;
use prasme_domain::institution::InstitutionEvent;
use prasme_domain::offering::OfferingEvent;
use prasme_domain::plan::PlanEvent;
use prasme_domain::reference::{FundingSource, InstitutionKind, Resor};
use prasme_domain::Cents;
use prasme_domain::DomainEvent;
use prasme_eventstore::{EventMetadata, EventStore, ExpectedVersion, NewEvent, RecordedEvent};
use prasme_projections::{Change, Lagging, Projection, ProjectionError, ProjectionRunner, TrainingBudgetProjection};
use sqlx::{PgConnection, PgPool};
use tokio::sync::watch;
use uuid::Uuid;

/// Records every position it applies, and fails once, halfway through a
/// batch, at `fail_at`: a crash in the middle of applying.
struct Counting {
    fail_at: i64,
    failed: AtomicBool,
}

impl Projection for Counting {
    fn name(&self) -> &'static str {
        "counting"
    }

    fn event_types(&self) -> Vec<&'static str> {
        vec!["Ticked"]
    }

    fn apply<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        events: &'a [RecordedEvent],
    ) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            for event in events {
                sqlx::query("INSERT INTO counted (position) VALUES ($1)")
                    .bind(event.position)
                    .execute(&mut *tx)
                    .await?;
                if event.position == self.fail_at && !self.failed.swap(true, Ordering::SeqCst) {
                    return Err(ProjectionError::BadEvent {
                        position: event.position,
                        reason: "simulated crash".into(),
                    });
                }
            }
            Ok(())
        }
        .boxed()
    }

    fn changes(&self, _event: &RecordedEvent) -> Vec<Change> {
        vec![]
    }

    fn reset<'a>(&'a self, tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            sqlx::query("DELETE FROM counted").execute(&mut *tx).await?;
            Ok(())
        }
        .boxed()
    }
}

async fn append_events(store: &EventStore, n: usize) {
    append_typed(store, n, "Ticked").await;
}

async fn append_typed(store: &EventStore, n: usize, event_type: &str) {
    for i in 0..n {
        let e = NewEvent {
            event_id: Uuid::now_v7(),
            event_type: event_type.into(),
            schema_version: 1,
            payload: serde_json::json!({ "i": i }),
            occurred_at: Utc::now(),
        };
        store
            .append(
                &format!("tick-{}", i % 5),
                ExpectedVersion::Any,
                EventMetadata::for_command("t", Uuid::now_v7()),
                vec![e],
            )
            .await
            .unwrap();
    }
}

#[test]
fn every_event_type_of_every_aggregate_is_read_by_a_projection() {
    let read: BTreeSet<&str> = projections().iter().flat_map(|p| p.event_types()).collect();
    let written: BTreeSet<&str> = [
        InstitutionEvent::EVENT_TYPES,
        EmployeeEvent::EVENT_TYPES,
        CourseEvent::EVENT_TYPES,
        OfferingEvent::EVENT_TYPES,
        FrameworkEvent::EVENT_TYPES,
        CompetenceEvent::EVENT_TYPES,
        DevelopmentPlanEvent::EVENT_TYPES,
        FeedbackCycleEvent::EVENT_TYPES,
        PlanEvent::EVENT_TYPES,
    ]
    .concat()
    .into_iter()
    .collect();
    assert_eq!(read, written);
}

#[tokio::test]
async fn a_projection_moves_its_checkpoint_past_events_it_does_not_read() {
    let db = common::fresh_db().await;
    sqlx::query("CREATE TABLE counted (position bigint NOT NULL)")
        .execute(&db.pool)
        .await
        .unwrap();
    let store = EventStore::new(db.pool.clone());
    append_events(&store, 10).await;
    append_typed(&store, 30, "Tocked").await;
    let counting = Counting {
        fail_at: -1,
        failed: AtomicBool::new(false),
    };
    let (stop, stopped) = watch::channel(false);
    let (runner, tasks) = ProjectionRunner::new(store.clone(), vec![Arc::new(counting)])
        .poll_every(Duration::from_millis(50))
        .start(stopped)
        .await
        .unwrap();
    // Read-your-writes at the head waits for nothing the projection skips.
    runner.wait_for(40, Duration::from_secs(10)).await.unwrap();
    append_typed(&store, 5, "Tocked").await;
    runner.wait_for(45, Duration::from_secs(10)).await.unwrap();
    stop.send_replace(true);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(counted(&db.pool).await, (10, 10), "only its own type, each once");
    db.drop_db().await;
}

/// Reads what `Counting` reads, and never manages to apply any of it.
struct Stuck;

impl Projection for Stuck {
    fn name(&self) -> &'static str {
        "stuck"
    }

    fn event_types(&self) -> Vec<&'static str> {
        vec!["Ticked"]
    }

    fn apply<'a>(
        &'a self,
        _tx: &'a mut PgConnection,
        events: &'a [RecordedEvent],
    ) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move {
            Err(ProjectionError::BadEvent {
                position: events.first().map_or(0, |e| e.position),
                reason: "never applies".into(),
            })
        }
        .boxed()
    }

    fn changes(&self, _event: &RecordedEvent) -> Vec<Change> {
        vec![]
    }

    fn reset<'a>(&'a self, _tx: &'a mut PgConnection) -> BoxFuture<'a, Result<(), ProjectionError>> {
        async move { Ok(()) }.boxed()
    }
}

#[tokio::test]
async fn read_your_writes_waits_only_for_the_projections_named() {
    let db = common::fresh_db().await;
    sqlx::query("CREATE TABLE counted (position bigint NOT NULL)")
        .execute(&db.pool)
        .await
        .unwrap();
    let store = EventStore::new(db.pool.clone());
    let counting = Counting {
        fail_at: -1,
        failed: AtomicBool::new(false),
    };
    let (stop, stopped) = watch::channel(false);
    let (runner, tasks) = ProjectionRunner::new(store.clone(), vec![Arc::new(counting), Arc::new(Stuck)])
        .poll_every(Duration::from_millis(50))
        .start(stopped)
        .await
        .unwrap();
    append_events(&store, 10).await;
    runner
        .wait_for_these(&["counting"], 10, Duration::from_secs(10))
        .await
        .unwrap();
    let behind = runner.wait_for(10, Duration::from_millis(300)).await;
    assert_eq!(
        behind,
        Err(Lagging { wanted: 10, reached: 0 }),
        "all of them: the stuck one too"
    );
    stop.send_replace(true);
    for t in tasks {
        t.await.unwrap();
    }
    db.drop_db().await;
}

async fn counted(pool: &PgPool) -> (i64, i64) {
    sqlx::query_as("SELECT count(*), count(DISTINCT position) FROM counted")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_crash_mid_batch_leaves_no_trace_and_every_event_applies_once() {
    let db = common::fresh_db().await;
    sqlx::query("CREATE TABLE counted (position bigint NOT NULL)")
        .execute(&db.pool)
        .await
        .unwrap();
    let store = EventStore::new(db.pool.clone());
    append_events(&store, 40).await;
    let projection = Arc::new(Counting {
        fail_at: 17,
        failed: AtomicBool::new(false),
    });
    let (stop, stopped) = watch::channel(false);
    // Two runners, as two server processes would run: they share the checkpoint row.
    let (runner, mut tasks) = ProjectionRunner::new(store.clone(), vec![projection.clone()])
        .start(stopped.clone())
        .await
        .unwrap();
    let (_, more) = ProjectionRunner::new(store.clone(), vec![projection.clone()])
        .start(stopped)
        .await
        .unwrap();
    tasks.extend(more);
    append_events(&store, 40).await;
    runner
        .wait_for(80, Duration::from_secs(20))
        .await
        .expect("caught up after the retry");
    assert!(projection.failed.load(Ordering::SeqCst), "the simulated crash happened");
    stop.send_replace(true);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(counted(&db.pool).await, (80, 80), "each event applied exactly once");
    let checkpoint: i64 = sqlx::query_scalar("SELECT position FROM projection_checkpoints WHERE name = 'counting'")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(checkpoint, 80);
    db.drop_db().await;
}

async fn allocate(commands: &UseCases, institution: Uuid, amount: i64) -> i64 {
    let ctx = CommandContext::new(Uuid::now_v7(), "t");
    let allocate = AllocateTrainingBudget {
        institution_id: institution,
        allocation_id: None,
        year: 2026,
        amount: Cents(amount),
        funding_source: FundingSource::StateBudget,
        priority: None,
    };
    commands
        .allocate_training_budget(&ctx, allocate)
        .await
        .unwrap()
        .position
}

async fn allocated(pool: &PgPool, institution: Uuid) -> i64 {
    sqlx::query_scalar("SELECT allocated_cents FROM rm_training_budget WHERE institution_id = $1 AND year = 2026")
        .bind(institution)
        .fetch_one(pool)
        .await
        .unwrap()
}

async fn snapshot(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT row_to_json(t)::text FROM (
           SELECT i.id, i.name, b.year, b.remuneration_cents, b.allocated_cents,
                  (SELECT json_agg(a ORDER BY a.allocation_id) FROM rm_training_allocation a
                    WHERE a.institution_id = i.id) AS allocations
             FROM rm_institution i LEFT JOIN rm_training_budget b ON b.institution_id = i.id
            ORDER BY i.id, b.year) t",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_restarted_runner_resumes_and_a_rebuild_reproduces_the_read_model() {
    let db = common::fresh_db().await;
    let store = EventStore::new(db.pool.clone());
    let commands = UseCases::new(CommandHandler::new(store.clone()), Vault::new(db.pool.clone()));
    let institution = Uuid::now_v7();
    let register = RegisterInstitution {
        institution_id: Some(institution),
        name: "Lauku atbalsta dienests".into(),
        kind: InstitutionKind::State,
        resor: Some(Resor::Zm),
        funds_other_institutions_staff: false,
    };
    commands
        .register_institution(&CommandContext::new(Uuid::now_v7(), "t"), register)
        .await
        .unwrap();
    for amount in 1..=10 {
        allocate(&commands, institution, amount).await;
    }
    let projections = || -> Vec<Arc<dyn Projection>> { vec![Arc::new(TrainingBudgetProjection)] };

    let (stop, stopped) = watch::channel(false);
    let (runner, tasks) = ProjectionRunner::new(store.clone(), projections())
        .start(stopped)
        .await
        .unwrap();
    runner.wait_for(11, Duration::from_secs(10)).await.unwrap();
    stop.send_replace(true);
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(allocated(&db.pool, institution).await, 55);

    // Written while no runner runs; the next one starts from the checkpoint.
    let mut last = 0;
    for amount in 11..=20 {
        last = allocate(&commands, institution, amount).await;
    }
    let (stop, stopped) = watch::channel(false);
    let (runner, tasks) = ProjectionRunner::new(store.clone(), projections())
        .start(stopped)
        .await
        .unwrap();
    runner.wait_for(last, Duration::from_secs(10)).await.unwrap();
    assert_eq!(allocated(&db.pool, institution).await, 210, "1 + … + 20, each once");
    let before = snapshot(&db.pool).await;

    // A rebuild from position 0 while that runner keeps running.
    let out = Command::new(env!("CARGO_BIN_EXE_prasme"))
        .args(["rebuild", "training_budget"])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("to position {last}")));
    assert_eq!(snapshot(&db.pool).await, before);
    last = allocate(&commands, institution, 1000).await;
    runner.wait_for(last, Duration::from_secs(10)).await.unwrap();
    assert_eq!(
        allocated(&db.pool, institution).await,
        1210,
        "the runner carries on after the rebuild"
    );
    stop.send_replace(true);
    for t in tasks {
        t.await.unwrap();
    }

    let unknown = Command::new(env!("CARGO_BIN_EXE_prasme"))
        .args(["rebuild", "no_such_projection"])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("training_budget"));
    db.drop_db().await;
}
