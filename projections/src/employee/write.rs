//! The employee projection's writes: a batch loads the employees its events
//! name and all their employment periods, folds the events into them in log
//! order, and writes each table back in one statement (`crate::staged`).

use std::collections::HashSet;

use chrono::NaiveDate;
use prasme_domain::employee::EmployeeEvent;
use prasme_domain::reference::wire_name as wire;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::staged::{array_literal, Staged};
use crate::ProjectionError;

struct EmployeeRow {
    institution_id: Uuid,
    job_groups: Vec<String>,
    functions: Vec<String>,
    civil_servant: bool,
    manager_id: Option<Uuid>,
    hired_on: NaiveDate,
    left_on: Option<NaiveDate>,
    personal_nonce: String,
    personal_ciphertext: String,
    personal_erased: bool,
}

/// (employee, from, institution): a period's key; its value is its end.
pub(crate) type PeriodKey = (Uuid, NaiveDate, Uuid);

/// Employment periods staged for a batch. The scorecard projection keeps a
/// copy of its own, folded by [`fold_period`] as well, so that its
/// headcounts are the ones `rm_employment_period` gives.
pub(crate) type Periods = Staged<PeriodKey, Option<NaiveDate>>;

/// The periods of `employees` as `table` (`rm_employment_period`, or the
/// scorecard's copy) stores them.
pub(crate) async fn load_periods(
    tx: &mut PgConnection,
    table: &'static str,
    employees: &[Uuid],
) -> Result<Periods, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT employee_id, from_date, institution_id, to_date FROM {table} WHERE employee_id = ANY($1)"
    ))
    .bind(employees)
    .fetch_all(&mut *tx)
    .await?
    .iter()
    .map(|r| {
        Ok((
            (
                r.try_get("employee_id")?,
                r.try_get("from_date")?,
                r.try_get("institution_id")?,
            ),
            r.try_get("to_date")?,
        ))
    })
    .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Staged::loaded(rows))
}

pub(super) struct Batch {
    employees: Staged<Uuid, EmployeeRow>,
    periods: Periods,
}

fn wires<T: serde::Serialize>(items: &[T]) -> Vec<String> {
    items.iter().map(wire).collect()
}

fn employee_of(event: &EmployeeEvent) -> Uuid {
    use EmployeeEvent as E;
    match event {
        E::EmployeeHired { employee_id, .. }
        | E::EmployeeRoleChanged { employee_id, .. }
        | E::EmployeeTransferred { employee_id, .. }
        | E::ManagerAssigned { employee_id, .. }
        | E::EmployeeLeft { employee_id, .. }
        | E::EmployeePersonalDataErased { employee_id } => *employee_id,
    }
}

impl Batch {
    /// One statement per table for the employees the events name.
    pub(super) async fn load(tx: &mut PgConnection, events: &[EmployeeEvent]) -> Result<Self, sqlx::Error> {
        let ids: Vec<Uuid> = events
            .iter()
            .map(employee_of)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let employees = sqlx::query(
            "SELECT id, institution_id, job_groups, functions, civil_servant, manager_id, hired_on, left_on,
                    personal_nonce, personal_ciphertext, personal_erased
               FROM rm_employee WHERE id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                EmployeeRow {
                    institution_id: r.try_get("institution_id")?,
                    job_groups: r.try_get("job_groups")?,
                    functions: r.try_get("functions")?,
                    civil_servant: r.try_get("civil_servant")?,
                    manager_id: r.try_get("manager_id")?,
                    hired_on: r.try_get("hired_on")?,
                    left_on: r.try_get("left_on")?,
                    personal_nonce: r.try_get("personal_nonce")?,
                    personal_ciphertext: r.try_get("personal_ciphertext")?,
                    personal_erased: r.try_get("personal_erased")?,
                },
            ))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(Self {
            employees: Staged::loaded(employees),
            periods: load_periods(tx, "rm_employment_period", &ids).await?,
        })
    }

    /// Every event, in log order, into the rows.
    pub(super) fn fold(mut self, events: Vec<EmployeeEvent>) -> Self {
        use EmployeeEvent as E;
        for event in events {
            fold_period(&mut self.periods, &event);
            match event {
                E::EmployeeHired {
                    employee_id,
                    institution_id,
                    job_groups,
                    civil_servant,
                    functions,
                    personal_data,
                    hired_on,
                } => {
                    self.employees.put(
                        employee_id,
                        EmployeeRow {
                            institution_id,
                            job_groups: wires(&job_groups),
                            functions: wires(&functions),
                            civil_servant,
                            manager_id: None,
                            hired_on,
                            left_on: None,
                            personal_nonce: personal_data.nonce,
                            personal_ciphertext: personal_data.ciphertext,
                            personal_erased: false,
                        },
                    );
                }
                E::EmployeeRoleChanged {
                    employee_id,
                    job_groups,
                    civil_servant,
                    functions,
                    ..
                } => {
                    if let Some(e) = self.employees.change(employee_id) {
                        e.job_groups = wires(&job_groups);
                        e.functions = wires(&functions);
                        e.civil_servant = civil_servant;
                    }
                }
                E::EmployeeTransferred {
                    employee_id,
                    to_institution_id,
                    ..
                } => {
                    if let Some(e) = self.employees.change(employee_id) {
                        e.institution_id = to_institution_id;
                        e.manager_id = None;
                    }
                }
                E::ManagerAssigned {
                    employee_id,
                    manager_id,
                    ..
                } => {
                    if let Some(e) = self.employees.change(employee_id) {
                        e.manager_id = Some(manager_id);
                    }
                }
                E::EmployeeLeft {
                    employee_id, left_on, ..
                } => {
                    if let Some(e) = self.employees.change(employee_id) {
                        e.left_on = Some(left_on);
                    }
                }
                E::EmployeePersonalDataErased { employee_id } => {
                    // The key is gone already; blank the sealed copy too, so not even
                    // ciphertext of an erased person stays in the read model.
                    if let Some(e) = self.employees.change(employee_id) {
                        e.personal_erased = true;
                        e.personal_nonce.clear();
                        e.personal_ciphertext.clear();
                    }
                }
            }
        }
        self
    }

    /// One statement per table changed.
    pub(super) async fn write(self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        let (ids, rows) = self.employees.changed();
        if !ids.is_empty() {
            sqlx::query(
                "INSERT INTO rm_employee (id, institution_id, job_groups, functions, civil_servant, manager_id, hired_on,
                                          left_on, personal_nonce, personal_ciphertext, personal_erased)
                 SELECT u.id, u.institution_id, u.job_groups::text[], u.functions::text[], u.civil_servant, u.manager_id, u.hired_on,
                        u.left_on, u.personal_nonce, u.personal_ciphertext, u.personal_erased
                   FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::boolean[], $6::uuid[], $7::date[],
                               $8::date[], $9::text[], $10::text[], $11::boolean[])
                        AS u (id, institution_id, job_groups, functions, civil_servant, manager_id, hired_on, left_on,
                              personal_nonce, personal_ciphertext, personal_erased)
                 ON CONFLICT (id) DO UPDATE SET
                   institution_id = EXCLUDED.institution_id, job_groups = EXCLUDED.job_groups,
                   functions = EXCLUDED.functions, civil_servant = EXCLUDED.civil_servant,
                   manager_id = EXCLUDED.manager_id, hired_on = EXCLUDED.hired_on, left_on = EXCLUDED.left_on,
                   personal_nonce = EXCLUDED.personal_nonce, personal_ciphertext = EXCLUDED.personal_ciphertext,
                   personal_erased = EXCLUDED.personal_erased"
            )
            .bind(&ids)
            .bind(rows.iter().map(|r| r.institution_id).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| array_literal(&r.job_groups)).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| array_literal(&r.functions)).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.civil_servant).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.manager_id).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.hired_on).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.left_on).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.personal_nonce.as_str()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.personal_ciphertext.as_str()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.personal_erased).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
        }
        let (keys, ends) = self.periods.changed();
        if !keys.is_empty() {
            let employees: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
            let froms: Vec<NaiveDate> = keys.iter().map(|k| k.1).collect();
            let institutions: Vec<Uuid> = keys.iter().map(|k| k.2).collect();
            let before = flows(tx, &employees, &froms, &institutions, -1).await?;
            sqlx::query(
                "INSERT INTO rm_employment_period (employee_id, from_date, institution_id, to_date)
                 SELECT * FROM UNNEST($1::uuid[], $2::date[], $3::uuid[], $4::date[])
                 ON CONFLICT (employee_id, from_date, institution_id) DO UPDATE SET to_date = EXCLUDED.to_date",
            )
            .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
            .bind(keys.iter().map(|k| k.1).collect::<Vec<_>>())
            .bind(keys.iter().map(|k| k.2).collect::<Vec<_>>())
            .bind(ends.iter().map(|e| **e).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
            flows(tx, &employees, &froms, &institutions, 1).await?;
            if !before.is_empty() {
                let (i, d): (Vec<Uuid>, Vec<NaiveDate>) = before.into_iter().unzip();
                sqlx::query(
                    "DELETE FROM rm_employment_flow f USING unnest($1::uuid[], $2::date[]) AS k(i, d)
                      WHERE f.institution_id = k.i AND f.on_date = k.d AND f.started = 0 AND f.ended = 0",
                )
                .bind(i)
                .bind(d)
                .execute(&mut *tx)
                .await?;
            }
        }
        Ok(())
    }
}

/// Folds one event into the employee's periods: a hire opens one, a
/// transfer ends every open one and opens one in the new institution, a
/// departure ends every open one. `periods` must hold all of that
/// employee's periods.
pub(crate) fn fold_period(periods: &mut Periods, event: &EmployeeEvent) {
    use EmployeeEvent as E;
    match *event {
        E::EmployeeHired {
            employee_id,
            institution_id,
            hired_on,
            ..
        } => open_period(periods, employee_id, institution_id, hired_on),
        E::EmployeeTransferred {
            employee_id,
            to_institution_id,
            effective_on,
            ..
        } => {
            close_periods(periods, employee_id, effective_on);
            open_period(periods, employee_id, to_institution_id, effective_on);
        }
        E::EmployeeLeft {
            employee_id, left_on, ..
        } => close_periods(periods, employee_id, left_on),
        _ => {}
    }
}

/// A period from `from`, unless that very period is already recorded.
fn open_period(periods: &mut Periods, employee: Uuid, institution: Uuid, from: NaiveDate) {
    periods.change_or((employee, from, institution), || None);
}

/// Ends every open period of the employee on `to`.
fn close_periods(periods: &mut Periods, employee: Uuid, to: NaiveDate) {
    periods.change_each(|(e, _, _), end| *e == employee && end.is_none(), |end| *end = Some(to));
}

/// Adds (`sign` 1) or takes away (-1) these periods, as stored, from
/// `rm_employment_flow`: one start on the first day, one end on `to_date`.
/// The dates touched.
async fn flows(
    tx: &mut PgConnection,
    employees: &[Uuid],
    froms: &[NaiveDate],
    institutions: &[Uuid],
    sign: i32,
) -> Result<Vec<(Uuid, NaiveDate)>, sqlx::Error> {
    let rows = sqlx::query(
        "WITH p AS (
             SELECT e.institution_id, e.from_date, e.to_date FROM rm_employment_period e
               JOIN unnest($1::uuid[], $2::date[], $3::uuid[]) AS k(employee_id, from_date, institution_id)
                 ON e.employee_id = k.employee_id AND e.from_date = k.from_date AND e.institution_id = k.institution_id
              -- A period closed before it began (a transfer backdated past
              -- it) covers no day and no month: it moves nothing.
              WHERE e.to_date IS NULL OR e.to_date >= e.from_date),
         d AS (SELECT institution_id, from_date AS on_date, 1 AS started, 0 AS ended FROM p
               UNION ALL
               SELECT institution_id, to_date, 0, 1 FROM p WHERE to_date IS NOT NULL)
         INSERT INTO rm_employment_flow (institution_id, on_date, started, ended)
         SELECT institution_id, on_date, ($4 * sum(started))::int, ($4 * sum(ended))::int FROM d GROUP BY 1, 2
         ON CONFLICT (institution_id, on_date) DO UPDATE
            SET started = rm_employment_flow.started + EXCLUDED.started,
                ended = rm_employment_flow.ended + EXCLUDED.ended
         RETURNING institution_id, on_date",
    )
    .bind(employees)
    .bind(froms)
    .bind(institutions)
    .bind(sign)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
}
