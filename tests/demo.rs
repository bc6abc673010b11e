//! The demo dataset: realistic, in every budget status, and loaded once
//! however often it is loaded.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::NaiveDate;
use prasme::demo;
use prasme::server::projections;
use prasme_commands::{CommandHandler, UseCases, Vault};
use prasme_domain::budget::{BudgetLine, BudgetStatus};
use prasme_domain::kpi::{status_on, IndicatorStatus, SeriesValue};
use prasme_domain::plan::Target;
use prasme_domain::reference::from_wire_name;
use prasme_domain::Cents;
use prasme_eventstore::EventStore;
use prasme_projections::ProjectionRunner;
use sqlx::types::Json;
use tokio::sync::watch;

#[tokio::test]
async fn the_demo_lands_in_every_status_and_loads_once() {
    let db = common::fresh_db().await;
    let store = EventStore::new(db.pool.clone());
    let use_cases = UseCases::new(CommandHandler::new(store.clone()), Vault::new(db.pool.clone()));
    let first = demo::load(&use_cases).await.unwrap();
    assert!(
        first.institutions >= 40 && first.courses >= 20 && first.employees >= 3000,
        "{first:?}"
    );
    assert_eq!(first.already_loaded, 0);

    let (stop, stopped) = watch::channel(false);
    let (runner, tasks) = ProjectionRunner::new(store.clone(), projections())
        .start(stopped)
        .await
        .unwrap();
    // The KPI projection writes row by row (docs/kpis.md §4.6): it takes
    // the longest to catch up.
    runner
        .wait_for(first.last_position, Duration::from_secs(600))
        .await
        .unwrap();
    for year in [2024, 2026, 2027] {
        let rows: Vec<(String, bool, Option<i64>, Option<i64>)> = sqlx::query_as(
            "SELECT i.kind, i.funds_other_staff, b.remuneration_cents, b.allocated_cents
               FROM rm_institution i LEFT JOIN rm_training_budget b ON b.institution_id = i.id AND b.year = $1",
        )
        .bind(year)
        .fetch_all(&db.pool)
        .await
        .unwrap();
        let statuses: BTreeSet<BudgetStatus> = rows
            .into_iter()
            .map(|(kind, funds_other, payroll, allocated)| {
                BudgetLine {
                    kind: from_wire_name(&kind).unwrap(),
                    funds_other_institutions_staff: funds_other,
                    remuneration: payroll.map(Cents),
                    allocated: Cents(allocated.unwrap_or(0)),
                }
                .compliance()
                .status
            })
            .collect();
        assert_eq!(statuses.len(), 5, "{year}: every status, got {statuses:?}");
    }
    let priorities: i64 = sqlx::query_scalar("SELECT count(DISTINCT priority) FROM rm_course")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(priorities, 5, "the catalogue covers all five priorities");
    let (cancelled, no_shows, failed, passed): (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM rm_offering WHERE cancelled),
                count(*) FILTER (WHERE attendance LIKE 'NO_SHOW%'),
                count(*) FILTER (WHERE passed = false), count(*) FILTER (WHERE passed)
           FROM rm_place",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(
        cancelled > 0 && no_shows > 0 && failed > 0,
        "cancellations, no-shows and failures all occur"
    );
    assert!(
        passed > 5 * failed,
        "most pass (about 90 %): {passed} passed, {failed} failed"
    );

    // Measures 3.1, 3.2 and 4.1 stand partly met: some top and middle
    // managers assessed, some not; staff assessed on digital competence;
    // reports placed on the matrix; plans approved and some not yet.
    let (heads, heads_assessed, middle_assessed, digital, reviews, approved, drafts): (
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
        i64,
    ) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM rm_employee WHERE 'TOP_MANAGER' = ANY (job_groups)),
                    (SELECT count(DISTINCT employee_id) FROM rm_competency_assessment a
                       JOIN rm_competency_framework f ON f.id = a.framework_id WHERE f.title LIKE 'Augstākā%'),
                    (SELECT count(DISTINCT employee_id) FROM rm_competency_assessment
                      WHERE 'MIDDLE_OR_LOWER_MANAGER' = ANY (job_groups)),
                    (SELECT count(DISTINCT employee_id) FROM rm_competency_assessment a
                       JOIN rm_competency_framework f ON f.id = a.framework_id WHERE f.title LIKE '%DigComp%'),
                    (SELECT count(*) FROM rm_talent_review),
                    (SELECT count(*) FROM rm_development_plan WHERE approved_on IS NOT NULL),
                    (SELECT count(*) FROM rm_development_plan WHERE approved_on IS NULL)",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(
        0 < heads_assessed && heads_assessed < heads && middle_assessed > 0 && digital > 100,
        "{heads_assessed} of {heads} heads, {middle_assessed} middle managers, {digital} digital"
    );
    assert!(
        reviews > 0 && approved > drafts && drafts > 0,
        "{reviews} reviews, {approved} approved, {drafts} drafts"
    );

    // 360 feedback: closed cycles whose peers are released and whose two
    // "other" raters are counted but never written; some cycles still open.
    let (closed, open, released_peers, others_counted, others_written): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM rm_feedback_cycle WHERE status = 'CLOSED'),
                    (SELECT count(*) FROM rm_feedback_cycle WHERE status = 'OPEN'),
                    (SELECT count(*) FROM rm_feedback_response WHERE relationship = 'PEER'),
                    (SELECT coalesce(sum(responses), 0)::bigint FROM rm_feedback_invited WHERE relationship = 'OTHER'),
                    (SELECT count(*) FROM rm_feedback_response WHERE relationship = 'OTHER')",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert!(
        closed > 0 && open > 0 && released_peers >= 3 * closed && others_counted > 0 && others_written == 0,
        "{closed} closed, {open} open, {released_peers} peer answers, {others_counted} others counted, \
         {others_written} written"
    );

    // The dashboard, on the day the demo was made: every priority has
    // indicators met, on track and at risk (statuses move with the date).
    // (measure, deadline year, count, denominator, target) of each series 1.
    type Headline = (String, i32, i64, i64, Option<Json<Target>>);
    let rows: Vec<Headline> = sqlx::query_as(
        "SELECT m.code, m.deadline_year, v.count, v.denominator, i.target
           FROM rm_kpi_series s JOIN rm_kpi_value v ON v.series_key = s.series_key AND v.year = 0
                AND v.dimension = 'TOTAL' AND s.ordinal = 1
           JOIN rm_plan_indicator i ON i.indicator_id = s.indicator_id
           JOIN rm_plan_measure m ON m.code = i.measure",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
    let mut by_priority: BTreeMap<char, BTreeSet<IndicatorStatus>> = BTreeMap::new();
    for (measure, deadline, count, denominator, target) in &rows {
        let Some(Json(target)) = target else { continue };
        let share = matches!(target, Target::AtLeastPercent { .. } | Target::Every { .. });
        let value = SeriesValue {
            value: *count,
            denominator: share.then_some(*denominator),
        };
        let status = status_on(target, value, *deadline, day);
        by_priority
            .entry(measure.chars().next().unwrap())
            .or_default()
            .insert(status);
    }
    for priority in ['1', '2', '3', '4', '5'] {
        let statuses = by_priority.get(&priority).cloned().unwrap_or_default();
        for wanted in [IndicatorStatus::Met, IndicatorStatus::OnTrack, IndicatorStatus::AtRisk] {
            assert!(
                statuses.contains(&wanted),
                "priority {priority} has an indicator {wanted:?}: {statuses:?}"
            );
        }
    }

    let again = demo::load(&use_cases).await.unwrap();
    assert_eq!(again.already_loaded, again.commands, "a second load writes nothing");
    assert_eq!(store.head_position().await.unwrap(), first.last_position);
    stop.send_replace(true);
    for t in tasks {
        t.await.unwrap();
    }

    // The runner applied the log in batches of whatever had arrived; a
    // rebuild in large batches and one event at a time must give the same
    // read models.
    let live = common::read_models::read_models(&db.pool).await;
    common::read_models::assert_batches_change_nothing(&db.pool, Some(&live), &[1]).await;
    db.drop_db().await;
}
