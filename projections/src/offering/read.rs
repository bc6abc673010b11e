//! The typed reader of the offering read model: what the API (or an export)
//! may ask of `rm_offering`, `rm_place` and `rm_feedback`, as typed rows.

use chrono::NaiveDate;
use prasme_domain::offering::{Attendance, FeedbackKind, OfferingFormat, PlaceStatus};
use prasme_domain::reference::{from_wire_name, wire_name};
use prasme_domain::Cents;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::scope::ReadScope;
use prasme_domain::disclosure::{small, suppress};

use crate::page::{bind_pair, Page, Window};
use crate::ReadError;

pub struct OfferingRow {
    pub id: Uuid,
    pub course_id: Uuid,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub format: OfferingFormat,
    pub capacity: i32,
    pub cost_per_participant: Cents,
    pub organiser: String,
    pub cancelled: bool,
    pub cancel_reason: Option<String>,
}

#[derive(Clone)]
pub struct PlaceRow {
    pub offering_id: Uuid,
    pub employee_id: Uuid,
    pub status: PlaceStatus,
    pub attendance: Option<Attendance>,
    pub certificate_number: Option<String>,
    pub passed: Option<bool>,
    pub score: Option<i32>,
    pub knowledge_test_passed: Option<bool>,
    pub minutes: Option<i32>,
    pub completed_on: Option<NaiveDate>,
    pub revoked: bool,
}

/// Averages of the immediate ratings and the follow-ups' answers, as exact
/// decimal text (two places) computed from integer sums: no floats.
#[derive(sqlx::FromRow)]
pub struct FeedbackSummaryRow {
    pub immediate_responses: i64,
    pub organisation: Option<String>,
    pub content: Option<String>,
    pub trainer: Option<String>,
    pub usefulness: Option<String>,
    pub methods: Option<String>,
    pub follow_up_responses: i64,
    pub applied_at_work: Option<i64>,
}

const PLACE_COLUMNS: &str = "offering_id, employee_id, status, attendance, certificate_number, passed, score, \
                             knowledge_test_passed, minutes, completed_on, revoked";

fn decoded<T: serde::de::DeserializeOwned>(table: &'static str, value: String) -> Result<T, ReadError> {
    from_wire_name(&value).ok_or(ReadError::Corrupt { table, value })
}

fn place(row: &sqlx::postgres::PgRow) -> Result<PlaceRow, ReadError> {
    Ok(PlaceRow {
        offering_id: row.try_get("offering_id")?,
        employee_id: row.try_get("employee_id")?,
        status: decoded("rm_place", row.try_get("status")?)?,
        attendance: row
            .try_get::<Option<String>, _>("attendance")?
            .map(|a| decoded("rm_place", a))
            .transpose()?,
        certificate_number: row.try_get("certificate_number")?,
        passed: row.try_get("passed")?,
        score: row.try_get("score")?,
        knowledge_test_passed: row.try_get("knowledge_test_passed")?,
        minutes: row.try_get("minutes")?,
        completed_on: row.try_get("completed_on")?,
        revoked: row.try_get("revoked")?,
    })
}

const OFFERING_COLUMNS: &str =
    "id, course_id, starts_on, ends_on, format, capacity, cost_cents, organiser, cancelled, cancel_reason";

fn offering_row(r: &sqlx::postgres::PgRow) -> Result<OfferingRow, ReadError> {
    Ok(OfferingRow {
        id: r.try_get("id")?,
        course_id: r.try_get("course_id")?,
        starts_on: r.try_get("starts_on")?,
        ends_on: r.try_get("ends_on")?,
        format: decoded("rm_offering", r.try_get("format")?)?,
        capacity: r.try_get("capacity")?,
        cost_per_participant: Cents(r.try_get("cost_cents")?),
        organiser: r.try_get("organiser")?,
        cancelled: r.try_get("cancelled")?,
        cancel_reason: r.try_get("cancel_reason")?,
    })
}

pub async fn offering(pool: &PgPool, id: Uuid) -> Result<Option<OfferingRow>, ReadError> {
    let row = sqlx::query(&format!("SELECT {OFFERING_COLUMNS} FROM rm_offering WHERE id = $1"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.as_ref().map(offering_row).transpose()
}

/// What offerings may be narrowed by; every part is optional.
#[derive(Debug, Clone, Default)]
pub struct OfferingFilter {
    pub course: Option<Uuid>,
    /// Starting on or after this day.
    pub from: Option<NaiveDate>,
    /// Starting on or before this day.
    pub to: Option<NaiveDate>,
    pub format: Option<OfferingFormat>,
    /// Only cancelled offerings (true), or only those not cancelled (false).
    pub cancelled: Option<bool>,
    /// The organiser's name, in any letter case.
    pub organiser: Option<String>,
}

/// Offerings are listed by start date, then id.
pub type OfferingKey = (NaiveDate, Uuid);

const OFFERING_FILTER: &str = "($1::uuid IS NULL OR course_id = $1)
    AND ($2::date IS NULL OR starts_on >= $2) AND ($3::date IS NULL OR starts_on <= $3)
    AND ($4::text IS NULL OR format = $4) AND ($5::boolean IS NULL OR cancelled = $5)
    AND ($6::text IS NULL OR lower(organiser) = lower($6))";

/// `OFFERING_FILTER`'s parameters, $1 to $6.
fn bind_filter<'q>(
    query: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    filter: &'q OfferingFilter,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    query
        .bind(filter.course)
        .bind(filter.from)
        .bind(filter.to)
        .bind(filter.format.map(|f| wire_name(&f)))
        .bind(filter.cancelled)
        .bind(filter.organiser.as_deref())
}

/// A window of the offerings the filter lets through, by start date.
pub async fn offerings(
    pool: &PgPool,
    filter: &OfferingFilter,
    window: &Window<OfferingKey>,
) -> Result<Page<OfferingKey, OfferingRow>, ReadError> {
    let page = format!(
        "SELECT {OFFERING_COLUMNS} FROM rm_offering WHERE {OFFERING_FILTER}
            AND ($7::date IS NULL OR (starts_on, id) > ($7, $8))
            AND ($9::date IS NULL OR (starts_on, id) < ($9, $10))
          ORDER BY starts_on {d}, id {d} LIMIT $11",
        d = window.direction()
    );
    let rows = bind_pair(bind_filter(sqlx::query(&page), filter), window)
        .fetch_all(pool)
        .await?;
    let count = format!("SELECT count(*) FROM rm_offering WHERE {OFFERING_FILTER}");
    let total: i64 = bind_filter(sqlx::query(&count), filter)
        .fetch_one(pool)
        .await?
        .try_get(0)?;
    let rows = rows
        .iter()
        .map(|r| offering_row(r).map(|o| ((o.starts_on, o.id), o)))
        .collect::<Result<_, _>>()?;
    Ok(Page { rows, total })
}

pub async fn enrolled_count(pool: &PgPool, offering: Uuid) -> Result<i64, ReadError> {
    Ok(
        sqlx::query_scalar("SELECT count(*) FROM rm_place WHERE offering_id = $1 AND status = $2")
            .bind(offering)
            .bind(wire_name(&PlaceStatus::Enrolled))
            .fetch_one(pool)
            .await?,
    )
}

/// What participants said, with the small-cell rule applied for everyone:
/// no one may read a participant's own feedback, so averages of fewer than
/// 5 responses are None, and so is a count of follow-ups that says what
/// fewer than 5 people answered. The numbers of responses are shown: they
/// are the offering's, like its enrolled count, and say why.
pub async fn feedback_summary(pool: &PgPool, offering: Uuid) -> Result<FeedbackSummaryRow, ReadError> {
    let mut row: FeedbackSummaryRow = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE kind = $2) AS immediate_responses,
                round(avg(organisation), 2)::text AS organisation, round(avg(content), 2)::text AS content,
                round(avg(trainer), 2)::text AS trainer, round(avg(usefulness), 2)::text AS usefulness,
                round(avg(methods), 2)::text AS methods,
                count(*) FILTER (WHERE kind = $3) AS follow_up_responses,
                count(*) FILTER (WHERE applied_at_work) AS applied_at_work
           FROM rm_feedback WHERE offering_id = $1",
    )
    .bind(offering)
    .bind(wire_name(&FeedbackKind::Immediate))
    .bind(wire_name(&FeedbackKind::FollowUp))
    .fetch_one(pool)
    .await?;
    if small(row.immediate_responses) {
        row.organisation = None;
        row.content = None;
        row.trainer = None;
        row.usefulness = None;
        row.methods = None;
    }
    let applied = row.applied_at_work.unwrap_or(0);
    let (hidden, _) = suppress(&[applied], row.follow_up_responses);
    if hidden[0] || small(row.follow_up_responses) {
        row.applied_at_work = None;
    }
    Ok(row)
}

/// The scope's condition on places (columns prefixed by `table`): the
/// person's own, their institution's at the time of the request, or VAS's
/// catalogue's.
fn visible(scope: &ReadScope, table: &str) -> String {
    scope.condition(
        &format!("{table}institution_id"),
        Some(&format!("{table}employee_id")),
        Some(&format!("{table}offering_id")),
    )
}

/// A roster lists enrolled places first, then the waitlist in its order,
/// then requests, then the rest, each by employee id.
pub type RosterKey = (i32, i64, Uuid);

/// A window of an offering's roster.
pub async fn roster(
    pool: &PgPool,
    scope: &ReadScope,
    offering: Uuid,
    window: &Window<RosterKey>,
) -> Result<Page<RosterKey, PlaceRow>, ReadError> {
    let order: Vec<String> = [PlaceStatus::Enrolled, PlaceStatus::Waitlisted, PlaceStatus::Requested]
        .iter()
        .map(wire_name)
        .collect();
    let visible = visible(scope, "");
    // A place without a waitlist position sorts after every waitlisted one.
    let rows = sqlx::query(&format!(
        "SELECT * FROM (SELECT {PLACE_COLUMNS}, coalesce(array_position($2::text[], status), 4) AS rank,
                               coalesce(waitlisted_at, 9223372036854775807) AS queued
                          FROM rm_place WHERE offering_id = $1 AND {visible}) p
          WHERE ($3::int IS NULL OR (rank, queued, employee_id) > ($3, $4, $5))
            AND ($6::int IS NULL OR (rank, queued, employee_id) < ($6, $7, $8))
          ORDER BY rank {d}, queued {d}, employee_id {d} LIMIT $9",
        d = window.direction()
    ))
    .bind(offering)
    .bind(order)
    .bind(window.after.map(|k| k.0))
    .bind(window.after.map(|k| k.1))
    .bind(window.after.map(|k| k.2))
    .bind(window.before.map(|k| k.0))
    .bind(window.before.map(|k| k.1))
    .bind(window.before.map(|k| k.2))
    .bind(window.limit)
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM rm_place WHERE offering_id = $1 AND {visible}"
    ))
    .bind(offering)
    .fetch_one(pool)
    .await?;
    let rows = rows
        .iter()
        .map(|r| {
            Ok((
                (r.try_get("rank")?, r.try_get("queued")?, r.try_get("employee_id")?),
                place(r)?,
            ))
        })
        .collect::<Result<_, ReadError>>()?;
    Ok(Page { rows, total })
}

/// Completions are listed newest first: by how many days before 2000-01-01
/// they were completed (a negative count for every real one), then by offering.
pub type CompletionKey = (i32, Uuid);

/// A window of the employee's completions, passed or failed, revoked ones
/// excluded, newest first.
pub async fn completions(
    pool: &PgPool,
    scope: &ReadScope,
    employee: Uuid,
    window: &Window<CompletionKey>,
) -> Result<Page<CompletionKey, PlaceRow>, ReadError> {
    let visible = visible(scope, "");
    let sql = format!(
        "SELECT * FROM (SELECT {PLACE_COLUMNS}, DATE '2000-01-01' - completed_on AS age
                          FROM rm_place WHERE employee_id = $1 AND completed_on IS NOT NULL AND NOT revoked
                                          AND {visible}) p
          WHERE ($2::int IS NULL OR (age, offering_id) > ($2, $3))
            AND ($4::int IS NULL OR (age, offering_id) < ($4, $5))
          ORDER BY age {d}, offering_id {d} LIMIT $6",
        d = window.direction()
    );
    let rows = bind_pair(sqlx::query(&sql).bind(employee), window)
        .fetch_all(pool)
        .await?;
    let total = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM rm_place WHERE employee_id = $1 AND completed_on IS NOT NULL AND NOT revoked
            AND {visible}"
    ))
    .bind(employee)
    .fetch_one(pool)
    .await?;
    let rows = rows
        .iter()
        .map(|r| Ok(((r.try_get("age")?, r.try_get("offering_id")?), place(r)?)))
        .collect::<Result<_, ReadError>>()?;
    Ok(Page { rows, total })
}

/// The learning time of all the employee's completions, passed or failed,
/// revoked ones excluded.
pub async fn completed_minutes(pool: &PgPool, scope: &ReadScope, employee: Uuid) -> Result<i64, ReadError> {
    let minutes: Option<i64> = sqlx::query_scalar(&format!(
        "SELECT sum(minutes)::bigint FROM rm_place
          WHERE employee_id = $1 AND completed_on IS NOT NULL AND NOT revoked AND {}",
        visible(scope, "")
    ))
    .bind(employee)
    .fetch_one(pool)
    .await?;
    Ok(minutes.unwrap_or(0))
}

/// An employee's places are listed by the offering's start date, then the offering.
pub type EmployeePlaceKey = (NaiveDate, Uuid);

/// A window of the employee's places in the given statuses (all when none
/// is given), by the offering's start date.
pub async fn employee_places(
    pool: &PgPool,
    scope: &ReadScope,
    employee: Uuid,
    statuses: &[PlaceStatus],
    window: &Window<EmployeePlaceKey>,
) -> Result<Page<EmployeePlaceKey, PlaceRow>, ReadError> {
    let statuses: Option<Vec<String>> = (!statuses.is_empty()).then(|| statuses.iter().map(wire_name).collect());
    let sql = format!(
        "SELECT {columns}, o.starts_on FROM rm_place p JOIN rm_offering o ON o.id = p.offering_id
          WHERE p.employee_id = $1 AND ($2::text[] IS NULL OR p.status = ANY ($2)) AND {visible}
            AND ($3::date IS NULL OR (o.starts_on, p.offering_id) > ($3, $4))
            AND ($5::date IS NULL OR (o.starts_on, p.offering_id) < ($5, $6))
          ORDER BY o.starts_on {d}, p.offering_id {d} LIMIT $7",
        columns = PLACE_COLUMNS
            .split(", ")
            .map(|c| format!("p.{c}"))
            .collect::<Vec<_>>()
            .join(", "),
        visible = visible(scope, "p."),
        d = window.direction()
    );
    let rows = bind_pair(sqlx::query(&sql).bind(employee).bind(&statuses), window)
        .fetch_all(pool)
        .await?;
    let total = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM rm_place WHERE employee_id = $1 AND ($2::text[] IS NULL OR status = ANY ($2))
            AND {}",
        visible(scope, "")
    ))
    .bind(employee)
    .bind(&statuses)
    .fetch_one(pool)
    .await?;
    let rows = rows
        .iter()
        .map(|r| Ok(((r.try_get("starts_on")?, r.try_get("offering_id")?), place(r)?)))
        .collect::<Result<_, ReadError>>()?;
    Ok(Page { rows, total })
}

/// One employee's place in one offering.
pub async fn place_of(
    pool: &PgPool,
    scope: &ReadScope,
    offering: Uuid,
    employee: Uuid,
) -> Result<Option<PlaceRow>, ReadError> {
    let row = sqlx::query(&format!(
        "SELECT {PLACE_COLUMNS} FROM rm_place WHERE offering_id = $1 AND employee_id = $2 AND {}",
        visible(scope, "")
    ))
    .bind(offering)
    .bind(employee)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(place).transpose()
}

/// The completion a certificate number stands for (numbers are upper case).
pub async fn certificate(pool: &PgPool, scope: &ReadScope, number: &str) -> Result<Option<PlaceRow>, ReadError> {
    let row = sqlx::query(&format!(
        "SELECT {PLACE_COLUMNS} FROM rm_place WHERE certificate_number = $1 AND {}",
        visible(scope, "")
    ))
    .bind(number.to_uppercase())
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(place).transpose()
}
