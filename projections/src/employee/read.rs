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
