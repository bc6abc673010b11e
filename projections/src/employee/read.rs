//! The typed reader of employees (`rm_employee`). Personal data stays sealed
//! here; only the vault opens it.

use chrono::NaiveDate;
use prasme_domain::employee::{EmployeeFunction, JobGroup, SealedPersonalData};
use prasme_domain::reference::from_wire_name;
use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::scope::ReadScope;

use crate::page::{Page, Window};
use crate::ReadError;

pub struct EmployeeRow {
    pub id: Uuid,
    pub institution_id: Uuid,
    pub job_groups: Vec<JobGroup>,
    pub functions: Vec<EmployeeFunction>,
    pub civil_servant: bool,
    pub manager_id: Option<Uuid>,
    pub hired_on: NaiveDate,
    pub left_on: Option<NaiveDate>,
    pub sealed: SealedPersonalData,
    pub personal_erased: bool,
}

const EMPLOYEE_COLUMNS: &str = "id, institution_id, job_groups, functions, civil_servant, manager_id, hired_on, \
                                left_on, personal_nonce, personal_ciphertext, personal_erased";

fn enums<T: serde::de::DeserializeOwned>(names: Vec<String>) -> Result<Vec<T>, ReadError> {
    names
        .into_iter()
        .map(|n| {
            from_wire_name(&n).ok_or(ReadError::Corrupt {
                table: "rm_employee",
                value: n,
            })
        })
        .collect()
}

fn employee(r: &PgRow) -> Result<EmployeeRow, ReadError> {
    Ok(EmployeeRow {
        id: r.try_get("id")?,
        institution_id: r.try_get("institution_id")?,
        job_groups: enums(r.try_get("job_groups")?)?,
        functions: enums(r.try_get("functions")?)?,
        civil_servant: r.try_get("civil_servant")?,
        manager_id: r.try_get("manager_id")?,
        hired_on: r.try_get("hired_on")?,
        left_on: r.try_get("left_on")?,
        sealed: SealedPersonalData {
            nonce: r.try_get("personal_nonce")?,
            ciphertext: r.try_get("personal_ciphertext")?,
        },
        personal_erased: r.try_get("personal_erased")?,
    })
}

/// One employee, if they are in `scope` (one out of scope reads as missing).
pub async fn employee_by_id(pool: &PgPool, scope: &ReadScope, id: Uuid) -> Result<Option<EmployeeRow>, ReadError> {
    let row = sqlx::query(&format!(
        "SELECT {EMPLOYEE_COLUMNS} FROM rm_employee WHERE id = $1 AND {}",
        scope.condition("institution_id", Some("id"), None)
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(employee).transpose()
}

/// A window of an institution's employees, current and former, by id;
/// with `name_tokens` (the vault's digests of a search), only those whose
/// name index holds every one of them.
pub async fn employees_of(
    pool: &PgPool,
    scope: &ReadScope,
    institution: Uuid,
    name_tokens: Option<&[Vec<u8>]>,
    window: &Window<Uuid>,
) -> Result<Page<Uuid, EmployeeRow>, ReadError> {
    let matching = format!(
        "institution_id = $1 AND {}
        AND ($2::bytea[] IS NULL OR id IN (SELECT subject_id FROM personal_name_index WHERE token = ANY ($2)
                                            GROUP BY subject_id HAVING count(*) = cardinality($2)))",
        scope.condition("institution_id", Some("id"), None)
    );
    let rows = sqlx::query(&format!(
        "SELECT {EMPLOYEE_COLUMNS} FROM rm_employee
          WHERE {matching} AND ($3::uuid IS NULL OR id > $3) AND ($4::uuid IS NULL OR id < $4)
          ORDER BY id {d} LIMIT $5",
        d = window.direction()
    ))
    .bind(institution)
    .bind(name_tokens)
    .bind(window.after)
    .bind(window.before)
    .bind(window.limit)
    .fetch_all(pool)
    .await?;
    let total = sqlx::query_scalar(&format!("SELECT count(*) FROM rm_employee WHERE {matching}"))
        .bind(institution)
        .bind(name_tokens)
        .fetch_one(pool)
        .await?;
    let rows = rows
        .iter()
        .map(|r| employee(r).map(|e| (e.id, e)))
        .collect::<Result<_, _>>()?;
    Ok(Page { rows, total })
}

/// Who worked in one institution during one year, from its employment flows
/// (`rm_employment_flow`): a sum over the institution's rows, never a scan
/// of its periods. A period counts from its first day up to, not including,
/// its end, as `rm_employment_period` has it.
pub struct Staffing {
    year: i32,
    /// Periods started, and ended, before 1 January.
    started_before: i64,
    ended_before: i64,
    /// Periods starting and ending on each day of the year with any.
    days: Vec<(NaiveDate, i64, i64)>,
}

impl Staffing {
    /// Periods started by `until` (exclusive) less periods ended by `by` (inclusive).
    fn count(&self, until: NaiveDate, by: NaiveDate) -> i64 {
        let started: i64 = self.days.iter().filter(|d| d.0 < until).map(|d| d.1).sum();
        let ended: i64 = self.days.iter().filter(|d| d.0 <= by).map(|d| d.2).sum();
        self.started_before + started - self.ended_before - ended
    }

    /// Employed on `day`, a day of the year.
    pub fn on(&self, day: NaiveDate) -> i64 {
        self.count(day.succ_opt().unwrap_or(day), day)
    }

    /// Employed on at least one day of `month` (1–12) of the year: the
    /// periods begun before the next month less those ended by its first
    /// day. A person with two periods there in one month counts twice.
    pub fn in_month(&self, month: u32) -> i64 {
        let Some(first) = NaiveDate::from_ymd_opt(self.year, month, 1) else {
            return 0;
        };
        let next = first.checked_add_months(chrono::Months::new(1)).unwrap_or(first);
        self.count(next, first)
    }
}

pub async fn staffing(pool: &PgPool, institution_id: Uuid, year: i32) -> Result<Staffing, sqlx::Error> {
    let before = sqlx::query(
        "SELECT COALESCE(sum(started), 0)::bigint AS started, COALESCE(sum(ended), 0)::bigint AS ended
           FROM rm_employment_flow WHERE institution_id = $1 AND on_date < make_date($2, 1, 1)",
    )
    .bind(institution_id)
    .bind(year)
    .fetch_one(pool)
    .await?;
    let days = sqlx::query(
        "SELECT on_date, started::bigint, ended::bigint FROM rm_employment_flow
          WHERE institution_id = $1 AND on_date >= make_date($2, 1, 1) AND on_date <= make_date($2, 12, 31)",
    )
    .bind(institution_id)
    .bind(year)
    .fetch_all(pool)
    .await?;
    Ok(Staffing {
        year,
        started_before: before.try_get("started")?,
        ended_before: before.try_get("ended")?,
        days: days
            .iter()
            .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
            .collect::<Result<_, sqlx::Error>>()?,
    })
}
