//! The course projection's writes: a batch loads the courses its events
//! name, folds the events into them in log order, and writes them back in
//! one statement (`crate::staged`).

use std::collections::HashSet;

use prasme_domain::course::{CourseDescription, CourseEvent};
use prasme_domain::reference::wire_name as wire;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::staged::{array_literal, Staged};
use crate::ProjectionError;

#[derive(Default)]
struct CourseRow {
    title: String,
    owner_level: String,
    owner_resor: Option<String>,
    owner_institution: Option<Uuid>,
    owner_group: Option<String>,
    priority: i32,
    measures: Vec<String>,
    course_type: String,
    knowledge_test: bool,
    duration_minutes: i32,
    language: String,
    competencies: Vec<String>,
    /// The description's framework competencies, as JSON.
    develops: String,
    retired: bool,
    retired_reason: Option<String>,
}

impl CourseRow {
    /// The description's columns; whether the course is retired stays.
    fn describe(&mut self, d: CourseDescription) {
        let owner = d.owner.parts();
        self.title = d.title;
        self.owner_level = wire(&owner.level);
        self.owner_resor = owner.resor.map(|r| wire(&r));
        self.owner_institution = owner.institution_id;
        self.owner_group = owner.group;
        self.priority = i32::from(d.priority.number());
        self.measures = d.measures;
        self.course_type = wire(&d.course_type);
        self.knowledge_test = d.knowledge_test;
        self.duration_minutes = d.duration_minutes;
        self.language = d.language;
        self.competencies = d.competencies;
        self.develops = serde_json::to_string(&d.develops).expect("framework links serialise to JSON");
    }
}

pub(super) struct Batch {
    courses: Staged<Uuid, CourseRow>,
}

fn course_of(event: &CourseEvent) -> Uuid {
    match event {
        CourseEvent::CourseCatalogued { course_id, .. }
        | CourseEvent::CourseRevised { course_id, .. }
        | CourseEvent::CourseRetired { course_id, .. } => *course_id,
    }
}

impl Batch {
    pub(super) async fn load(tx: &mut PgConnection, events: &[CourseEvent]) -> Result<Self, sqlx::Error> {
        let ids: Vec<Uuid> = events
            .iter()
            .map(course_of)
            .collect::<HashSet<_>>()
            .into_iter()
            .collect();
        let courses = sqlx::query(
            "SELECT id, title, owner_level, owner_resor, owner_institution, owner_group, priority, measures,
                    course_type, knowledge_test, duration_minutes, language, competencies, develops::text,
                    retired, retired_reason
               FROM rm_course WHERE id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get("id")?,
                CourseRow {
                    title: r.try_get("title")?,
                    owner_level: r.try_get("owner_level")?,
                    owner_resor: r.try_get("owner_resor")?,
                    owner_institution: r.try_get("owner_institution")?,
                    owner_group: r.try_get("owner_group")?,
                    priority: r.try_get("priority")?,
                    measures: r.try_get("measures")?,
                    course_type: r.try_get("course_type")?,
                    knowledge_test: r.try_get("knowledge_test")?,
                    duration_minutes: r.try_get("duration_minutes")?,
                    language: r.try_get("language")?,
                    competencies: r.try_get("competencies")?,
                    develops: r.try_get("develops")?,
                    retired: r.try_get("retired")?,
                    retired_reason: r.try_get("retired_reason")?,
                },
            ))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(Self {
            courses: Staged::loaded(courses),
        })
    }

    pub(super) fn fold(mut self, events: Vec<CourseEvent>) -> Self {
        for event in events {
            match event {
                CourseEvent::CourseCatalogued { course_id, description }
                | CourseEvent::CourseRevised { course_id, description } => {
                    self.courses
                        .change_or(course_id, CourseRow::default)
                        .describe(description);
                }
                CourseEvent::CourseRetired { course_id, reason } => {
                    if let Some(c) = self.courses.change(course_id) {
                        c.retired = true;
                        c.retired_reason = Some(reason);
                    }
                }
            }
        }
        self
    }

    pub(super) async fn write(self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        let (ids, rows) = self.courses.changed();
        if ids.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO rm_course (id, title, owner_level, owner_resor, owner_institution, owner_group, priority,
                                    measures, course_type, knowledge_test, duration_minutes, language, competencies,
                                    develops, retired, retired_reason)
             SELECT u.id, u.title, u.owner_level, u.owner_resor, u.owner_institution, u.owner_group, u.priority,
                    u.measures::text[], u.course_type, u.knowledge_test, u.duration_minutes, u.language, u.competencies::text[],
                    u.develops::jsonb, u.retired, u.retired_reason
               FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::text[], $7::int[],
                           $8::text[], $9::text[], $10::boolean[], $11::int[], $12::text[], $13::text[],
                           $14::text[], $15::boolean[], $16::text[])
                    AS u (id, title, owner_level, owner_resor, owner_institution, owner_group, priority, measures,
                          course_type, knowledge_test, duration_minutes, language, competencies, develops, retired,
                          retired_reason)
             ON CONFLICT (id) DO UPDATE SET
               title = EXCLUDED.title, owner_level = EXCLUDED.owner_level, owner_resor = EXCLUDED.owner_resor,
               owner_institution = EXCLUDED.owner_institution, owner_group = EXCLUDED.owner_group,
               priority = EXCLUDED.priority, measures = EXCLUDED.measures, course_type = EXCLUDED.course_type,
               knowledge_test = EXCLUDED.knowledge_test, duration_minutes = EXCLUDED.duration_minutes,
               language = EXCLUDED.language, competencies = EXCLUDED.competencies, develops = EXCLUDED.develops,
               retired = EXCLUDED.retired,
               retired_reason = EXCLUDED.retired_reason"
        )
        .bind(&ids)
        .bind(rows.iter().map(|r| r.title.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.owner_level.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.owner_resor.as_deref()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.owner_institution).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.owner_group.as_deref()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.priority).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| array_literal(&r.measures)).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.course_type.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.knowledge_test).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.duration_minutes).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.language.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| array_literal(&r.competencies)).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.develops.as_str()).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.retired).collect::<Vec<_>>())
        .bind(rows.iter().map(|r| r.retired_reason.as_deref()).collect::<Vec<_>>())
        .execute(&mut *tx)
        .await?;
        Ok(())
    }
}
