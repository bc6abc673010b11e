//! The KPI engine's unit of work. A batch of events reads what it needs
//! in a few set-based statements up front (`prefetch`), changes it in
//! memory, and writes it back in one statement per table at the end
//! (`flush`); what the prefetch did not foresee is read on first use. A
//! row-by-row engine made a dozen round trips per event; this makes a
//! dozen per batch, which is what a rebuild of ten million events needs.
//!
//! The runner's work lasts one batch. A rebuild's lasts from batch to
//! batch (`super::KpiRebuild`): it starts on tables it has just emptied,
//! so it never reads back what it holds. It keeps the careers, courses,
//! offerings and subjects, as many as the administration has people and
//! offerings; the facts, as many as the log has completions, it writes
//! and forgets whenever they pass its budget (`super::FACT_BUDGET`), so
//! memory is bounded by the population, never by the log.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use prasme_domain::kpi::definition::CourseTags;
use prasme_domain::kpi::{Career, Cell, Dimension, Fact, Place};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::held::{Held, InstitutionFacts, Part, SeriesHeld, Spot};
use super::spilled::Spilled;
use crate::ProjectionError;

/// Where a change was recorded in the log.
#[derive(Clone, Copy)]
pub(super) struct At {
    pub position: i64,
    pub recorded_at: DateTime<Utc>,
}

/// A course as the engine counts it.
#[derive(Clone)]
pub(super) struct CourseRow {
    pub tags: CourseTags,
    pub catalogued_on: NaiveDate,
}

#[derive(Clone)]
pub(super) struct OfferingRow {
    pub course_id: Uuid,
    pub starts_on: NaiveDate,
    pub cancelled: bool,
}

/// Where a fact counted: the series, the subject, and the (year, place)
/// pairs it holds the subject in (none for an employee share's fact, which
/// the share places on each reference date).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Counted {
    #[serde(rename = "s")]
    pub series_key: String,
    #[serde(rename = "u")]
    pub subject: String,
    #[serde(rename = "p", default, skip_serializing_if = "Vec::is_empty")]
    pub pairs: Vec<(i32, Option<Spot>)>,
}

/// A fact, what it counted, and for an employee's fact the fact itself,
/// kept to be placed again when their history changes.
#[derive(Clone)]
pub(super) struct FactRow {
    pub employee_id: Option<Uuid>,
    pub occurred_on: NaiveDate,
    pub fact: Option<Fact>,
    pub counted: Vec<Counted>,
}

#[derive(Default)]
struct ValueDelta {
    count: i64,
    denominator: i64,
    position: i64,
}

/// History rows a rebuild holds before it writes them (they are only
/// ever inserted, so writing them early costs nothing).
const HISTORY_BUDGET: usize = 200_000;

#[derive(Default)]
pub(super) struct Work {
    /// The tables hold no career, course, offering or subject this work
    /// does not hold: a rebuild's work, which never looks them up.
    holds_all: bool,
    /// The tables hold no fact this work does not: a rebuild's work until
    /// it first forgets its facts.
    holds_all_facts: bool,
    careers: HashMap<Uuid, Option<Career>>,
    careers_changed: BTreeSet<Uuid>,
    courses: HashMap<Uuid, Option<CourseRow>>,
    courses_changed: BTreeSet<Uuid>,
    offerings: HashMap<Uuid, Option<OfferingRow>>,
    offerings_changed: BTreeSet<Uuid>,
    facts: HashMap<String, Option<FactRow>>,
    facts_changed: BTreeSet<String>,
    /// The keys of each employee's facts held here.
    facts_by_employee: HashMap<Uuid, BTreeSet<String>>,
    /// Employees whose every fact dated on or after the date is held here.
    complete: HashMap<Uuid, NaiveDate>,
    /// The keys of the facts a rebuild wrote and forgot.
    spilled: Option<Spilled>,
    /// The facts a rebuild holds before it writes and forgets them.
    fact_budget: usize,
    subjects: HashMap<String, Held>,
    subjects_changed: BTreeSet<String>,
    /// Every series' totals as they stand, for the history.
    totals: HashMap<(String, i32), (i64, i64)>,
    values: BTreeMap<(String, Cell), ValueDelta>,
    history: BTreeMap<HistoryKey, Snapshot>,
}

/// A total's series, year and position in the log.
type HistoryKey = (String, i32, i64);

/// When a total changed, and its count and denominator after.
type Snapshot = (DateTime<Utc>, i64, i64);

fn json<T: DeserializeOwned>(text: &str, what: &str) -> Result<T, ProjectionError> {
    serde_json::from_str(text).map_err(|e| ProjectionError::Corrupt(format!("{what}: {e}")))
}

fn text(value: &impl Serialize) -> String {
    // Serialising these plain structs cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

impl Work {
    pub async fn new(tx: &mut PgConnection) -> Result<Self, ProjectionError> {
        let rows: Vec<(String, i32, i64, i64)> =
            sqlx::query_as("SELECT series_key, year, count, denominator FROM rm_kpi_value WHERE dimension = 'TOTAL'")
                .fetch_all(&mut *tx)
                .await?;
        let totals = rows.into_iter().map(|(k, y, c, d)| ((k, y), (c, d))).collect();
        Ok(Work {
            totals,
            ..Work::default()
        })
    }

    /// A rebuild's work, on tables that hold nothing yet.
    pub fn cold(fact_budget: usize) -> Self {
        Work {
            holds_all: true,
            holds_all_facts: true,
            fact_budget,
            ..Work::default()
        }
    }

    /// Whether a rebuild should write its facts and forget them.
    pub fn over_budget(&self) -> bool {
        self.facts.len() > self.fact_budget
    }

    /// Whether a rebuild should write the history it holds.
    pub fn history_is_long(&self) -> bool {
        self.history.len() > HISTORY_BUDGET
    }

    /// Writes the facts and forgets them. The rest stays held, unwritten:
    /// nothing reads it back before the rebuild's last flush.
    pub async fn spill_facts(&mut self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        self.flush_facts(tx).await?;
        let spilled = self.spilled.get_or_insert_with(Spilled::new);
        for (key, row) in &self.facts {
            if row.is_some() {
                spilled.insert(key);
            }
        }
        self.facts = HashMap::new();
        self.facts_by_employee = HashMap::new();
        self.complete = HashMap::new();
        self.holds_all_facts = false;
        Ok(())
    }

    /// Reads in one statement each the careers, offerings, courses, facts
    /// and subjects a batch is about to touch.
    pub async fn prefetch(
        &mut self,
        tx: &mut PgConnection,
        employees: &BTreeSet<Uuid>,
        offerings: &BTreeSet<Uuid>,
        courses: &BTreeSet<Uuid>,
        facts: &BTreeSet<String>,
    ) -> Result<(), ProjectionError> {
        self.load_careers(tx, employees).await?;
        let ids: Vec<Uuid> = offerings
            .iter()
            .filter(|o| !self.offerings.contains_key(o))
            .copied()
            .collect();
        if self.holds_all {
            self.offerings.extend(ids.iter().map(|id| (*id, None)));
        } else if !ids.is_empty() {
            let rows = sqlx::query(
                "SELECT offering_id, course_id, starts_on, cancelled FROM rm_kpi_offering WHERE offering_id = ANY ($1)",
            )
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await?;
            for id in &ids {
                self.offerings.insert(*id, None);
            }
            for r in rows {
                self.offerings.insert(
                    r.try_get("offering_id")?,
                    Some(OfferingRow {
                        course_id: r.try_get("course_id")?,
                        starts_on: r.try_get("starts_on")?,
                        cancelled: r.try_get("cancelled")?,
                    }),
                );
            }
        }
        let mut wanted: BTreeSet<Uuid> = courses.clone();
        wanted.extend(self.offerings.values().flatten().map(|o| o.course_id));
        self.load_courses(tx, &wanted).await?;
        self.load_facts(tx, facts).await?;
        let mut subjects: BTreeSet<String> = employees.iter().map(Uuid::to_string).collect();
        subjects.extend(offerings.iter().chain(courses).map(Uuid::to_string));
        // An employee's facts can count their institution and its resor.
        for career in employees.iter().filter_map(|e| self.careers.get(e)).flatten() {
            subjects.extend(career.institutions.iter().map(|(_, i)| i.to_string()));
        }
        self.load_subjects(tx, &subjects).await
    }

    pub async fn load_careers(&mut self, tx: &mut PgConnection, ids: &BTreeSet<Uuid>) -> Result<(), ProjectionError> {
        let ids: Vec<Uuid> = ids.iter().filter(|e| !self.careers.contains_key(e)).copied().collect();
        if self.holds_all || ids.is_empty() {
            self.careers.extend(ids.into_iter().map(|id| (id, None)));
            return Ok(());
        }
        let rows: Vec<(Uuid, String)> =
            sqlx::query_as("SELECT employee_id, career::text FROM rm_kpi_career WHERE employee_id = ANY ($1)")
                .bind(&ids)
                .fetch_all(&mut *tx)
                .await?;
        for id in ids {
            self.careers.insert(id, None);
        }
        for (id, career) in rows {
            self.careers.insert(id, Some(json(&career, "a career")?));
        }
        Ok(())
    }

    async fn load_courses(&mut self, tx: &mut PgConnection, ids: &BTreeSet<Uuid>) -> Result<(), ProjectionError> {
        let ids: Vec<Uuid> = ids.iter().filter(|c| !self.courses.contains_key(c)).copied().collect();
        if self.holds_all || ids.is_empty() {
            self.courses.extend(ids.into_iter().map(|id| (id, None)));
            return Ok(());
        }
        let rows: Vec<(Uuid, String, NaiveDate)> =
            sqlx::query_as("SELECT course_id, tags::text, catalogued_on FROM rm_kpi_course WHERE course_id = ANY ($1)")
                .bind(&ids)
                .fetch_all(&mut *tx)
                .await?;
        for id in ids {
            self.courses.insert(id, None);
        }
        for (id, tags, catalogued_on) in rows {
            self.courses.insert(
                id,
                Some(CourseRow {
                    tags: json(&tags, "a course's tags")?,
                    catalogued_on,
                }),
            );
        }
        Ok(())
    }

    async fn load_facts(&mut self, tx: &mut PgConnection, keys: &BTreeSet<String>) -> Result<(), ProjectionError> {
        let keys: Vec<&str> = keys
            .iter()
            .filter(|k| !self.facts.contains_key(k.as_str()))
            .map(String::as_str)
            .collect();
        // Only keys the table may hold are looked up.
        let (keys, absent): (Vec<&str>, Vec<&str>) = keys
            .into_iter()
            .partition(|k| !self.holds_all_facts && self.spilled.as_ref().is_none_or(|s| s.may_contain(k)));
        self.facts.extend(absent.into_iter().map(|k| (k.to_owned(), None)));
        if keys.is_empty() {
            return Ok(());
        }
        let rows = sqlx::query(
            "SELECT fact_key, employee_id, occurred_on, fact::text AS fact, counted::text AS counted
             FROM rm_kpi_fact WHERE fact_key = ANY ($1)",
        )
        .bind(&keys)
        .fetch_all(&mut *tx)
        .await?;
        for key in keys {
            self.facts.insert(key.to_owned(), None);
        }
        for r in rows {
            let (key, row) = fact_row(&r)?;
            if let Some(employee) = row.employee_id {
                self.note_employee_fact(employee, &key);
            }
            self.facts.insert(key, Some(row));
        }
        Ok(())
    }

    async fn load_subjects(
        &mut self,
        tx: &mut PgConnection,
        subjects: &BTreeSet<String>,
    ) -> Result<(), ProjectionError> {
        let wanted: Vec<&str> = subjects
            .iter()
            .filter(|s| !self.subjects.contains_key(s.as_str()))
            .map(String::as_str)
            .collect();
        if self.holds_all || wanted.is_empty() {
            self.subjects
                .extend(wanted.into_iter().map(|s| (s.to_owned(), Held::new())));
            return Ok(());
        }
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT subject, held::text FROM rm_kpi_subject WHERE subject = ANY ($1)")
                .bind(&wanted)
                .fetch_all(&mut *tx)
                .await?;
        for s in wanted {
            self.subjects.insert(s.to_owned(), Held::new());
        }
        for (subject, held) in rows {
            self.subjects.insert(subject, json(&held, "a subject's holdings")?);
        }
        Ok(())
    }

    pub async fn career(&mut self, tx: &mut PgConnection, id: Uuid) -> Result<Option<Career>, ProjectionError> {
        self.load_careers(tx, &BTreeSet::from([id])).await?;
        Ok(self.careers.get(&id).cloned().flatten())
    }

    pub fn set_career(&mut self, id: Uuid, career: Career) {
        self.careers.insert(id, Some(career));
        self.careers_changed.insert(id);
    }

    pub async fn course(&mut self, tx: &mut PgConnection, id: Uuid) -> Result<Option<CourseRow>, ProjectionError> {
        self.load_courses(tx, &BTreeSet::from([id])).await?;
        Ok(self.courses.get(&id).cloned().flatten())
    }

    pub fn set_course(&mut self, id: Uuid, course: CourseRow) {
        self.courses.insert(id, Some(course));
        self.courses_changed.insert(id);
    }

    pub async fn offering(&mut self, tx: &mut PgConnection, id: Uuid) -> Result<Option<OfferingRow>, ProjectionError> {
        if !self.offerings.contains_key(&id) {
            self.prefetch(
                tx,
                &BTreeSet::new(),
                &BTreeSet::from([id]),
                &BTreeSet::new(),
                &BTreeSet::new(),
            )
            .await?;
        }
        Ok(self.offerings.get(&id).cloned().flatten())
    }

    pub fn set_offering(&mut self, id: Uuid, offering: OfferingRow) {
        self.offerings.insert(id, Some(offering));
        self.offerings_changed.insert(id);
    }

    /// A fact as it stands, for a change: it is written back at the flush.
    pub async fn fact_mut(
        &mut self,
        tx: &mut PgConnection,
        key: &str,
    ) -> Result<&mut Option<FactRow>, ProjectionError> {
        if !self.facts.contains_key(key) {
            self.load_facts(tx, &BTreeSet::from([key.to_owned()])).await?;
        }
        self.facts_changed.insert(key.to_owned());
        let row = self.facts.entry(key.to_owned()).or_default();
        if let Some(employee) = row.as_ref().and_then(|r| r.employee_id) {
            self.facts_by_employee
                .entry(employee)
                .or_default()
                .insert(key.to_owned());
        }
        Ok(row)
    }

    /// Records that an employee's fact is now `row`.
    pub fn note_employee_fact(&mut self, employee: Uuid, key: &str) {
        self.facts_by_employee
            .entry(employee)
            .or_default()
            .insert(key.to_owned());
    }

    /// Reads the facts of each employee dated on or after the date given
    /// for them, in one statement, before their history changes from that
    /// date and those facts are placed again.
    pub async fn load_employee_facts(
        &mut self,
        tx: &mut PgConnection,
        employees: &BTreeMap<Uuid, NaiveDate>,
    ) -> Result<(), ProjectionError> {
        let (ids, dates): (Vec<Uuid>, Vec<NaiveDate>) = employees
            .iter()
            .filter(|(e, from)| self.complete.get(e).is_none_or(|held| held > from))
            .map(|(e, from)| (*e, *from))
            .unzip();
        if self.holds_all_facts || ids.is_empty() {
            return Ok(());
        }
        let rows = sqlx::query(
            "SELECT f.fact_key, f.employee_id, f.occurred_on, f.fact::text AS fact, f.counted::text AS counted
             FROM UNNEST($1::uuid[], $2::date[]) AS w(employee_id, from_day)
             JOIN rm_kpi_fact f ON f.employee_id = w.employee_id AND f.occurred_on >= w.from_day",
        )
        .bind(&ids)
        .bind(&dates)
        .fetch_all(&mut *tx)
        .await?;
        for r in rows {
            let (key, row) = fact_row(&r)?;
            // What is held here is newer than the table.
            if !self.facts.contains_key(&key) {
                if let Some(employee) = row.employee_id {
                    self.note_employee_fact(employee, &key);
                }
                self.facts.insert(key, Some(row));
            }
        }
        self.complete.extend(ids.into_iter().zip(dates));
        Ok(())
    }

    /// An employee's facts dated `from` on, as they stand: those written
    /// before, and the changes held here over them.
    pub async fn employee_facts_from(
        &mut self,
        tx: &mut PgConnection,
        employee: Uuid,
        from: NaiveDate,
    ) -> Result<Vec<(String, NaiveDate, Fact)>, ProjectionError> {
        self.load_employee_facts(tx, &BTreeMap::from([(employee, from)]))
            .await?;
        let mut out: Vec<(String, NaiveDate, Fact)> = self
            .facts_by_employee
            .get(&employee)
            .into_iter()
            .flatten()
            .filter_map(|key| {
                let row = self.facts.get(key)?.as_ref()?;
                let fact = row.fact.clone()?;
                (row.employee_id == Some(employee) && row.occurred_on >= from)
                    .then(|| (key.clone(), row.occurred_on, fact))
            })
            .collect();
        out.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        Ok(out)
    }

    /// A subject's holdings in one series, for a change.
    pub async fn held_mut(
        &mut self,
        tx: &mut PgConnection,
        subject: &str,
        series_key: &str,
    ) -> Result<&mut SeriesHeld, ProjectionError> {
        if !self.subjects.contains_key(subject) {
            self.load_subjects(tx, &BTreeSet::from([subject.to_owned()])).await?;
        }
        self.subjects_changed.insert(subject.to_owned());
        Ok(self
            .subjects
            .entry(subject.to_owned())
            .or_default()
            .entry(series_key.to_owned())
            .or_default())
    }

    /// Counts `subject` in (`delta` 1) or out of (-1) the pairs of a
    /// series' part; a cell's value moves only when the subject enters or
    /// leaves it, and every change of a total is kept in the history.
    #[allow(clippy::too_many_arguments)]
    pub async fn bump(
        &mut self,
        tx: &mut PgConnection,
        institutions: &HashMap<Uuid, InstitutionFacts>,
        series_key: &str,
        subject: &str,
        part: Part,
        pairs: &[(i32, Option<Spot>)],
        delta: i32,
        at: At,
    ) -> Result<(), ProjectionError> {
        if pairs.is_empty() {
            return Ok(());
        }
        let place = |spot: &Spot| {
            institutions.get(&spot.institution).map(|f| Place {
                institution_id: spot.institution,
                kind: f.kind,
                resor: f.resor,
                job_groups: spot.job_groups.clone(),
            })
        };
        let held = self.held_mut(tx, subject, series_key).await?;
        let (entered, left) = held.adjust(part, pairs, delta, place);
        for (cells, step) in [(entered, 1), (left, -1)] {
            for cell in cells {
                self.move_value(series_key, cell, part, step, at);
            }
        }
        Ok(())
    }

    fn move_value(&mut self, series_key: &str, cell: Cell, part: Part, step: i64, at: At) {
        let (dc, dd) = match part {
            Part::Count => (step, 0),
            Part::Denominator => (0, step),
        };
        if cell.dimension == Dimension::Total {
            let total = self.totals.entry((series_key.to_owned(), cell.year)).or_default();
            total.0 += dc;
            total.1 += dd;
            let (count, denominator) = *total;
            self.history.insert(
                (series_key.to_owned(), cell.year, at.position),
                (at.recorded_at, count, denominator),
            );
        }
        let value = self.values.entry((series_key.to_owned(), cell)).or_default();
        value.count += dc;
        value.denominator += dd;
        value.position = at.position;
    }

    /// A new series' totals: zero, from its definition on.
    pub fn start_totals(&mut self, series_key: &str, cells: Vec<Cell>, at: At) {
        for cell in cells {
            self.totals.entry((series_key.to_owned(), cell.year)).or_default();
            self.values.entry((series_key.to_owned(), cell)).or_default().position = at.position;
        }
    }

    /// Writes back everything this batch changed, one statement a table.
    pub async fn flush(&mut self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        self.flush_reference(tx).await?;
        self.flush_facts(tx).await?;
        self.flush_subjects(tx).await?;
        self.flush_values(tx).await
    }

    async fn flush_reference(&mut self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        let (ids, careers): (Vec<Uuid>, Vec<String>) = std::mem::take(&mut self.careers_changed)
            .into_iter()
            .filter_map(|id| self.careers.get(&id).cloned().flatten().map(|c| (id, text(&c))))
            .unzip();
        if !ids.is_empty() {
            sqlx::query(
                "INSERT INTO rm_kpi_career (employee_id, career)
                 SELECT id, career::jsonb FROM UNNEST($1::uuid[], $2::text[]) AS t(id, career)
                 ON CONFLICT (employee_id) DO UPDATE SET career = EXCLUDED.career",
            )
            .bind(&ids)
            .bind(&careers)
            .execute(&mut *tx)
            .await?;
        }
        let mut ids = Vec::new();
        let mut tags = Vec::new();
        let mut dates = Vec::new();
        for id in std::mem::take(&mut self.courses_changed) {
            if let Some(Some(c)) = self.courses.get(&id) {
                ids.push(id);
                tags.push(text(&c.tags));
                dates.push(c.catalogued_on);
            }
        }
        if !ids.is_empty() {
            sqlx::query(
                "INSERT INTO rm_kpi_course (course_id, tags, catalogued_on)
                 SELECT id, tags::jsonb, day FROM UNNEST($1::uuid[], $2::text[], $3::date[]) AS t(id, tags, day)
                 ON CONFLICT (course_id) DO UPDATE SET tags = EXCLUDED.tags",
            )
            .bind(&ids)
            .bind(&tags)
            .bind(&dates)
            .execute(&mut *tx)
            .await?;
        }
        let mut ids = Vec::new();
        let mut courses = Vec::new();
        let mut starts = Vec::new();
        let mut cancelled = Vec::new();
        for id in std::mem::take(&mut self.offerings_changed) {
            if let Some(Some(o)) = self.offerings.get(&id) {
                ids.push(id);
                courses.push(o.course_id);
                starts.push(o.starts_on);
                cancelled.push(o.cancelled);
            }
        }
        if !ids.is_empty() {
            sqlx::query(
                "INSERT INTO rm_kpi_offering (offering_id, course_id, starts_on, cancelled)
                 SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::date[], $4::bool[])
                 ON CONFLICT (offering_id) DO UPDATE SET cancelled = EXCLUDED.cancelled",
            )
            .bind(&ids)
            .bind(&courses)
            .bind(&starts)
            .bind(&cancelled)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }

    async fn flush_facts(&mut self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        let mut gone = Vec::new();
        let mut keys = Vec::new();
        let mut employees: Vec<Option<Uuid>> = Vec::new();
        let mut dates = Vec::new();
        let mut facts: Vec<Option<String>> = Vec::new();
        let mut counted = Vec::new();
        for key in std::mem::take(&mut self.facts_changed) {
            match self.facts.get(&key).cloned().flatten() {
                // A fact about no employee that counts nowhere is of no further use.
                Some(row) if row.employee_id.is_some() || !row.counted.is_empty() => {
                    keys.push(key);
                    employees.push(row.employee_id);
                    dates.push(row.occurred_on);
                    facts.push(row.fact.as_ref().map(text));
                    counted.push(text(&row.counted));
                }
                _ => gone.push(key),
            }
        }
        if !gone.is_empty() {
            sqlx::query("DELETE FROM rm_kpi_fact WHERE fact_key = ANY ($1)")
                .bind(&gone)
                .execute(&mut *tx)
                .await?;
        }
        if !keys.is_empty() {
            sqlx::query(
                "INSERT INTO rm_kpi_fact (fact_key, employee_id, occurred_on, fact, counted)
                 SELECT key, employee, day, fact::jsonb, counted::jsonb
                 FROM UNNEST($1::text[], $2::uuid[], $3::date[], $4::text[], $5::text[])
                     AS t(key, employee, day, fact, counted)
                 ON CONFLICT (fact_key) DO UPDATE SET employee_id = EXCLUDED.employee_id,
                     occurred_on = EXCLUDED.occurred_on, fact = EXCLUDED.fact, counted = EXCLUDED.counted",
            )
            .bind(&keys)
            .bind(&employees)
            .bind(&dates)
            .bind(&facts)
            .bind(&counted)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }

    async fn flush_subjects(&mut self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        let mut gone = Vec::new();
        let mut subjects = Vec::new();
        let mut held = Vec::new();
        for subject in std::mem::take(&mut self.subjects_changed) {
            let Some(h) = self.subjects.get_mut(&subject) else {
                continue;
            };
            h.retain(|_, s| !s.is_empty());
            if h.is_empty() {
                gone.push(subject);
            } else {
                held.push(text(h));
                subjects.push(subject);
            }
        }
        if !gone.is_empty() {
            sqlx::query("DELETE FROM rm_kpi_subject WHERE subject = ANY ($1)")
                .bind(&gone)
                .execute(&mut *tx)
                .await?;
        }
        if !subjects.is_empty() {
            sqlx::query(
                "INSERT INTO rm_kpi_subject (subject, held)
                 SELECT subject, held::jsonb FROM UNNEST($1::text[], $2::text[]) AS t(subject, held)
                 ON CONFLICT (subject) DO UPDATE SET held = EXCLUDED.held",
            )
            .bind(&subjects)
            .bind(&held)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }

    async fn flush_values(&mut self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        let values = std::mem::take(&mut self.values);
        if !values.is_empty() {
            let mut keys = Vec::with_capacity(values.len());
            let mut years = Vec::with_capacity(values.len());
            let mut dimensions = Vec::with_capacity(values.len());
            let mut names = Vec::with_capacity(values.len());
            let mut counts = Vec::with_capacity(values.len());
            let mut denominators = Vec::with_capacity(values.len());
            let mut positions = Vec::with_capacity(values.len());
            for ((key, cell), v) in values {
                keys.push(key);
                years.push(cell.year);
                dimensions.push(cell.dimension.as_str());
                names.push(cell.value);
                counts.push(v.count);
                denominators.push(v.denominator);
                positions.push(v.position);
            }
            sqlx::query(
                "INSERT INTO rm_kpi_value AS x (series_key, year, dimension, value, count, denominator, position)
                 SELECT * FROM UNNEST($1::text[], $2::int[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::int8[])
                 ON CONFLICT (series_key, year, dimension, value) DO UPDATE
                     SET count = x.count + EXCLUDED.count, denominator = x.denominator + EXCLUDED.denominator,
                         position = EXCLUDED.position",
            )
            .bind(&keys)
            .bind(&years)
            .bind(&dimensions)
            .bind(&names)
            .bind(&counts)
            .bind(&denominators)
            .bind(&positions)
            .execute(&mut *tx)
            .await?;
        }
        self.flush_history(tx).await
    }

    /// Writes the history held here.
    pub async fn flush_history(&mut self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        let history = std::mem::take(&mut self.history);
        if !history.is_empty() {
            let mut keys = Vec::with_capacity(history.len());
            let mut years = Vec::with_capacity(history.len());
            let mut positions = Vec::with_capacity(history.len());
            let mut times = Vec::with_capacity(history.len());
            let mut counts = Vec::with_capacity(history.len());
            let mut denominators = Vec::with_capacity(history.len());
            for ((key, year, position), (time, count, denominator)) in history {
                keys.push(key);
                years.push(year);
                positions.push(position);
                times.push(time);
                counts.push(count);
                denominators.push(denominator);
            }
            sqlx::query(
                "INSERT INTO rm_kpi_history (series_key, year, position, recorded_at, count, denominator)
                 SELECT * FROM UNNEST($1::text[], $2::int[], $3::int8[], $4::timestamptz[], $5::int8[], $6::int8[])
                 ON CONFLICT (series_key, year, position) DO UPDATE
                     SET count = EXCLUDED.count, denominator = EXCLUDED.denominator",
            )
            .bind(&keys)
            .bind(&years)
            .bind(&positions)
            .bind(&times)
            .bind(&counts)
            .bind(&denominators)
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}

fn fact_row(r: &sqlx::postgres::PgRow) -> Result<(String, FactRow), ProjectionError> {
    let fact: Option<String> = r.try_get("fact")?;
    let counted: String = r.try_get("counted")?;
    Ok((
        r.try_get("fact_key")?,
        FactRow {
            employee_id: r.try_get("employee_id")?,
            occurred_on: r.try_get("occurred_on")?,
            fact: fact.map(|f| json(&f, "a fact")).transpose()?,
            counted: json(&counted, "what a fact counted")?,
        },
    ))
}
