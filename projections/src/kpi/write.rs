//! The KPI engine's writes: each event becomes facts, each fact is
//! matched against every live series, and a matched fact holds its
//! subject in its (year, place) pairs (`held.rs`). A subject counts once
//! per cell however many facts keep it there, so a revocation takes it
//! out only with the last of them. An employee share is recomputed for
//! the one employee an event concerns: their place in the population on
//! each reference date, and whether a qualifying fact precedes it. All
//! state goes through the batch's unit of work (`work.rs`).

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use prasme_domain::assessment::CompetenceEvent;
use prasme_domain::course::CourseEvent;
use prasme_domain::employee::{EmployeeEvent, EmployeeFunction};
use prasme_domain::institution::InstitutionEvent;
use prasme_domain::kpi::cell::{totals_of_every_year, WHOLE_PLAN};
use prasme_domain::kpi::definition::CourseTags;
use prasme_domain::kpi::{
    Career, Computation, Denominator, Fact, FactKind, Profile, Series, Unit, FIRST_YEAR, LAST_YEAR,
};
use prasme_domain::offering::{Attendance, OfferingEvent};
use prasme_domain::plan::{indicator_id, Indicator, PlanEvent};
use prasme_domain::reference::{wire_name, InstitutionKind};
use serde::de::DeserializeOwned;
use sqlx::types::Json;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use super::held::{InstitutionFacts, Part, Spot};
use super::work::{At, Counted, CourseRow, FactRow, OfferingRow, Work};
use crate::ProjectionError;

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

/// The (year, place) pairs of a fact dated in `year`: that year and the
/// whole plan.
fn pairs(year: i32, spot: Option<Spot>) -> Vec<(i32, Option<Spot>)> {
    vec![(WHOLE_PLAN, spot.clone()), (year, spot)]
}

/// A coverage unit is in the population of every year.
fn every_year() -> Vec<(i32, Option<Spot>)> {
    totals_of_every_year().into_iter().map(|c| (c.year, None)).collect()
}

/// A fact about a person, as the engine matches and places it.
struct Person {
    employee_id: Uuid,
    profile: Profile,
    institution: InstitutionFacts,
}

/// What one batch knows for all its events: the live series and the
/// institutions, and its unit of work.
pub(super) struct Engine {
    series: Vec<(String, Series)>,
    institutions: HashMap<Uuid, InstitutionFacts>,
    pub(super) work: Work,
}

impl Engine {
    /// The engine of a rebuild, on the tables it has just emptied.
    pub(super) async fn load_cold(tx: &mut PgConnection, fact_budget: usize) -> Result<Self, ProjectionError> {
        let mut engine = Self::load(tx).await?;
        engine.work = Work::cold(fact_budget);
        Ok(engine)
    }

    pub(super) async fn load(tx: &mut PgConnection) -> Result<Self, ProjectionError> {
        let mut engine = Engine {
            series: Vec::new(),
            institutions: HashMap::new(),
            work: Work::new(tx).await?,
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

    /// Holds `subject` in, or takes it out of, a series' pairs.
    #[allow(clippy::too_many_arguments)]
    async fn bump(
        &mut self,
        tx: &mut PgConnection,
        series_key: &str,
        subject: &str,
        part: Part,
        pairs: &[(i32, Option<Spot>)],
        delta: i32,
        at: At,
    ) -> Result<(), ProjectionError> {
        self.work
            .bump(tx, &self.institutions, series_key, subject, part, pairs, delta, at)
            .await
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
                let mut counted = Vec::new();
                for (series_key, s) in &self.series {
                    if !series_key.starts_with(&prefix) || s.fact != FactKind::Recorded {
                        continue;
                    }
                    let (subject, spot) = match (s.unit, institution_id) {
                        (Unit::Institutions, Some(i)) if self.institutions.contains_key(&i) => (
                            i.to_string(),
                            Some(Spot {
                                institution: i,
                                job_groups: Vec::new(),
                            }),
                        ),
                        (Unit::Things, _) => (record_id.to_string(), None),
                        _ => continue,
                    };
                    counted.push(Counted {
                        series_key: series_key.clone(),
                        subject,
                        pairs: pairs(occurred_on.year(), spot),
                    });
                }
                self.hold(tx, &key, None, occurred_on, None, counted, at).await?;
            }
            PlanEvent::PlanProgressWithdrawn { record_id, .. } => {
                self.take_back(tx, &format!("rec:{record_id}"), at).await?;
            }
        }
        Ok(())
    }

    /// Starts computing an indicator's series. Populations and coverage
    /// denominators, which are states rather than facts, are taken as
    /// they stand; `count_existing` then counts the facts already in.
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
            self.work.start_totals(&key, totals_of_every_year(), at);
            let institutions: Vec<(Uuid, InstitutionFacts)> =
                self.institutions.iter().map(|(id, f)| (*id, *f)).collect();
            for (id, facts) in institutions {
                self.coverage_unit(tx, &key, s, id, facts, at).await?;
            }
            defined.push(key);
        }
        Ok(defined)
    }

    /// Counts in newly defined series every fact the log already holds,
    /// so a series counts the same whether the plan was published before
    /// the facts (a new database) or after them (one that predates it, or
    /// an indicator the State Chancellery adds later). It writes the batch
    /// so far back first, then reads the facts from the tables.
    async fn count_existing(&mut self, tx: &mut PgConnection, keys: &[String], at: At) -> Result<(), ProjectionError> {
        let chosen: Vec<(String, Series)> = self.series.iter().filter(|(k, _)| keys.contains(k)).cloned().collect();
        if chosen.is_empty() {
            return Ok(());
        }
        self.work.flush(tx).await?;
        let employees: BTreeSet<Uuid> = sqlx::query_scalar("SELECT employee_id FROM rm_kpi_career")
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .collect();
        self.work.load_careers(tx, &employees).await?;
        let facts: Vec<(String, Uuid, NaiveDate, Json<Fact>)> = sqlx::query_as(
            "SELECT fact_key, employee_id, occurred_on, fact FROM rm_kpi_fact
             WHERE employee_id IS NOT NULL ORDER BY employee_id, fact_key",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (key, employee_id, on, Json(fact)) in facts {
            let person = match self.work.career(tx, employee_id).await? {
                Some(c) => self.person(employee_id, &c, on),
                None => None,
            };
            let counted = self.matches(&chosen, &fact, on, person.as_ref(), None);
            self.add_counted(tx, &key, counted, at).await?;
        }
        let offerings: Vec<(Uuid, NaiveDate, Json<CourseTags>)> = sqlx::query_as(
            "SELECT o.offering_id, o.starts_on, c.tags FROM rm_kpi_offering o JOIN rm_kpi_course c USING (course_id)
             WHERE NOT o.cancelled ORDER BY o.offering_id",
        )
        .fetch_all(&mut *tx)
        .await?;
        for (offering_id, on, Json(tags)) in offerings {
            let fact = offering_fact(tags);
            let counted = self.matches(&chosen, &fact, on, None, Some(offering_id));
            // A thing's fact that counted nowhere was not kept.
            self.hold(tx, &format!("off:{offering_id}"), None, on, None, counted, at)
                .await?;
        }
        let courses: Vec<(Uuid, Json<CourseTags>, NaiveDate)> =
            sqlx::query_as("SELECT course_id, tags, catalogued_on FROM rm_kpi_course ORDER BY course_id")
                .fetch_all(&mut *tx)
                .await?;
        for (course_id, Json(tags), on) in courses {
            let fact = course_fact(tags);
            let counted = self.matches(&chosen, &fact, on, None, Some(course_id));
            self.hold(tx, &format!("crs:{course_id}"), None, on, None, counted, at)
                .await?;
        }
        if chosen.iter().any(|(_, s)| s.is_employee_share()) {
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
            self.coverage_unit(tx, &key, &s, institution_id, facts, at).await?;
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
        let before = self.work.career(tx, employee_id).await?;
        let Some(after) = Career::after(before.clone(), &event) else {
            return Ok(());
        };
        self.work.set_career(employee_id, after.clone());
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
            self.count_for(tx, &key(&(*date, *f)), fact, *date, employee_id, at)
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
        let on = match self.work.course(tx, course_id).await? {
            Some(c) => c.catalogued_on,
            None => at.recorded_at.date_naive(),
        };
        self.work.set_course(
            course_id,
            CourseRow {
                tags: tags.clone(),
                catalogued_on: on,
            },
        );
        // It counts as its tags now say.
        let key = format!("crs:{course_id}");
        self.take_back(tx, &key, at).await?;
        let counted = self.matches(&self.series, &course_fact(tags), on, None, Some(course_id));
        self.hold(tx, &key, None, on, None, counted, at).await
    }

    pub(super) async fn offering(
        &mut self,
        tx: &mut PgConnection,
        event: OfferingEvent,
        at: At,
    ) -> Result<(), ProjectionError> {
        match event {
            OfferingEvent::OfferingScheduled { offering_id, schedule } => {
                if self.work.offering(tx, offering_id).await?.is_some() {
                    return Ok(());
                }
                self.work.set_offering(
                    offering_id,
                    OfferingRow {
                        course_id: schedule.course_id,
                        starts_on: schedule.starts_on,
                        cancelled: false,
                    },
                );
                let Some(course) = self.work.course(tx, schedule.course_id).await? else {
                    return Ok(());
                };
                let fact = offering_fact(course.tags);
                let counted = self.matches(&self.series, &fact, schedule.starts_on, None, Some(offering_id));
                self.hold(
                    tx,
                    &format!("off:{offering_id}"),
                    None,
                    schedule.starts_on,
                    None,
                    counted,
                    at,
                )
                .await
            }
            OfferingEvent::OfferingCancelled { offering_id, .. } => {
                if let Some(mut o) = self.work.offering(tx, offering_id).await? {
                    o.cancelled = true;
                    self.work.set_offering(offering_id, o);
                }
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
                let Some((tags, starts_on)) = self.offering_tags(tx, offering_id).await? else {
                    return Ok(());
                };
                let fact = Fact {
                    kind: FactKind::Attendance,
                    course: Some(tags),
                    knowledge_test_passed: None,
                    designated: None,
                };
                self.count_for(tx, &key, fact, starts_on, employee_id, at).await
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
                let Some((tags, _)) = self.offering_tags(tx, offering_id).await? else {
                    return Ok(());
                };
                let fact = Fact {
                    kind: FactKind::Completion,
                    course: Some(tags),
                    knowledge_test_passed: result.knowledge_test_passed,
                    designated: None,
                };
                self.count_for(tx, &key, fact, result.completed_on, employee_id, at)
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
        self.count_for(tx, &key, fact, on, employee_id, at).await
    }

    /// The offering's course tags and first day.
    async fn offering_tags(
        &mut self,
        tx: &mut PgConnection,
        offering_id: Uuid,
    ) -> Result<Option<(CourseTags, NaiveDate)>, ProjectionError> {
        let Some(o) = self.work.offering(tx, offering_id).await? else {
            return Ok(None);
        };
        Ok(self.work.course(tx, o.course_id).await?.map(|c| (c.tags, o.starts_on)))
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
        fact: Fact,
        on: NaiveDate,
        employee_id: Uuid,
        at: At,
    ) -> Result<(), ProjectionError> {
        let Some(career) = self.work.career(tx, employee_id).await? else {
            return Ok(());
        };
        let person = self.person(employee_id, &career, on);
        let counted = self.matches(&self.series, &fact, on, person.as_ref(), None);
        let shares = self
            .series
            .iter()
            .any(|(_, s)| s.is_employee_share() && s.fact == fact.kind);
        self.hold(tx, key, Some(employee_id), on, Some(fact), counted, at)
            .await?;
        if shares {
            self.recompute_shares(tx, employee_id, at).await?;
        }
        Ok(())
    }

    /// Where a fact counts: each of `series` it qualifies for, with its
    /// subject and pairs.
    fn matches(
        &self,
        series: &[(String, Series)],
        fact: &Fact,
        on: NaiveDate,
        person: Option<&Person>,
        thing: Option<Uuid>,
    ) -> Vec<Counted> {
        let mut counted = Vec::new();
        for (series_key, s) in series {
            if !s.counts(fact, person.map(|p| (&p.profile, p.institution.kind))) {
                continue;
            }
            // A share's facts wait for the share's recomputation, which
            // places the employee on each reference date.
            let (subject, spot) = match (s.unit, person, thing) {
                (_, Some(p), _) if s.is_employee_share() => {
                    counted.push(Counted {
                        series_key: series_key.clone(),
                        subject: p.employee_id.to_string(),
                        pairs: Vec::new(),
                    });
                    continue;
                }
                (Unit::Employees, Some(p), _) => (p.employee_id.to_string(), Some(spot(p, true))),
                (Unit::Institutions, Some(p), _) => (p.profile.institution_id.to_string(), Some(spot(p, false))),
                (Unit::Resors, Some(p), _) => match p.institution.resor {
                    Some(r) => (wire_name(&r), Some(spot(p, false))),
                    None => continue,
                },
                (Unit::Things, _, Some(t)) => (t.to_string(), None),
                _ => continue,
            };
            counted.push(Counted {
                series_key: series_key.clone(),
                subject,
                pairs: pairs(on.year(), spot),
            });
        }
        counted
    }

    /// Records a fact and counts it where `counted` says.
    #[allow(clippy::too_many_arguments)]
    async fn hold(
        &mut self,
        tx: &mut PgConnection,
        key: &str,
        employee_id: Option<Uuid>,
        on: NaiveDate,
        fact: Option<Fact>,
        counted: Vec<Counted>,
        at: At,
    ) -> Result<(), ProjectionError> {
        let row = self.work.fact_mut(tx, key).await?;
        let kept = match row.take() {
            Some(mut existing) => {
                existing.employee_id = employee_id.or(existing.employee_id);
                existing.occurred_on = on;
                existing.fact = fact.or(existing.fact);
                existing
            }
            None => FactRow {
                employee_id,
                occurred_on: on,
                fact,
                counted: Vec::new(),
            },
        };
        *row = Some(kept);
        if let Some(e) = employee_id {
            self.work.note_employee_fact(e, key);
        }
        self.add_counted(tx, key, counted, at).await
    }

    /// Counts a recorded fact in each of `counted` it does not count in yet.
    async fn add_counted(
        &mut self,
        tx: &mut PgConnection,
        key: &str,
        counted: Vec<Counted>,
        at: At,
    ) -> Result<(), ProjectionError> {
        if counted.is_empty() {
            return Ok(());
        }
        let row = self.work.fact_mut(tx, key).await?;
        let Some(row) = row.as_mut() else {
            return Ok(());
        };
        let on = row.occurred_on;
        let new: Vec<Counted> = counted
            .into_iter()
            .filter(|c| !row.counted.iter().any(|h| h.series_key == c.series_key))
            .collect();
        row.counted.extend(new.iter().cloned());
        for c in new {
            if c.pairs.is_empty() {
                let held = self.work.held_mut(tx, &c.subject, &c.series_key).await?;
                held.facts.insert(key.to_owned(), on);
            } else {
                self.bump(tx, &c.series_key, &c.subject, Part::Count, &c.pairs, 1, at)
                    .await?;
            }
        }
        Ok(())
    }

    /// Takes back everything a fact counted, and forgets it.
    async fn forget(&mut self, tx: &mut PgConnection, key: &str, at: At) -> Result<(), ProjectionError> {
        self.take_back(tx, key, at).await?;
        *self.work.fact_mut(tx, key).await? = None;
        Ok(())
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
        for (key, on, fact) in self.work.employee_facts_from(tx, employee_id, from).await? {
            self.take_back(tx, &key, at).await?;
            let person = self.person(employee_id, career, on);
            let counted = self.matches(&self.series, &fact, on, person.as_ref(), None);
            self.add_counted(tx, &key, counted, at).await?;
        }
        Ok(())
    }

    /// Takes back everything a fact counted; the fact itself stays.
    async fn take_back(&mut self, tx: &mut PgConnection, key: &str, at: At) -> Result<(), ProjectionError> {
        let counted = match self.work.fact_mut(tx, key).await?.as_mut() {
            Some(row) => std::mem::take(&mut row.counted),
            None => return Ok(()),
        };
        let mut shares = BTreeSet::new();
        for c in counted {
            if c.pairs.is_empty() {
                let held = self.work.held_mut(tx, &c.subject, &c.series_key).await?;
                held.facts.remove(key);
                if let Ok(employee) = c.subject.parse::<Uuid>() {
                    shares.insert(employee);
                }
            } else {
                self.bump(tx, &c.series_key, &c.subject, Part::Count, &c.pairs, -1, at)
                    .await?;
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
    /// difference from what they held before is written.
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
        let career = self.work.career(tx, employee_id).await?;
        let subject = employee_id.to_string();
        for (key, s) in shares {
            let held = self.work.held_mut(tx, &subject, &key).await?;
            let first = held.first_fact();
            let held_count = held.pairs(Part::Count);
            let held_population = held.pairs(Part::Denominator);
            let mut count = BTreeSet::new();
            let mut population = BTreeSet::new();
            if let Some(career) = &career {
                for (year, reference) in reference_dates() {
                    let Some(p) = self.person(employee_id, career, reference) else {
                        continue;
                    };
                    if !s.who.matches(&p.profile, p.institution.kind) {
                        continue;
                    }
                    let pair = (year, Some(spot(&p, true)));
                    if first.is_some_and(|f| f <= reference) {
                        count.insert(pair.clone());
                    }
                    population.insert(pair);
                }
            }
            for (part, held, wanted) in [
                (Part::Count, held_count, count),
                (Part::Denominator, held_population, population),
            ] {
                let gone: Vec<_> = held.difference(&wanted).cloned().collect();
                self.bump(tx, &key, &subject, part, &gone, -1, at).await?;
                let new: Vec<_> = wanted.difference(&held).cloned().collect();
                self.bump(tx, &key, &subject, part, &new, 1, at).await?;
            }
        }
        Ok(())
    }

    /// An institution in a coverage's denominator: every state institution,
    /// or every resor that has one.
    async fn coverage_unit(
        &mut self,
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
        self.bump(tx, key, &subject, Part::Denominator, &every_year(), 1, at)
            .await
    }
}

fn spot(p: &Person, with_job_groups: bool) -> Spot {
    Spot {
        institution: p.profile.institution_id,
        job_groups: if with_job_groups {
            p.profile.role.job_groups.clone()
        } else {
            Vec::new()
        },
    }
}

fn offering_fact(tags: CourseTags) -> Fact {
    Fact {
        kind: FactKind::OfferingScheduled,
        course: Some(tags),
        knowledge_test_passed: None,
        designated: None,
    }
}

fn course_fact(tags: CourseTags) -> Fact {
    Fact {
        kind: FactKind::CourseCatalogued,
        knowledge_test_passed: Some(tags.knowledge_test),
        course: Some(tags),
        designated: None,
    }
}
