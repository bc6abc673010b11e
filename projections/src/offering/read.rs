//! The typed reader of the offering read model: what the API (or an export)
//! may ask of `rm_offering`, `rm_place` and `rm_feedback`, as typed rows.

use chrono::NaiveDate;
use prasme_domain::offering::{Attendance, FeedbackKind, OfferingFormat, PlaceStatus};
use prasme_domain::reference::{from_wire_name, wire_name};
use prasme_domain::Cents;
use sqlx::{PgPool, Row};
use uuid::Uuid;

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
    pub applied_at_work: i64,
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

pub async fn offering(pool: &PgPool, id: Uuid) -> Result<Option<OfferingRow>, ReadError> {
    let row = sqlx::query(
        "SELECT id, course_id, starts_on, ends_on, format, capacity, cost_cents, organiser, cancelled, cancel_reason
           FROM rm_offering WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
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
    })
    .transpose()
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

pub async fn feedback_summary(pool: &PgPool, offering: Uuid) -> Result<FeedbackSummaryRow, ReadError> {
    Ok(sqlx::query_as(
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
    .await?)
}

/// Every place: enrolled first, then the waitlist in its order, then requests, then the rest.
pub async fn roster(pool: &PgPool, offering: Uuid) -> Result<Vec<PlaceRow>, ReadError> {
    let order: Vec<String> = [PlaceStatus::Enrolled, PlaceStatus::Waitlisted, PlaceStatus::Requested]
        .iter()
        .map(wire_name)
        .collect();
    let rows = sqlx::query(&format!(
        "SELECT {PLACE_COLUMNS} FROM rm_place WHERE offering_id = $1
          ORDER BY coalesce(array_position($2, status), 4), waitlisted_at NULLS LAST, employee_id"
    ))
    .bind(offering)
    .bind(order)
    .fetch_all(pool)
    .await?;
    rows.iter().map(place).collect()
}

/// The employee's completions, passed or failed, revoked ones excluded, newest first.
pub async fn completions(pool: &PgPool, employee: Uuid) -> Result<Vec<PlaceRow>, ReadError> {
    let rows = sqlx::query(&format!(
        "SELECT {PLACE_COLUMNS} FROM rm_place
          WHERE employee_id = $1 AND completed_on IS NOT NULL AND NOT revoked
          ORDER BY completed_on DESC, offering_id"
    ))
    .bind(employee)
    .fetch_all(pool)
    .await?;
    rows.iter().map(place).collect()
}

/// The completion a certificate number stands for (numbers are upper case).
pub async fn certificate(pool: &PgPool, number: &str) -> Result<Option<PlaceRow>, ReadError> {
    let row = sqlx::query(&format!(
        "SELECT {PLACE_COLUMNS} FROM rm_place WHERE certificate_number = $1"
    ))
    .bind(number.to_uppercase())
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(place).transpose()
}
