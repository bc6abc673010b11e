//! Every read model as canonical text, and the check that how a log is cut
//! into batches changes nothing in them.

use prasme::server::projections;
use prasme_eventstore::EventStore;
use prasme_projections::{rebuild, REBUILD_BATCH};
use sqlx::PgPool;

const TABLES: [&str; 44] = [
    "rm_institution",
    "rm_training_budget",
    "rm_training_allocation",
    "rm_employee",
    "rm_employment_period",
    "rm_course",
    "rm_offering",
    "rm_place",
    "rm_feedback",
    "rm_competency_framework",
    "rm_competency_framework_version",
    "rm_competency_assessment",
    "rm_talent_review",
    "rm_development_plan",
    "rm_development_goal",
    "rm_development_activity",
    "rm_feedback_cycle",
    "rm_feedback_invited",
    "rm_feedback_response",
    "rm_plan",
    "rm_plan_priority",
    "rm_plan_measure",
    "rm_plan_indicator",
    "rm_kpi_series",
    "rm_kpi_institution",
    "rm_kpi_career",
    "rm_kpi_course",
    "rm_kpi_offering",
    "rm_kpi_fact",
    "rm_kpi_subject",
    "rm_kpi_value",
    "rm_kpi_history",
    "rm_scorecard_course",
    "rm_scorecard_offering",
    "rm_scorecard_standing",
    "rm_scorecard_completion",
    "rm_priority_participant",
    "rm_priority_participation",
    "rm_scorecard_period",
    "rm_scorecard_plan_year",
    "rm_scorecard_coverage_flow",
    "rm_learning_month",
    "rm_employment_flow",
    "rm_plan_activity_year",
];

/// Every read-model table, each as one canonical JSON text.
pub async fn read_models(pool: &PgPool) -> Vec<String> {
    let mut tables = Vec::new();
    for table in TABLES {
        let sql = format!("SELECT coalesce(json_agg(t::text ORDER BY t::text), '[]')::text FROM {table} t");
        tables.push(sqlx::query_scalar(&sql).fetch_one(pool).await.unwrap());
    }
    tables
}

/// Rebuilds every projection in large batches, then each in every one of
/// `batches` (1: one event at a time; 7: batches that end mid-lifecycle),
/// and fails unless all give the same read models, and the same as `live`
/// when given.
pub async fn assert_batches_change_nothing(pool: &PgPool, live: Option<&[String]>, batches: &[i64]) {
    let store = EventStore::new(pool.clone());
    for projection in projections() {
        rebuild(&store, projection.as_ref(), REBUILD_BATCH, |_, _| {})
            .await
            .unwrap();
    }
    let reference = read_models(pool).await;
    if let Some(live) = live {
        assert!(
            live == reference,
            "the live read models differ from a rebuild:\n{}",
            difference(live, &reference)
        );
    }
    for projection in projections() {
        for &batch in batches {
            rebuild(&store, projection.as_ref(), batch, |_, _| {}).await.unwrap();
            let now = read_models(pool).await;
            assert!(
                now == reference,
                "{} rebuilt in batches of {batch} differs:\n{}",
                projection.name(),
                difference(&reference, &now)
            );
        }
    }
}

/// The first table that differs, both ways.
fn difference(expected: &[String], got: &[String]) -> String {
    TABLES
        .iter()
        .zip(expected.iter().zip(got))
        .find(|(_, (e, g))| e != g)
        .map(|(table, (e, g))| format!("{table}\n expected {e}\n      got {g}"))
        .unwrap_or_default()
}
