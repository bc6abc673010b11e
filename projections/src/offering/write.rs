//! The offering projection's writes: a batch loads the offerings and places
//! its events name, folds the events into them in log order, and writes each
//! table back in one statement (`crate::staged`).

use std::collections::HashSet;

use chrono::NaiveDate;
use prasme_domain::offering::{Feedback, OfferingEvent, PlaceStatus};
use prasme_domain::reference::wire_name as wire;
use sqlx::{PgConnection, Row};
use uuid::Uuid;

use crate::staged::Staged;
use crate::ProjectionError;

struct OfferingRow {
    course_id: Uuid,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    format: String,
    capacity: i32,
    cost_cents: i64,
    organiser: String,
    cancelled: bool,
    cancel_reason: Option<String>,
}

struct PlaceRow {
    institution_id: Uuid,
    status: String,
    /// The position at which the place joined the waitlist: its order.
    waitlisted_at: Option<i64>,
    attendance: Option<String>,
    certificate_number: Option<String>,
    passed: Option<bool>,
    score: Option<i32>,
    knowledge_test_passed: Option<bool>,
    minutes: Option<i32>,
    completed_on: Option<NaiveDate>,
    revoked: bool,
}

impl PlaceRow {
    fn new(institution_id: Uuid, status: PlaceStatus) -> Self {
        Self {
            institution_id,
            status: wire(&status),
            waitlisted_at: None,
            attendance: None,
            certificate_number: None,
            passed: None,
            score: None,
            knowledge_test_passed: None,
            minutes: None,
            completed_on: None,
            revoked: false,
        }
    }
}

struct FeedbackRow {
    offering_id: Uuid,
    employee_id: Uuid,
    kind: String,
    ratings: Option<[i32; 5]>,
    applied_at_work: Option<bool>,
    comment: Option<String>,
}

type PlaceKey = (Uuid, Uuid);

pub(super) struct Batch {
    offerings: Staged<Uuid, OfferingRow>,
    places: Staged<PlaceKey, PlaceRow>,
    feedback: Vec<FeedbackRow>,
}

/// The offerings and places the events change (besides ones they create),
/// and the offerings cancelled, whose every place is loaded.
fn named(events: &[(i64, OfferingEvent)]) -> (Vec<Uuid>, Vec<PlaceKey>, Vec<Uuid>) {
    use OfferingEvent as E;
    let mut offerings = HashSet::new();
    let mut places = HashSet::new();
    let mut cancelled = HashSet::new();
    for (_, event) in events {
        match event {
            E::OfferingScheduled { .. } | E::FeedbackGiven { .. } => {}
            E::CapacityChanged { offering_id, .. } => {
                offerings.insert(*offering_id);
            }
            E::OfferingCancelled { offering_id, .. } => {
                offerings.insert(*offering_id);
                cancelled.insert(*offering_id);
            }
            E::ParticipantSubstituted {
                offering_id,
                employee_id,
                substitute_id,
                ..
            } => {
                places.insert((*offering_id, *employee_id));
                places.insert((*offering_id, *substitute_id));
            }
            E::PlaceRequested {
                offering_id,
                employee_id,
                ..
            }
            | E::RequestRejected {
                offering_id,
                employee_id,
                ..
            }
            | E::ParticipantEnrolled {
                offering_id,
                employee_id,
                ..
            }
            | E::ParticipantWaitlisted {
                offering_id,
                employee_id,
                ..
            }
            | E::PlaceCancelled {
                offering_id,
                employee_id,
                ..
            }
            | E::WaitlistedParticipantPromoted {
                offering_id,
                employee_id,
            }
            | E::AttendanceRecorded {
                offering_id,
                employee_id,
                ..
            }
            | E::CompletionRecorded {
                offering_id,
                employee_id,
                ..
            }
            | E::CompletionRevoked {
                offering_id,
                employee_id,
                ..
            } => {
                places.insert((*offering_id, *employee_id));
            }
            // Money is the training-budget projection's business.
            E::TrainingCostCommitted(_) | E::TrainingCostReleased(_) | E::TrainingCostSpent(_) => {}
        }
    }
    (
        offerings.into_iter().collect(),
        places.into_iter().collect(),
        cancelled.into_iter().collect(),
    )
}

const PLACE_COLUMNS: &str = "offering_id, employee_id, institution_id, status, waitlisted_at, attendance, \
                             certificate_number, passed, score, knowledge_test_passed, minutes, completed_on, revoked";

impl Batch {
    /// One statement per table for the rows the events name.
    pub(super) async fn load(tx: &mut PgConnection, events: &[(i64, OfferingEvent)]) -> Result<Self, sqlx::Error> {
        let (offering_ids, place_keys, cancelled) = named(events);
        let offerings = if offering_ids.is_empty() {
            Vec::new()
        } else {
            sqlx::query(
                "SELECT id, course_id, starts_on, ends_on, format, capacity, cost_cents, organiser, cancelled, cancel_reason
                   FROM rm_offering WHERE id = ANY($1)",
            )
            .bind(&offering_ids)
            .fetch_all(&mut *tx)
            .await?
        };
        let places = if place_keys.is_empty() && cancelled.is_empty() {
            Vec::new()
        } else {
            sqlx::query(&format!(
                "SELECT {PLACE_COLUMNS} FROM rm_place p
                   JOIN UNNEST($1::uuid[], $2::uuid[]) AS k (o, e) ON p.offering_id = k.o AND p.employee_id = k.e
                 UNION ALL
                 SELECT {PLACE_COLUMNS} FROM rm_place WHERE offering_id = ANY($3)"
            ))
            .bind(place_keys.iter().map(|k| k.0).collect::<Vec<_>>())
            .bind(place_keys.iter().map(|k| k.1).collect::<Vec<_>>())
            .bind(&cancelled)
            .fetch_all(&mut *tx)
            .await?
        };
        let offerings = offerings
            .iter()
            .map(|r| {
                Ok((
                    r.try_get("id")?,
                    OfferingRow {
                        course_id: r.try_get("course_id")?,
                        starts_on: r.try_get("starts_on")?,
                        ends_on: r.try_get("ends_on")?,
                        format: r.try_get("format")?,
                        capacity: r.try_get("capacity")?,
                        cost_cents: r.try_get("cost_cents")?,
                        organiser: r.try_get("organiser")?,
                        cancelled: r.try_get("cancelled")?,
                        cancel_reason: r.try_get("cancel_reason")?,
                    },
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let places = places
            .iter()
            .map(|r| {
                Ok((
                    (r.try_get("offering_id")?, r.try_get("employee_id")?),
                    PlaceRow {
                        institution_id: r.try_get("institution_id")?,
                        status: r.try_get("status")?,
                        waitlisted_at: r.try_get("waitlisted_at")?,
                        attendance: r.try_get("attendance")?,
                        certificate_number: r.try_get("certificate_number")?,
                        passed: r.try_get("passed")?,
                        score: r.try_get("score")?,
                        knowledge_test_passed: r.try_get("knowledge_test_passed")?,
                        minutes: r.try_get("minutes")?,
                        completed_on: r.try_get("completed_on")?,
                        revoked: r.try_get("revoked")?,
                    },
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(Self {
            offerings: Staged::loaded(offerings),
            places: Staged::loaded(places),
            feedback: Vec::new(),
        })
    }

    /// Every event, in log order, into the rows.
    pub(super) fn fold(mut self, events: Vec<(i64, OfferingEvent)>) -> Self {
        use OfferingEvent as E;
        for (position, event) in events {
            match event {
                E::OfferingScheduled { offering_id, schedule } => self.offerings.put(
                    offering_id,
                    OfferingRow {
                        course_id: schedule.course_id,
                        starts_on: schedule.starts_on,
                        ends_on: schedule.ends_on,
                        format: wire(&schedule.format),
                        capacity: schedule.capacity,
                        cost_cents: schedule.cost_per_participant.0,
                        organiser: schedule.organiser,
                        cancelled: false,
                        cancel_reason: None,
                    },
                ),
                E::CapacityChanged { offering_id, capacity } => {
                    if let Some(o) = self.offerings.change(offering_id) {
                        o.capacity = capacity;
                    }
                }
                E::OfferingCancelled { offering_id, reason } => {
                    if let Some(o) = self.offerings.change(offering_id) {
                        o.cancelled = true;
                        o.cancel_reason = Some(reason);
                    }
                    // Every seat is released.
                    let open: Vec<String> = [PlaceStatus::Requested, PlaceStatus::Enrolled, PlaceStatus::Waitlisted]
                        .iter()
                        .map(wire)
                        .collect();
                    let cancelled = wire(&PlaceStatus::Cancelled);
                    self.places.change_each(
                        |(o, _), p| *o == offering_id && open.contains(&p.status),
                        |p| p.status = cancelled.clone(),
                    );
                }
                E::PlaceRequested {
                    offering_id,
                    employee_id,
                    institution_id,
                } => {
                    // A new request after a cancelled or rejected one starts
                    // afresh; an earlier completion stays on the row.
                    let p = self.places.change_or((offering_id, employee_id), || {
                        PlaceRow::new(institution_id, PlaceStatus::Requested)
                    });
                    p.institution_id = institution_id;
                    p.status = wire(&PlaceStatus::Requested);
                    p.waitlisted_at = None;
                    p.attendance = None;
                }
                E::RequestRejected {
                    offering_id,
                    employee_id,
                    ..
                } => self.set_status((offering_id, employee_id), PlaceStatus::Rejected),
                E::ParticipantEnrolled {
                    offering_id,
                    employee_id,
                    ..
                }
                | E::WaitlistedParticipantPromoted {
                    offering_id,
                    employee_id,
                } => self.set_status((offering_id, employee_id), PlaceStatus::Enrolled),
                E::ParticipantWaitlisted {
                    offering_id,
                    employee_id,
                    ..
                } => {
                    if let Some(p) = self.places.change((offering_id, employee_id)) {
                        p.status = wire(&PlaceStatus::Waitlisted);
                        p.waitlisted_at = Some(position);
                    }
                }
                E::PlaceCancelled {
                    offering_id,
                    employee_id,
                    ..
                } => self.set_status((offering_id, employee_id), PlaceStatus::Cancelled),
                E::ParticipantSubstituted {
                    offering_id,
                    employee_id,
                    substitute_id,
                    institution_id,
                } => {
                    self.set_status((offering_id, employee_id), PlaceStatus::Substituted);
                    let p = self.places.change_or((offering_id, substitute_id), || {
                        PlaceRow::new(institution_id, PlaceStatus::Enrolled)
                    });
                    p.status = wire(&PlaceStatus::Enrolled);
                    p.waitlisted_at = None;
                }
                E::AttendanceRecorded {
                    offering_id,
                    employee_id,
                    attendance,
                } => {
                    if let Some(p) = self.places.change((offering_id, employee_id)) {
                        p.attendance = Some(wire(&attendance));
                    }
                }
                E::CompletionRecorded {
                    offering_id,
                    employee_id,
                    result,
                    certificate_number,
                } => {
                    if let Some(p) = self.places.change((offering_id, employee_id)) {
                        p.certificate_number = certificate_number;
                        p.passed = Some(result.passed);
                        p.score = result.score;
                        p.knowledge_test_passed = result.knowledge_test_passed;
                        p.minutes = Some(result.minutes);
                        p.completed_on = Some(result.completed_on);
                        p.revoked = false;
                    }
                }
                E::CompletionRevoked {
                    offering_id,
                    employee_id,
                    ..
                } => {
                    // The number stays, marked revoked, so a verifier learns why it no longer counts.
                    if let Some(p) = self.places.change((offering_id, employee_id)) {
                        p.revoked = true;
                    }
                }
                E::FeedbackGiven {
                    offering_id,
                    employee_id,
                    feedback,
                } => {
                    let kind = wire(&feedback.kind());
                    let (ratings, applied_at_work, comment) = match feedback {
                        Feedback::Immediate {
                            organisation,
                            content,
                            trainer,
                            usefulness,
                            methods,
                        } => (Some([organisation, content, trainer, usefulness, methods]), None, None),
                        Feedback::FollowUp {
                            applied_at_work,
                            comment,
                        } => (None, Some(applied_at_work), comment),
                    };
                    self.feedback.push(FeedbackRow {
                        offering_id,
                        employee_id,
                        kind,
                        ratings,
                        applied_at_work,
                        comment,
                    });
                }
                E::TrainingCostCommitted(_) | E::TrainingCostReleased(_) | E::TrainingCostSpent(_) => {}
            }
        }
        self
    }

    fn set_status(&mut self, key: PlaceKey, status: PlaceStatus) {
        if let Some(p) = self.places.change(key) {
            p.status = wire(&status);
        }
    }

    /// One statement per table changed.
    pub(super) async fn write(self, tx: &mut PgConnection) -> Result<(), ProjectionError> {
        let (ids, rows) = self.offerings.changed();
        if !ids.is_empty() {
            sqlx::query(
                "INSERT INTO rm_offering
                   (id, course_id, starts_on, ends_on, format, capacity, cost_cents, organiser, cancelled, cancel_reason)
                 SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::date[], $4::date[], $5::text[], $6::int[],
                                      $7::bigint[], $8::text[], $9::boolean[], $10::text[])
                 ON CONFLICT (id) DO UPDATE SET
                   course_id = EXCLUDED.course_id, starts_on = EXCLUDED.starts_on, ends_on = EXCLUDED.ends_on,
                   format = EXCLUDED.format, capacity = EXCLUDED.capacity, cost_cents = EXCLUDED.cost_cents,
                   organiser = EXCLUDED.organiser, cancelled = EXCLUDED.cancelled,
                   cancel_reason = EXCLUDED.cancel_reason",
            )
            .bind(&ids)
            .bind(rows.iter().map(|r| r.course_id).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.starts_on).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.ends_on).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.format.as_str()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.capacity).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.cost_cents).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.organiser.as_str()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.cancelled).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.cancel_reason.as_deref()).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
        }
        let (keys, rows) = self.places.changed();
        if !keys.is_empty() {
            let (offerings, employees): (Vec<Uuid>, Vec<Uuid>) = keys.iter().copied().unzip();
            let before = learning_minutes(tx, &offerings, &employees, -1).await?;
            sqlx::query(&format!(
                "INSERT INTO rm_place ({PLACE_COLUMNS})
                 SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::bigint[], $6::text[],
                                      $7::text[], $8::boolean[], $9::int[], $10::boolean[], $11::int[], $12::date[],
                                      $13::boolean[])
                 ON CONFLICT (offering_id, employee_id) DO UPDATE SET
                   institution_id = EXCLUDED.institution_id, status = EXCLUDED.status,
                   waitlisted_at = EXCLUDED.waitlisted_at, attendance = EXCLUDED.attendance,
                   certificate_number = EXCLUDED.certificate_number, passed = EXCLUDED.passed,
                   score = EXCLUDED.score, knowledge_test_passed = EXCLUDED.knowledge_test_passed,
                   minutes = EXCLUDED.minutes, completed_on = EXCLUDED.completed_on, revoked = EXCLUDED.revoked"
            ))
            .bind(keys.iter().map(|k| k.0).collect::<Vec<_>>())
            .bind(keys.iter().map(|k| k.1).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.institution_id).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.status.as_str()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.waitlisted_at).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.attendance.as_deref()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.certificate_number.as_deref()).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.passed).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.score).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.knowledge_test_passed).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.minutes).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.completed_on).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.revoked).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
            learning_minutes(tx, &offerings, &employees, 1).await?;
            drop_empty_months(tx, before).await?;
        }
        if !self.feedback.is_empty() {
            let rows = &self.feedback;
            let rating = |i: usize| rows.iter().map(|r| r.ratings.map(|x| x[i])).collect::<Vec<_>>();
            // Each participant gives each kind once: a second would be refused
            // by the key, and the projection retried, never skipped.
            sqlx::query(
                "INSERT INTO rm_feedback (offering_id, employee_id, kind, organisation, content, trainer, usefulness,
                                          methods, applied_at_work, comment)
                 SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::int[], $5::int[], $6::int[], $7::int[],
                                      $8::int[], $9::boolean[], $10::text[])",
            )
            .bind(rows.iter().map(|r| r.offering_id).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.employee_id).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>())
            .bind(rating(0))
            .bind(rating(1))
            .bind(rating(2))
            .bind(rating(3))
            .bind(rating(4))
            .bind(rows.iter().map(|r| r.applied_at_work).collect::<Vec<_>>())
            .bind(rows.iter().map(|r| r.comment.as_deref()).collect::<Vec<_>>())
            .execute(&mut *tx)
            .await?;
        }
        Ok(())
    }
}

/// Adds (`sign` 1) or takes away (-1) the counted completions of these
/// places from `rm_learning_month`: taken away as stored before a batch,
/// added as written after it. The months touched.
async fn learning_minutes(
    tx: &mut PgConnection,
    offerings: &[Uuid],
    employees: &[Uuid],
    sign: i64,
) -> Result<Vec<(Uuid, i32, i32)>, sqlx::Error> {
    let rows = sqlx::query(
        "INSERT INTO rm_learning_month (institution_id, year, month, minutes)
         SELECT p.institution_id, extract(year FROM p.completed_on)::int, extract(month FROM p.completed_on)::int,
                $3 * sum(p.minutes)::bigint
           FROM rm_place p JOIN unnest($1::uuid[], $2::uuid[]) AS k(offering_id, employee_id)
             ON p.offering_id = k.offering_id AND p.employee_id = k.employee_id
          WHERE p.completed_on IS NOT NULL AND NOT p.revoked
          GROUP BY 1, 2, 3
         ON CONFLICT (institution_id, year, month)
            DO UPDATE SET minutes = rm_learning_month.minutes + EXCLUDED.minutes
         RETURNING institution_id, year, month",
    )
    .bind(offerings)
    .bind(employees)
    .bind(sign)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?)))
        .collect()
}

/// Deletes the months of `rm_learning_month` that `keys` name and that
/// hold no minutes any more: a month with nothing is absent, as a rebuild
/// leaves it.
pub(crate) async fn drop_empty_months(tx: &mut PgConnection, keys: Vec<(Uuid, i32, i32)>) -> Result<(), sqlx::Error> {
    if keys.is_empty() {
        return Ok(());
    }
    let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
    for (x, y, z) in keys {
        a.push(x);
        b.push(y);
        c.push(z);
    }
    sqlx::query(
        "DELETE FROM rm_learning_month l USING unnest($1::uuid[], $2::int[], $3::int[]) AS k(i, y, m)
          WHERE l.institution_id = k.i AND l.year = k.y AND l.month = k.m AND l.minutes = 0",
    )
    .bind(a)
    .bind(b)
    .bind(c)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
