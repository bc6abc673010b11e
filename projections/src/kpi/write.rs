//! The KPI engine's writes: each event becomes facts, each fact is
//! matched against every live series, and a matched fact counts its
//! subject in its cells (`bump`). A subject counts once per cell however
//! many facts keep it there, so a revocation takes it out only with the
//! last of them. An employee share is recomputed for the one employee an
//! event concerns: their place in the population on each reference date,
//! and whether a qualifying fact precedes it.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use prasme_domain::assessment::CompetenceEvent;
use prasme_domain::course::CourseEvent;
use prasme_domain::employee::{EmployeeEvent, EmployeeFunction};
use prasme_domain::institution::InstitutionEvent;
use prasme_domain::kpi::cell::{cells, cells_in, totals_of_every_year, WHOLE_PLAN};
use prasme_domain::kpi::definition::CourseTags;
use prasme_domain::kpi::{
    Career, Cell, Computation, Denominator, Dimension, Fact, FactKind, Place, Profile, Series, Unit, FIRST_YEAR,
    LAST_YEAR,
};
use prasme_domain::offering::{Attendance, OfferingEvent};
use prasme_domain::plan::{indicator_id, Indicator, PlanEvent};
use prasme_domain::reference::{wire_name, InstitutionKind, Resor};
use serde::de::DeserializeOwned;
use sqlx::types::Json;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::ProjectionError;

/// Where a fact was recorded in the log.
#[derive(Clone, Copy)]
pub(super) struct At {
    pub position: i64,
    pub recorded_at: DateTime<Utc>,
}

#[derive(Clone, Copy)]
struct InstitutionFacts {
    kind: InstitutionKind,
    resor: Option<Resor>,
}

/// What one batch reads once: the live series and the institutions.
pub(super) struct Engine {
    series: Vec<(String, Series)>,
    institutions: HashMap<Uuid, InstitutionFacts>,
}

fn bad(at: At, reason: impl ToString) -> ProjectionError {
    ProjectionError::BadEvent {
        position: at.position,
        reason: reason.to_string(),
    }
}

fn parse<T: DeserializeOwned>(s: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

/// A share's whole-plan reference date is the plan's last day; a year's
/// is its 31 December.
fn reference_dates() -> Vec<(i32, NaiveDate)> {
    let end = |y| NaiveDate::from_ymd_opt(y, 12, 31).expect("a valid date");
    std::iter::once((WHOLE_PLAN, end(LAST_YEAR)))
        .chain((FIRST_YEAR..=LAST_YEAR).map(|y| (y, end(y))))
        .collect()
}

const PART_COUNT: &str = "N";
const PART_DENOMINATOR: &str = "D";

/// Counts `subject` in (`delta` = 1) or out of (-1) `cells` of a series'
/// `part`; a cell's value moves only when the subject enters or leaves it.
/// Every change of a total is kept in the history.
async fn bump(
    tx: &mut PgConnection,
    series_key: &str,
    subject: &str,
    part: &str,
    cells: &[Cell],
    delta: i32,
    at: At,
) -> Result<(), ProjectionError> {
    if cells.is_empty() {
        return Ok(());
    }
    let years: Vec<i32> = cells.iter().map(|c| c.year).collect();
    let dimensions: Vec<&str> = cells.iter().map(|c| c.dimension.as_str()).collect();
    let values: Vec<&str> = cells.iter().map(|c| c.value.as_str()).collect();
    let sql = if delta > 0 {
        "WITH c AS (SELECT * FROM UNNEST($4::int[], $5::text[], $6::text[]) AS c(year, dimension, value)),
         m AS (
             INSERT INTO rm_kpi_member AS x (series_key, subject, part, year, dimension, value, refs)
             SELECT $1, $2, $3, year, dimension, value, 1 FROM c
             ON CONFLICT (series_key, subject, part, year, dimension, value) DO UPDATE SET refs = x.refs + 1
             RETURNING x.year, x.dimension, x.value, x.refs),
         v AS (
             INSERT INTO rm_kpi_value AS x (series_key, year, dimension, value, count, denominator, position)
             SELECT $1, year, dimension, value, CASE WHEN $3 = 'N' THEN 1 ELSE 0 END,
                    CASE WHEN $3 = 'D' THEN 1 ELSE 0 END, $7
             FROM m WHERE refs = 1
             ON CONFLICT (series_key, year, dimension, value) DO UPDATE
                 SET count = x.count + EXCLUDED.count, denominator = x.denominator + EXCLUDED.denominator,
                     position = EXCLUDED.position
             RETURNING x.year, x.dimension, x.count, x.denominator)
         INSERT INTO rm_kpi_history (series_key, year, position, recorded_at, count, denominator)
         SELECT $1, year, $7, $8, count, denominator FROM v WHERE dimension = 'TOTAL'
         ON CONFLICT (series_key, year, position) DO UPDATE
             SET count = EXCLUDED.count, denominator = EXCLUDED.denominator"
    } else {
        "WITH c AS (SELECT * FROM UNNEST($4::int[], $5::text[], $6::text[]) AS c(year, dimension, value)),
         m AS (
             UPDATE rm_kpi_member AS x SET refs = x.refs - 1 FROM c
             WHERE x.series_key = $1 AND x.subject = $2 AND x.part = $3
               AND x.year = c.year AND x.dimension = c.dimension AND x.value = c.value
             RETURNING x.year, x.dimension, x.value, x.refs),
         v AS (
             UPDATE rm_kpi_value AS x
             SET count = x.count - CASE WHEN $3 = 'N' THEN 1 ELSE 0 END,
                 denominator = x.denominator - CASE WHEN $3 = 'D' THEN 1 ELSE 0 END,
                 position = $7
             FROM m WHERE m.refs = 0 AND x.series_key = $1 AND x.year = m.year
               AND x.dimension = m.dimension AND x.value = m.value
             RETURNING x.year, x.dimension, x.count, x.denominator)
         INSERT INTO rm_kpi_history (series_key, year, position, recorded_at, count, denominator)
         SELECT $1, year, $7, $8, count, denominator FROM v WHERE dimension = 'TOTAL'
         ON CONFLICT (series_key, year, position) DO UPDATE
             SET count = EXCLUDED.count, denominator = EXCLUDED.denominator"
    };
    sqlx::query(sql)
        .bind(series_key)
        .bind(subject)
        .bind(part)
        .bind(&years)
        .bind(&dimensions)
        .bind(&values)
        .bind(at.position)
        .bind(at.recorded_at)
        .execute(&mut *tx)
        .await?;
    if delta < 0 {
        sqlx::query("DELETE FROM rm_kpi_member WHERE series_key = $1 AND subject = $2 AND part = $3 AND refs <= 0")
            .bind(series_key)
            .bind(subject)
            .bind(part)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// A fact about a person, as the engine matches and places it.
struct Person {
    employee_id: Uuid,
    profile: Profile,
    institution: InstitutionFacts,
}

impl Engine {
    pub(super) async fn load(tx: &mut PgConnection) -> Result<Self, ProjectionError> {
        let mut engine = Engine {
            series: Vec::new(),
            institutions: HashMap::new(),
        };
        engine.reload_series(tx).await?;
        let rows = sqlx::query("SELECT institution_id, kind, resor FROM rm_kpi_institution")
            .fetch_all(&mut *tx)
            .await?;
        for r in rows {
            let kind: String = r.try_get("kind")?;
            let resor: Option<String> = r.try_get("resor")?;
            if let Some(kind) = parse(&kind) {
                engine.institutions.insert(
                    r.try_get("institution_id")?,
                    InstitutionFacts {
                        kind,
                        resor: resor.as_deref().and_then(parse),
                    },
                );
            }
        }
        Ok(engine)
    }

    async fn reload_series(&mut self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        let rows = sqlx::query(
            "SELECT series_key, definition FROM rm_kpi_series WHERE NOT retired ORDER BY indicator_id, ordinal",
        )
        .fetch_all(&mut *tx)
        .await?;
        self.series = rows
            .into_iter()
            .map(|r| {
                let Json(series): Json<Series> = r.try_get("definition")?;
                Ok((r.try_get("series_key")?, series))
            })
            .collect::<Result<_, sqlx::Error>>()?;
        Ok(())
    }

    pub(super) async fn plan(
        &mut self,
        tx: &mut PgConnection,
        event: PlanEvent,
        at: At,
    ) -> Result<(), ProjectionError> {
        match event {
            PlanEvent::PlanPublished { content, .. } => {
                let mut defined = Vec::new();
                for priority in &content.priorities {
                    for measure in &priority.measures {
                        for i in &measure.indicators {
                            defined.extend(self.define(tx, &indicator_id(&measure.code, i.number), i, at).await?);
                        }
                    }
                }
                self.reload_series(tx).await?;
                self.count_existing(tx, &defined, at).await?;
            }
            PlanEvent::IndicatorDefined {
                indicator_id,
                indicator,
                ..
            } => {
                let defined = self.define(tx, &indicator_id, &indicator, at).await?;
                self.reload_series(tx).await?;
                self.count_existing(tx, &defined, at).await?;
            }
            PlanEvent::IndicatorRetired { indicator_id, .. } => {
                sqlx::query("UPDATE rm_kpi_series SET retired = true WHERE indicator_id = $1")
                    .bind(&indicator_id)
                    .execute(&mut *tx)
                    .await?;
                self.reload_series(tx).await?;
            }
            PlanEvent::IndicatorTargetChanged { .. } => {}
            PlanEvent::PlanProgressRecorded {
                record_id,
                indicator_id,
                institution_id,
                occurred_on,
                ..
            } => {
                let key = format!("rec:{record_id}");
                let prefix = format!("{indicator_id}/");
                for (series_key, s) in &self.series {
                    if !series_key.starts_with(&prefix) || s.fact != FactKind::Recorded {
                        continue;
                    }
                    let (subject, place) = match (s.unit, institution_id) {
                        (Unit::Institutions, Some(i)) => {
                            let Some(facts) = self.institutions.get(&i) else {
                                continue;
                            };
                            let place = Place {
                                institution_id: i,
                                kind: facts.kind,
                                resor: facts.resor,
                                job_groups: Vec::new(),
                            };
                            (i.to_string(), Some(place))
                        }
                        (Unit::Things, _) => (record_id.to_string(), None),
                        _ => continue,
                    };
                    let cells = cells(occurred_on.year(), place.as_ref());
                    sqlx::query(
                        "INSERT INTO rm_kpi_fact (fact_key, series_key, subject, occurred_on, cells)
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    )
                    .bind(&key)
                    .bind(series_key)
                    .bind(&subject)
                    .bind(occurred_on)
                    .bind(Json(&cells))
                    .execute(&mut *tx)
                    .await?;
                    bump(tx, series_key, &subject, PART_COUNT, &cells, 1, at).await?;
                }
            }
            PlanEvent::PlanProgressWithdrawn { record_id, .. } => {
                self.take_back(tx, &format!("rec:{record_id}"), at).await?;
            }
        }
        Ok(())
    }

    /// Starts computing an indicator's series. Facts already in the log
    /// before it are not counted (a supplemented indicator counts from its
    /// definition on); populations and coverage denominators, which are
    /// states rather than facts, are taken as they stand.
    async fn define(
        &mut self,
        tx: &mut PgConnection,
        indicator_id: &str,
        indicator: &Indicator,
        at: At,
    ) -> Result<Vec<String>, ProjectionError> {
        let Some(Computation::Computed { series }) = &indicator.computation else {
            return Ok(Vec::new());
        };
        let mut defined = Vec::new();
        for (n, s) in series.iter().enumerate() {
            let key = format!("{indicator_id}/{}", n + 1);
            let new = sqlx::query(
                "INSERT INTO rm_kpi_series (series_key, indicator_id, ordinal, definition)
                 VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            )
            .bind(&key)
            .bind(indicator_id)
            .bind(i32::try_from(n + 1).unwrap_or(i32::MAX))
            .bind(Json(s))
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if !new {
                continue;
            }
            // A series with a target has a total from its start: zero.
            for cell in totals_of_every_year() {
                sqlx::query(
                    "INSERT INTO rm_kpi_value (series_key, year, dimension, value, position)
                     VALUES ($1, $2, 'TOTAL', '', $3) ON CONFLICT DO NOTHING",
                )
                .bind(&key)
                .bind(cell.year)
                .bind(at.position)
                .execute(&mut *tx)
                .await?;
            }
            let institutions: Vec<(Uuid, InstitutionFacts)> =
                self.institutions.iter().map(|(id, f)| (*id, *f)).collect();
            for (id, facts) in institutions {
                coverage_unit(tx, &key, s, id, facts, at).await?;
            }
            defined.push(key);
        }
        Ok(defined)
    }

    /// Counts in newly defined series every fact the log already holds,
    /// so a series counts the same whether the plan was published before
    /// the facts (a new database) or after them (one that predates it, or
    /// an indicator the State Chancellery adds later).
    async fn count_existing(&mut self, tx: &mut PgConnection, keys: &[String], at: At) -> Result<(), ProjectionError> {
        let chosen: Vec<(String, Series)> = self.series.iter().filter(|(k, _)| keys.contains(k)).cloned().collect();
        if chosen.is_empty() {
            return Ok(());
        }
        let facts = sqlx::query(
            "SELECT fact_key, employee_id, occurred_on, fact FROM rm_kpi_employee_fact ORDER BY employee_id, fact_key",
        )
        .fetch_all(&mut *tx)
        .await?;
        let mut current: Option<(Uuid, Option<Career>)> = None;
        for r in facts {
            let key: String = r.try_get("fact_key")?;
            let employee_id: Uuid = r.try_get("employee_id")?;
            let on: NaiveDate = r.try_get("occurred_on")?;
            let Json(fact): Json<Fact> = r.try_get("fact")?;
            if current.as_ref().is_none_or(|(id, _)| *id != employee_id) {
                current = Some((employee_id, career(tx, employee_id).await?));
            }
            let person = current
                .as_ref()
                .and_then(|(_, c)| c.as_ref())
                .and_then(|c| self.person(employee_id, c, on));
            count_in(tx, &chosen, &key, &fact, on, person.as_ref(), None, at).await?;
        }
        let offerings = sqlx::query(
            "SELECT o.offering_id, o.starts_on, c.tags FROM rm_kpi_offering o JOIN rm_kpi_course c USING (course_id)
             WHERE NOT o.cancelled ORDER BY o.offering_id",
        )
        .fetch_all(&mut *tx)
        .await?;
        for r in offerings {
            let offering_id: Uuid = r.try_get("offering_id")?;
            let Json(tags): Json<CourseTags> = r.try_get("tags")?;
            let fact = Fact {
                kind: FactKind::OfferingScheduled,
                course: Some(tags),
                knowledge_test_passed: None,
                designated: None,
            };
            let key = format!("off:{offering_id}");
            let on: NaiveDate = r.try_get("starts_on")?;
            count_in(tx, &chosen, &key, &fact, on, None, Some(offering_id), at).await?;
        }
        let courses = sqlx::query("SELECT course_id, tags, catalogued_on FROM rm_kpi_course ORDER BY course_id")
            .fetch_all(&mut *tx)
            .await?;
        for r in courses {
            let course_id: Uuid = r.try_get("course_id")?;
            let Json(tags): Json<CourseTags> = r.try_get("tags")?;
            let fact = Fact {
                kind: FactKind::CourseCatalogued,
                knowledge_test_passed: Some(tags.knowledge_test),
                course: Some(tags),
                designated: None,
            };
            let on: NaiveDate = r.try_get("catalogued_on")?;
            count_in(
                tx,
                &chosen,
                &format!("crs:{course_id}"),
                &fact,
                on,
                None,
                Some(course_id),
                at,
            )
            .await?;
        }
        if chosen.iter().any(|(_, s)| s.is_employee_share()) {
            let employees: Vec<Uuid> = sqlx::query_scalar("SELECT employee_id FROM rm_kpi_career ORDER BY employee_id")
                .fetch_all(&mut *tx)
                .await?;
            for e in employees {
                self.recompute_shares(tx, e, at).await?;
            }
        }
        Ok(())
    }

    pub(super) async fn institution(
        &mut self,
        tx: &mut PgConnection,
        event: InstitutionEvent,
        at: At,
    ) -> Result<(), ProjectionError> {
        let InstitutionEvent::InstitutionRegistered {
            institution_id,
            kind,
            resor,
            ..
        } = event
        else {
            return Ok(());
        };
        sqlx::query(
            "INSERT INTO rm_kpi_institution (institution_id, kind, resor) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(institution_id)
        .bind(wire_name(&kind))
        .bind(resor.map(|r| wire_name(&r)))
        .execute(&mut *tx)
        .await?;
        let facts = InstitutionFacts { kind, resor };
        self.institutions.insert(institution_id, facts);
        for (key, s) in self.series.clone() {
            coverage_unit(tx, &key, &s, institution_id, facts, at).await?;
        }
        Ok(())
    }

    pub(super) async fn employee(
        &mut self,
        tx: &mut PgConnection,
        event: EmployeeEvent,
        at: At,
    ) -> Result<(), ProjectionError> {
        // Facts dated from `moved` on may now stand elsewhere.
        let (employee_id, moved) = match &event {
            EmployeeEvent::EmployeeHired { employee_id, .. } => (*employee_id, None),
            EmployeeEvent::EmployeeRoleChanged {
                employee_id,
                effective_on,
                ..
            }
            | EmployeeEvent::EmployeeTransferred {
                employee_id,
                effective_on,
                ..
            } => (*employee_id, Some(*effective_on)),
            EmployeeEvent::EmployeeLeft {
                employee_id, left_on, ..
            } => (*employee_id, left_on.succ_opt()),
            EmployeeEvent::ManagerAssigned { .. } | EmployeeEvent::EmployeePersonalDataErased { .. } => return Ok(()),
        };
        let before = career(tx, employee_id).await?;
        let Some(after) = Career::after(before.clone(), &event) else {
            return Ok(());
        };
        sqlx::query(
            "INSERT INTO rm_kpi_career (employee_id, career) VALUES ($1, $2)
             ON CONFLICT (employee_id) DO UPDATE SET career = EXCLUDED.career",
        )
        .bind(employee_id)
        .bind(Json(&after))
        .execute(&mut *tx)
        .await?;
        // Designations are facts dated when a function starts; a
        // back-dated change can add some and take others back.
        let old: BTreeSet<(NaiveDate, EmployeeFunction)> = before
            .map(|c| c.designations().into_iter().collect())
            .unwrap_or_default();
        let new: BTreeSet<(NaiveDate, EmployeeFunction)> = after.designations().into_iter().collect();
        let key = |(date, f): &(NaiveDate, EmployeeFunction)| format!("des:{employee_id}:{date}:{}", wire_name(f));
        for gone in old.difference(&new) {
            self.forget(tx, &key(gone), at).await?;
        }
        for (date, f) in new.difference(&old) {
            let fact = Fact {
                kind: FactKind::Designation,
                course: None,
                knowledge_test_passed: None,
                designated: Some(*f),
            };
            self.count_for(tx, &key(&(*date, *f)), &fact, *date, employee_id, at)
                .await?;
        }
        if let Some(from) = moved {
            self.place_again(tx, employee_id, &after, from, at).await?;
        }
        self.recompute_shares(tx, employee_id, at).await
    }

    pub(super) async fn course(
        &mut self,
        tx: &mut PgConnection,
        event: CourseEvent,
        at: At,
    ) -> Result<(), ProjectionError> {
        let (course_id, description) = match event {
            CourseEvent::CourseCatalogued { course_id, description }
            | CourseEvent::CourseRevised { course_id, description } => (course_id, description),
            CourseEvent::CourseRetired { .. } => return Ok(()),
        };
        let tags = CourseTags {
            measures: description.measures.clone(),
            course_type: description.course_type,
            knowledge_test: description.knowledge_test,
        };
        // A revision re-tags the course and keeps its first day in the catalogue.
        let on: NaiveDate = sqlx::query_scalar(
            "INSERT INTO rm_kpi_course (course_id, tags, catalogued_on) VALUES ($1, $2, $3)
             ON CONFLICT (course_id) DO UPDATE SET tags = EXCLUDED.tags RETURNING catalogued_on",
        )
        .bind(course_id)
        .bind(Json(&tags))
        .bind(at.recorded_at.date_naive())
        .fetch_one(&mut *tx)
        .await?;
        // It counts as its tags now say.
        let key = format!("crs:{course_id}");
        self.take_back(tx, &key, at).await?;
        let fact = Fact {
            kind: FactKind::CourseCatalogued,
            knowledge_test_passed: Some(tags.knowledge_test),
            course: Some(tags),
            designated: None,
        };
        self.count(tx, &key, &fact, on, None, Some(course_id), at).await
    }

    pub(super) async fn offering(
        &mut self,
        tx: &mut PgConnection,
        event: OfferingEvent,
        at: At,
    ) -> Result<(), ProjectionError> {
        match event {
            OfferingEvent::OfferingScheduled { offering_id, schedule } => {
                sqlx::query(
                    "INSERT INTO rm_kpi_offering (offering_id, course_id, starts_on) VALUES ($1, $2, $3)
                     ON CONFLICT DO NOTHING",
                )
                .bind(offering_id)
                .bind(schedule.course_id)
                .bind(schedule.starts_on)
                .execute(&mut *tx)
                .await?;
                let Some(tags) = course_tags(tx, schedule.course_id).await? else {
                    return Ok(());
                };
                let fact = Fact {
                    kind: FactKind::OfferingScheduled,
                    course: Some(tags),
                    knowledge_test_passed: None,
                    designated: None,
                };
                let key = format!("off:{offering_id}");
                self.count(tx, &key, &fact, schedule.starts_on, None, Some(offering_id), at)
                    .await
            }
            OfferingEvent::OfferingCancelled { offering_id, .. } => {
                sqlx::query("UPDATE rm_kpi_offering SET cancelled = true WHERE offering_id = $1")
                    .bind(offering_id)
                    .execute(&mut *tx)
                    .await?;
                self.take_back(tx, &format!("off:{offering_id}"), at).await
            }
            OfferingEvent::AttendanceRecorded {
                offering_id,
                employee_id,
                attendance,
            } => {
                let key = format!("att:{offering_id}:{employee_id}");
                self.forget(tx, &key, at).await?;
                if !matches!(attendance, Attendance::Attended | Attendance::PartiallyAttended) {
                    return Ok(());
                }
                let Some((tags, starts_on)) = offering(tx, offering_id).await? else {
                    return Ok(());
                };
                let fact = Fact {
                    kind: FactKind::Attendance,
                    course: Some(tags),
                    knowledge_test_passed: None,
                    designated: None,
                };
                self.count_for(tx, &key, &fact, starts_on, employee_id, at).await
            }
            OfferingEvent::CompletionRecorded {
                offering_id,
                employee_id,
                result,
                ..
            } => {
                let key = format!("cmp:{offering_id}:{employee_id}");
                self.forget(tx, &key, at).await?;
                if !result.passed {
                    return Ok(());
                }
                let Some((tags, _)) = offering(tx, offering_id).await? else {
                    return Ok(());
                };
                let fact = Fact {
                    kind: FactKind::Completion,
                    course: Some(tags),
                    knowledge_test_passed: result.knowledge_test_passed,
                    designated: None,
                };
                self.count_for(tx, &key, &fact, result.completed_on, employee_id, at)
                    .await
            }
            OfferingEvent::CompletionRevoked {
                offering_id,
                employee_id,
                ..
            } => self.forget(tx, &format!("cmp:{offering_id}:{employee_id}"), at).await,
            _ => Ok(()),
        }
    }

    pub(super) async fn competence(
        &mut self,
        tx: &mut PgConnection,
        event: CompetenceEvent,
        at: At,
    ) -> Result<(), ProjectionError> {
        let (key, kind, employee_id, on) = match event {
            CompetenceEvent::CompetencyAssessed {
                assessment_id,
                employee_id,
                assessed_on,
                ..
            } => (
                format!("asm:{assessment_id}"),
                FactKind::Assessment,
                employee_id,
                assessed_on,
            ),
            CompetenceEvent::TalentReviewed {
                review_id,
                employee_id,
                reviewed_on,
                ..
            } => (
                format!("trv:{review_id}"),
                FactKind::TalentReview,
                employee_id,
                reviewed_on,
            ),
        };
        let fact = Fact {
            kind,
            course: None,
            knowledge_test_passed: None,
            designated: None,
        };
        self.count_for(tx, &key, &fact, on, employee_id, at).await
    }

    fn person(&self, employee_id: Uuid, career: &Career, on: NaiveDate) -> Option<Person> {
        let profile = career.on(on)?;
        let institution = *self.institutions.get(&profile.institution_id)?;
        Some(Person {
            employee_id,
            profile,
            institution,
        })
    }

    /// A fact about an employee, placed where they stood on its date; a
    /// fact dated when they did not work anywhere counts for nobody. It is
    /// kept, counted or not, to be placed again when their history changes.
    async fn count_for(
        &mut self,
        tx: &mut PgConnection,
        key: &str,
        fact: &Fact,
        on: NaiveDate,
        employee_id: Uuid,
        at: At,
    ) -> Result<(), ProjectionError> {
        let Some(career) = career(tx, employee_id).await? else {
            return Ok(());
        };
        sqlx::query(
            "INSERT INTO rm_kpi_employee_fact (fact_key, employee_id, occurred_on, fact) VALUES ($1, $2, $3, $4)
             ON CONFLICT (fact_key) DO UPDATE SET occurred_on = EXCLUDED.occurred_on, fact = EXCLUDED.fact",
        )
        .bind(key)
        .bind(employee_id)
        .bind(on)
        .bind(Json(fact))
        .execute(&mut *tx)
        .await?;
        let person = self.person(employee_id, &career, on);
        self.count(tx, key, fact, on, person.as_ref(), None, at).await?;
        if self
            .series
            .iter()
            .any(|(_, s)| s.is_employee_share() && s.fact == fact.kind)
        {
            self.recompute_shares(tx, employee_id, at).await?;
        }
        Ok(())
    }

    /// Counts a fact in every live series it qualifies for.
    #[allow(clippy::too_many_arguments)]
    async fn count(
        &self,
        tx: &mut PgConnection,
        key: &str,
        fact: &Fact,
        on: NaiveDate,
        person: Option<&Person>,
        thing: Option<Uuid>,
        at: At,
    ) -> Result<(), ProjectionError> {
        count_in(tx, &self.series, key, fact, on, person, thing, at).await
    }

    /// Takes back everything a fact counted, and forgets it.
    async fn forget(&mut self, tx: &mut PgConnection, key: &str, at: At) -> Result<(), ProjectionError> {
        sqlx::query("DELETE FROM rm_kpi_employee_fact WHERE fact_key = $1")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        self.take_back(tx, key, at).await
    }

    /// Places an employee's facts dated `from` on again, after a change to
    /// their history dated then: a back-dated transfer moves them to the
    /// new institution, a departure takes back those after it.
    async fn place_again(
        &mut self,
        tx: &mut PgConnection,
        employee_id: Uuid,
        career: &Career,
        from: NaiveDate,
        at: At,
    ) -> Result<(), ProjectionError> {
        let rows = sqlx::query(
            "SELECT fact_key, occurred_on, fact FROM rm_kpi_employee_fact
             WHERE employee_id = $1 AND occurred_on >= $2 ORDER BY occurred_on, fact_key",
        )
        .bind(employee_id)
        .bind(from)
        .fetch_all(&mut *tx)
        .await?;
        for r in rows {
            let key: String = r.try_get("fact_key")?;
            let on: NaiveDate = r.try_get("occurred_on")?;
            let Json(fact): Json<Fact> = r.try_get("fact")?;
            self.take_back(tx, &key, at).await?;
            let person = self.person(employee_id, career, on);
            self.count(tx, &key, &fact, on, person.as_ref(), None, at).await?;
        }
        Ok(())
    }

    /// Takes back everything a fact counted.
    async fn take_back(&mut self, tx: &mut PgConnection, key: &str, at: At) -> Result<(), ProjectionError> {
        let rows = sqlx::query("DELETE FROM rm_kpi_fact WHERE fact_key = $1 RETURNING series_key, subject, cells")
            .bind(key)
            .fetch_all(&mut *tx)
            .await?;
        let mut shares = BTreeSet::new();
        for r in rows {
            let series_key: String = r.try_get("series_key")?;
            let subject: String = r.try_get("subject")?;
            let Json(cells): Json<Vec<Cell>> = r.try_get("cells")?;
            if cells.is_empty() {
                if let Ok(employee) = subject.parse::<Uuid>() {
                    shares.insert(employee);
                }
            } else {
                bump(tx, &series_key, &subject, PART_COUNT, &cells, -1, at).await?;
            }
        }
        for employee in shares {
            self.recompute_shares(tx, employee, at).await?;
        }
        Ok(())
    }

    /// Places one employee in each live employee share: in the population
    /// on each reference date when they match its `who` then, and in the
    /// count when a qualifying fact is dated on or before it. Only the
    /// difference from what they counted before is written.
    async fn recompute_shares(
        &mut self,
        tx: &mut PgConnection,
        employee_id: Uuid,
        at: At,
    ) -> Result<(), ProjectionError> {
        let shares: Vec<(String, Series)> = self
            .series
            .iter()
            .filter(|(_, s)| s.is_employee_share())
            .cloned()
            .collect();
        if shares.is_empty() {
            return Ok(());
        }
        let career = career(tx, employee_id).await?;
        let subject = employee_id.to_string();
        // Two reads for every share at once: an employee event or a fact
        // recomputes them all, and most change nothing.
        let keys: Vec<&str> = shares.iter().map(|(k, _)| k.as_str()).collect();
        let firsts: HashMap<String, NaiveDate> = sqlx::query_as::<_, (String, NaiveDate)>(
            "SELECT series_key, min(occurred_on) FROM rm_kpi_fact
             WHERE series_key = ANY ($1) AND subject = $2 GROUP BY series_key",
        )
        .bind(&keys)
        .bind(&subject)
        .fetch_all(&mut *tx)
        .await?
        .into_iter()
        .collect();
        let rows = sqlx::query(
            "SELECT series_key, part, year, dimension, value FROM rm_kpi_member
             WHERE series_key = ANY ($1) AND subject = $2",
        )
        .bind(&keys)
        .bind(&subject)
        .fetch_all(&mut *tx)
        .await?;
        let mut holdings: HashMap<String, BTreeSet<(&'static str, Cell)>> = HashMap::new();
        for r in rows {
            let part: String = r.try_get("part")?;
            let dimension: String = r.try_get("dimension")?;
            let Some(dimension) = Dimension::parse(&dimension) else {
                return Err(bad(at, format!("unknown dimension {dimension}")));
            };
            let part = if part == PART_COUNT {
                PART_COUNT
            } else {
                PART_DENOMINATOR
            };
            holdings.entry(r.try_get("series_key")?).or_default().insert((
                part,
                Cell {
                    year: r.try_get("year")?,
                    dimension,
                    value: r.try_get("value")?,
                },
            ));
        }
        for (key, s) in shares {
            let first = firsts.get(&key).copied();
            let mut wanted: BTreeSet<(&'static str, Cell)> = BTreeSet::new();
            if let Some(career) = &career {
                for (year, reference) in reference_dates() {
                    let Some(p) = self.person(employee_id, career, reference) else {
                        continue;
                    };
                    if !s.who.matches(&p.profile, p.institution.kind) {
                        continue;
                    }
                    let cells = cells_in(year, Some(&place(&p, true)));
                    let counted = first.is_some_and(|f| f <= reference);
                    for c in cells {
                        if counted {
                            wanted.insert((PART_COUNT, c.clone()));
                        }
                        wanted.insert((PART_DENOMINATOR, c));
                    }
                }
            }
            let held = holdings.remove(&key).unwrap_or_default();
            for part in [PART_COUNT, PART_DENOMINATOR] {
                let gone: Vec<Cell> = held
                    .difference(&wanted)
                    .filter(|(p, _)| *p == part)
                    .map(|(_, c)| c.clone())
                    .collect();
                bump(tx, &key, &subject, part, &gone, -1, at).await?;
                let new: Vec<Cell> = wanted
                    .difference(&held)
                    .filter(|(p, _)| *p == part)
                    .map(|(_, c)| c.clone())
                    .collect();
                bump(tx, &key, &subject, part, &new, 1, at).await?;
            }
        }
        Ok(())
    }
}

/// Counts a fact in each of `series` it qualifies for.
#[allow(clippy::too_many_arguments)]
async fn count_in(
    tx: &mut PgConnection,
    series: &[(String, Series)],
    key: &str,
    fact: &Fact,
    on: NaiveDate,
    person: Option<&Person>,
    thing: Option<Uuid>,
    at: At,
) -> Result<(), ProjectionError> {
    for (series_key, s) in series {
        let matched = s.counts(fact, person.map(|p| (&p.profile, p.institution.kind)));
        if !matched {
            continue;
        }
        // A share's facts wait for the share's recomputation, which
        // places the employee on each reference date.
        let (subject, place) = match (s.unit, person, thing) {
            (_, Some(p), _) if s.is_employee_share() => (p.employee_id.to_string(), None),
            (Unit::Employees, Some(p), _) => (p.employee_id.to_string(), Some(place(p, true))),
            (Unit::Institutions, Some(p), _) => (p.profile.institution_id.to_string(), Some(place(p, false))),
            (Unit::Resors, Some(p), _) => match p.institution.resor {
                Some(r) => (wire_name(&r), Some(place(p, false))),
                None => continue,
            },
            (Unit::Things, _, Some(t)) => (t.to_string(), None),
            _ => continue,
        };
        let cells: Vec<Cell> = if s.is_employee_share() {
            Vec::new()
        } else {
            cells(on.year(), place.as_ref())
        };
        let inserted = sqlx::query(
            "INSERT INTO rm_kpi_fact (fact_key, series_key, subject, occurred_on, cells)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
        )
        .bind(key)
        .bind(series_key)
        .bind(&subject)
        .bind(on)
        .bind(Json(&cells))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if inserted == 1 {
            bump(tx, series_key, &subject, PART_COUNT, &cells, 1, at).await?;
        }
    }
    Ok(())
}

/// An institution in a coverage's denominator: every state institution,
/// or every resor that has one.
async fn coverage_unit(
    tx: &mut PgConnection,
    key: &str,
    s: &Series,
    institution_id: Uuid,
    facts: InstitutionFacts,
    at: At,
) -> Result<(), ProjectionError> {
    let subject = match (s.share_of, facts.kind, facts.resor) {
        (Some(Denominator::StateInstitutions), InstitutionKind::State, _) => institution_id.to_string(),
        (Some(Denominator::Resors), _, Some(resor)) => wire_name(&resor),
        _ => return Ok(()),
    };
    bump(tx, key, &subject, PART_DENOMINATOR, &totals_of_every_year(), 1, at).await
}

fn place(p: &Person, with_job_groups: bool) -> Place {
    Place {
        institution_id: p.profile.institution_id,
        kind: p.institution.kind,
        resor: p.institution.resor,
        job_groups: if with_job_groups {
            p.profile.role.job_groups.clone()
        } else {
            Vec::new()
        },
    }
}

async fn career(tx: &mut PgConnection, employee_id: Uuid) -> Result<Option<Career>, ProjectionError> {
    let row: Option<Json<Career>> = sqlx::query_scalar("SELECT career FROM rm_kpi_career WHERE employee_id = $1")
        .bind(employee_id)
        .fetch_optional(&mut *tx)
        .await?;
    Ok(row.map(|Json(c)| c))
}

async fn course_tags(tx: &mut PgConnection, course_id: Uuid) -> Result<Option<CourseTags>, ProjectionError> {
    let row: Option<Json<CourseTags>> = sqlx::query_scalar("SELECT tags FROM rm_kpi_course WHERE course_id = $1")
        .bind(course_id)
        .fetch_optional(&mut *tx)
        .await?;
    Ok(row.map(|Json(t)| t))
}

/// The offering's course tags and first day.
async fn offering(
    tx: &mut PgConnection,
    offering_id: Uuid,
) -> Result<Option<(CourseTags, NaiveDate)>, ProjectionError> {
    let row = sqlx::query(
        "SELECT c.tags, o.starts_on FROM rm_kpi_offering o JOIN rm_kpi_course c USING (course_id)
         WHERE o.offering_id = $1",
    )
    .bind(offering_id)
    .fetch_optional(&mut *tx)
    .await?;
    row.map(|r| {
        let Json(tags): Json<CourseTags> = r.try_get("tags")?;
        Ok((tags, r.try_get("starts_on")?))
    })
    .transpose()
}
