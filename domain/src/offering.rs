//! The offering aggregate: one scheduled run of a course, and every place in
//! it, from request to completion. Capacity is an invariant of this one
//! stream, so it holds under any concurrency: every decision about a seat is
//! made against all the others.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::money::Cents;
use crate::validate::{self, MAX_NAME_CHARS, MAX_REASON_CHARS};
use crate::{Decider, DomainError, ErrorCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OfferingFormat {
    OnSite,
    Online,
    SelfPaced,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Attendance {
    Attended,
    PartiallyAttended,
    NoShowJustified,
    NoShowUnjustified,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schedule {
    pub course_id: Uuid,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub format: OfferingFormat,
    pub capacity: i32,
    pub cost_per_participant: Cents,
    pub organiser: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferingCommand {
    /// Never below the seats already taken.
    ChangeCapacity {
        capacity: i32,
    },
    /// Impact evaluation (seed 000 §5.3): each participant gives each kind once.
    GiveFeedback {
        employee_id: Uuid,
        feedback: Feedback,
    },
    /// The course's existence and that it is not retired are checked by the caller.
    Schedule {
        offering_id: Uuid,
        schedule: Schedule,
    },
    Cancel {
        reason: String,
    },
    /// `institution_id` is the employee's institution, looked up by the caller;
    /// `today` is the caller's date, so the decision stays pure.
    RequestPlace {
        employee_id: Uuid,
        institution_id: Uuid,
        today: NaiveDate,
    },
    Approve {
        employee_id: Uuid,
    },
    Reject {
        employee_id: Uuid,
        reason: String,
    },
    CancelPlace {
        employee_id: Uuid,
        reason: String,
    },
    /// The substitute's institution is looked up by the caller.
    Substitute {
        employee_id: Uuid,
        substitute_id: Uuid,
        substitute_institution_id: Uuid,
    },
    RecordAttendance {
        employee_id: Uuid,
        attendance: Attendance,
    },
    RecordCompletion {
        employee_id: Uuid,
        result: Completion,
    },
    RevokeCompletion {
        employee_id: Uuid,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Completion {
    pub passed: bool,
    /// 0–100, when the course is scored.
    pub score: Option<i32>,
    /// Whether the knowledge test was passed, when the course has one.
    pub knowledge_test_passed: Option<bool>,
    pub minutes: i32,
    /// Business date of completion; may be in the past.
    pub completed_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum OfferingEvent {
    OfferingScheduled {
        offering_id: Uuid,
        schedule: Schedule,
    },
    CapacityChanged {
        offering_id: Uuid,
        capacity: i32,
    },
    /// Releases every seat.
    OfferingCancelled {
        offering_id: Uuid,
        reason: String,
    },
    PlaceRequested {
        offering_id: Uuid,
        employee_id: Uuid,
        institution_id: Uuid,
    },
    RequestRejected {
        offering_id: Uuid,
        employee_id: Uuid,
        reason: String,
    },
    ParticipantEnrolled {
        offering_id: Uuid,
        employee_id: Uuid,
        institution_id: Uuid,
    },
    ParticipantWaitlisted {
        offering_id: Uuid,
        employee_id: Uuid,
        institution_id: Uuid,
    },
    PlaceCancelled {
        offering_id: Uuid,
        employee_id: Uuid,
        reason: String,
    },
    /// The first on the waitlist took a freed seat.
    WaitlistedParticipantPromoted {
        offering_id: Uuid,
        employee_id: Uuid,
    },
    ParticipantSubstituted {
        offering_id: Uuid,
        employee_id: Uuid,
        substitute_id: Uuid,
        institution_id: Uuid,
    },
    AttendanceRecorded {
        offering_id: Uuid,
        employee_id: Uuid,
        attendance: Attendance,
    },
    /// A passed completion comes with a certificate; a failed one has none.
    CompletionRecorded {
        offering_id: Uuid,
        employee_id: Uuid,
        result: Completion,
        certificate_number: Option<String>,
    },
    CompletionRevoked {
        offering_id: Uuid,
        employee_id: Uuid,
        certificate_number: Option<String>,
        reason: String,
    },
    FeedbackGiven {
        offering_id: Uuid,
        employee_id: Uuid,
        feedback: Feedback,
    },
    /// A seat's cost was committed against the participant's institution's
    /// training budget for the offering's year.
    TrainingCostCommitted(SeatCost),
    /// A committed cost was released (cancellation, substitution, offering cancelled).
    TrainingCostReleased(SeatCost),
    /// Attendance was recorded: the committed cost became spend.
    TrainingCostSpent(SeatCost),
}

/// Feedback from a participant (seed 000 §5.3): right after the training, and
/// a follow-up some 6–12 months later on whether the learning is used at work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE", rename_all_fields = "camelCase")]
pub enum Feedback {
    /// Ratings 1–5.
    Immediate {
        organisation: i32,
        content: i32,
        trainer: i32,
        usefulness: i32,
        methods: i32,
    },
    FollowUp {
        applied_at_work: bool,
        comment: Option<String>,
    },
}

impl Feedback {
    /// The one kind of feedback a single command gives: both or neither is
    /// refused, naming the `immediate` field.
    pub fn exactly_one(immediate: Option<Feedback>, follow_up: Option<Feedback>) -> Result<Feedback, DomainError> {
        match (immediate, follow_up) {
            (Some(one), None) | (None, Some(one)) => Ok(one),
            _ => Err(DomainError::on(
                "immediate",
                ErrorCode::InvalidValue,
                "give exactly one of immediate and followUp",
            )),
        }
    }

    pub fn kind(&self) -> FeedbackKind {
        match self {
            Feedback::Immediate { .. } => FeedbackKind::Immediate,
            Feedback::FollowUp { .. } => FeedbackKind::FollowUp,
        }
    }

    fn is_immediate(&self) -> bool {
        self.kind() == FeedbackKind::Immediate
    }
}

/// Which of the two a feedback is: a participant gives each at most once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FeedbackKind {
    Immediate,
    FollowUp,
}

/// The money one seat moves in a training budget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeatCost {
    pub offering_id: Uuid,
    pub employee_id: Uuid,
    pub institution_id: Uuid,
    /// The budget year: the year the offering starts.
    pub budget_year: i32,
    pub amount_cents: Cents,
}

/// Where a seat's cost stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Money {
    #[default]
    None,
    Committed,
    Spent,
}

crate::domain_event!(OfferingEvent {
    OfferingScheduled,
    CapacityChanged,
    OfferingCancelled,
    PlaceRequested,
    RequestRejected,
    ParticipantEnrolled,
    ParticipantWaitlisted,
    PlaceCancelled,
    WaitlistedParticipantPromoted,
    ParticipantSubstituted,
    AttendanceRecorded,
    CompletionRecorded,
    CompletionRevoked,
    FeedbackGiven,
    TrainingCostCommitted,
    TrainingCostReleased,
    TrainingCostSpent,
});

/// Where a place stands; the read model stores it by its wire name
/// (`ENROLLED`), the API answers with the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PlaceStatus {
    Requested,
    Enrolled,
    Waitlisted,
    Rejected,
    Cancelled,
    /// Gave the seat to a substitute.
    Substituted,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub employee_id: Uuid,
    pub institution_id: Uuid,
    pub status: PlaceStatus,
    pub attendance: Option<Attendance>,
    /// A completion is recorded (and not revoked).
    pub completed: bool,
    pub certificate: Option<String>,
    pub money: Money,
    /// Which kinds of feedback were given: (immediate, follow-up).
    pub feedback_given: (bool, bool),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Offering {
    pub id: Option<Uuid>,
    pub schedule: Option<Schedule>,
    pub cancelled: bool,
    /// In request order; the waitlist order is the order of `Waitlisted` places here.
    pub places: Vec<Place>,
}

impl Offering {
    fn open(&self) -> Result<(Uuid, &Schedule), DomainError> {
        let (Some(id), Some(schedule)) = (self.id, self.schedule.as_ref()) else {
            return Err(DomainError::on(
                "offeringId",
                ErrorCode::NotFound,
                "no offering is scheduled with this id",
            ));
        };
        if self.cancelled {
            return Err(DomainError::on(
                "offeringId",
                ErrorCode::InvalidValue,
                "the offering is cancelled",
            ));
        }
        Ok((id, schedule))
    }

    fn place(&self, employee_id: Uuid) -> Result<&Place, DomainError> {
        self.places
            .iter()
            .rev()
            .find(|p| p.employee_id == employee_id)
            .ok_or_else(|| {
                DomainError::on(
                    "employeeId",
                    ErrorCode::NotFound,
                    "this employee has no place in the offering",
                )
            })
    }

    fn holding(&self, employee_id: Uuid, status: PlaceStatus, what: &str) -> Result<&Place, DomainError> {
        let place = self.place(employee_id)?;
        if place.status != status {
            return Err(DomainError::on(
                "employeeId",
                ErrorCode::InvalidValue,
                format!("the place is not {what}"),
            ));
        }
        Ok(place)
    }

    fn seat_cost(&self, offering_id: Uuid, place: &Place) -> SeatCost {
        let (year, cost) = self.schedule.as_ref().map_or((0, Cents(0)), |s| {
            (chrono::Datelike::year(&s.starts_on), s.cost_per_participant)
        });
        SeatCost {
            offering_id,
            employee_id: place.employee_id,
            institution_id: place.institution_id,
            budget_year: year,
            amount_cents: cost,
        }
    }

    /// Commits the seat's cost, unless the offering is free.
    fn commit(&self, offering_id: Uuid, place: &Place) -> Option<OfferingEvent> {
        let cost = self.seat_cost(offering_id, place);
        (cost.amount_cents.0 > 0).then_some(OfferingEvent::TrainingCostCommitted(cost))
    }

    /// Releases the seat's cost, if it is committed and not yet spent.
    fn release(&self, offering_id: Uuid, place: &Place) -> Option<OfferingEvent> {
        (place.money == Money::Committed)
            .then(|| OfferingEvent::TrainingCostReleased(self.seat_cost(offering_id, place)))
    }

    pub fn enrolled(&self) -> usize {
        self.places.iter().filter(|p| p.status == PlaceStatus::Enrolled).count()
    }

    fn place_mut(&mut self, employee_id: Uuid) -> Option<&mut Place> {
        self.places.iter_mut().rev().find(|p| p.employee_id == employee_id)
    }

    /// The certificate number: unique (one per offering and participant) and
    /// verifiable (it names both, so anyone can look it up).
    pub fn certificate_number(offering_id: Uuid, employee_id: Uuid) -> String {
        let id = Uuid::new_v5(&offering_id, employee_id.as_bytes());
        format!("LV-VAS-{}", id.simple().to_string().to_uppercase())
    }
}

impl Decider for Offering {
    type Command = OfferingCommand;
    type Event = OfferingEvent;
    type State = Offering;

    fn stream_id(id: Uuid) -> String {
        format!("offering-{id}")
    }

    fn decide(command: &OfferingCommand, state: &Offering) -> Result<Vec<OfferingEvent>, DomainError> {
        use OfferingCommand as C;
        use OfferingEvent as E;
        match command {
            C::Schedule { offering_id, schedule } => {
                if state.id.is_some() {
                    return Err(DomainError::on(
                        "offeringId",
                        ErrorCode::AlreadyExists,
                        "an offering with this id exists",
                    ));
                }
                if schedule.ends_on < schedule.starts_on {
                    return Err(DomainError::on(
                        "endsOn",
                        ErrorCode::OutOfRange,
                        "the offering ends before it starts",
                    ));
                }
                validate::year("startsOn", chrono::Datelike::year(&schedule.starts_on))?;
                if !(1..=10_000).contains(&schedule.capacity) {
                    return Err(DomainError::on(
                        "capacity",
                        ErrorCode::OutOfRange,
                        "capacity is 1 to 10 000 seats",
                    ));
                }
                let cost = validate::non_negative_amount("costPerParticipantCents", schedule.cost_per_participant)?;
                Ok(vec![E::OfferingScheduled {
                    offering_id: *offering_id,
                    schedule: Schedule {
                        organiser: validate::text("organiser", &schedule.organiser, MAX_NAME_CHARS)?,
                        cost_per_participant: cost,
                        ..schedule.clone()
                    },
                }])
            }
            C::ChangeCapacity { capacity } => {
                let (offering_id, schedule) = state.open()?;
                if !(1..=10_000).contains(capacity) {
                    return Err(DomainError::on(
                        "capacity",
                        ErrorCode::OutOfRange,
                        "capacity is 1 to 10 000 seats",
                    ));
                }
                let enrolled = state.enrolled();
                if (*capacity as usize) < enrolled {
                    return Err(DomainError::on(
                        "capacity",
                        ErrorCode::OutOfRange,
                        format!("{enrolled} participants are enrolled; capacity cannot be lower"),
                    ));
                }
                if *capacity == schedule.capacity {
                    return Err(DomainError::on(
                        "capacity",
                        ErrorCode::NothingToChange,
                        "the capacity is unchanged",
                    ));
                }
                let mut events = vec![E::CapacityChanged {
                    offering_id,
                    capacity: *capacity,
                }];
                // New seats go to the waitlist first, in its order.
                let free = *capacity as usize - enrolled;
                for next in state
                    .places
                    .iter()
                    .filter(|p| p.status == PlaceStatus::Waitlisted)
                    .take(free)
                {
                    events.push(E::WaitlistedParticipantPromoted {
                        offering_id,
                        employee_id: next.employee_id,
                    });
                    events.extend(state.commit(offering_id, next));
                }
                Ok(events)
            }
            C::Cancel { reason } => {
                let (offering_id, _) = state.open()?;
                if state.places.iter().any(|p| p.attendance.is_some()) {
                    return Err(DomainError::on(
                        "offeringId",
                        ErrorCode::InvalidValue,
                        "attendance is recorded: the offering has taken place",
                    ));
                }
                let mut events = vec![E::OfferingCancelled {
                    offering_id,
                    reason: validate::text("reason", reason, MAX_REASON_CHARS)?,
                }];
                events.extend(state.places.iter().filter_map(|p| state.release(offering_id, p)));
                Ok(events)
            }
            C::RequestPlace {
                employee_id,
                institution_id,
                today,
            } => {
                let (offering_id, schedule) = state.open()?;
                if *today >= schedule.starts_on {
                    return Err(DomainError::on(
                        "offeringId",
                        ErrorCode::InvalidValue,
                        "the offering has already started",
                    ));
                }
                let active = state.places.iter().any(|p| {
                    p.employee_id == *employee_id
                        && matches!(
                            p.status,
                            PlaceStatus::Requested | PlaceStatus::Enrolled | PlaceStatus::Waitlisted
                        )
                });
                if active {
                    return Err(DomainError::on(
                        "employeeId",
                        ErrorCode::AlreadyExists,
                        "the employee already has a place",
                    ));
                }
                Ok(vec![E::PlaceRequested {
                    offering_id,
                    employee_id: *employee_id,
                    institution_id: *institution_id,
                }])
            }
            C::Approve { employee_id } => {
                let (offering_id, schedule) = state.open()?;
                let place = state.holding(*employee_id, PlaceStatus::Requested, "requested")?;
                let seat_free = state.enrolled() < schedule.capacity as usize;
                let (employee_id, institution_id) = (place.employee_id, place.institution_id);
                if !seat_free {
                    return Ok(vec![E::ParticipantWaitlisted {
                        offering_id,
                        employee_id,
                        institution_id,
                    }]);
                }
                let mut events = vec![E::ParticipantEnrolled {
                    offering_id,
                    employee_id,
                    institution_id,
                }];
                events.extend(state.commit(offering_id, place));
                Ok(events)
            }
            C::Reject { employee_id, reason } => {
                let (offering_id, _) = state.open()?;
                state.holding(*employee_id, PlaceStatus::Requested, "requested")?;
                Ok(vec![E::RequestRejected {
                    offering_id,
                    employee_id: *employee_id,
                    reason: validate::text("reason", reason, MAX_REASON_CHARS)?,
                }])
            }
            C::CancelPlace { employee_id, reason } => {
                let (offering_id, _) = state.open()?;
                let place = state.place(*employee_id)?;
                if !matches!(
                    place.status,
                    PlaceStatus::Requested | PlaceStatus::Enrolled | PlaceStatus::Waitlisted
                ) {
                    return Err(DomainError::on(
                        "employeeId",
                        ErrorCode::InvalidValue,
                        "the place is not active",
                    ));
                }
                if place.attendance.is_some() {
                    return Err(DomainError::on(
                        "employeeId",
                        ErrorCode::InvalidValue,
                        "attendance is recorded; the place can no longer be cancelled",
                    ));
                }
                let mut events = vec![E::PlaceCancelled {
                    offering_id,
                    employee_id: *employee_id,
                    reason: validate::text("reason", reason, MAX_REASON_CHARS)?,
                }];
                events.extend(state.release(offering_id, place));
                if place.status == PlaceStatus::Enrolled {
                    if let Some(next) = state.places.iter().find(|p| p.status == PlaceStatus::Waitlisted) {
                        events.push(E::WaitlistedParticipantPromoted {
                            offering_id,
                            employee_id: next.employee_id,
                        });
                        events.extend(state.commit(offering_id, next));
                    }
                }
                Ok(events)
            }
            C::Substitute {
                employee_id,
                substitute_id,
                substitute_institution_id,
            } => {
                let (offering_id, _) = state.open()?;
                let place = state.holding(*employee_id, PlaceStatus::Enrolled, "enrolled")?;
                if *substitute_institution_id != place.institution_id {
                    return Err(DomainError::on(
                        "substituteId",
                        ErrorCode::InvalidValue,
                        "a substitute comes from the participant's own institution",
                    ));
                }
                let taken = state.places.iter().any(|p| {
                    p.employee_id == *substitute_id
                        && matches!(
                            p.status,
                            PlaceStatus::Requested | PlaceStatus::Enrolled | PlaceStatus::Waitlisted
                        )
                });
                if taken || substitute_id == employee_id {
                    return Err(DomainError::on(
                        "substituteId",
                        ErrorCode::AlreadyExists,
                        "the substitute already has a place",
                    ));
                }
                if place.attendance.is_some() {
                    return Err(DomainError::on(
                        "employeeId",
                        ErrorCode::InvalidValue,
                        "attendance is recorded; the seat was used",
                    ));
                }
                let mut events = vec![E::ParticipantSubstituted {
                    offering_id,
                    employee_id: *employee_id,
                    substitute_id: *substitute_id,
                    institution_id: place.institution_id,
                }];
                // The commitment moves with the seat.
                if let Some(released) = state.release(offering_id, place) {
                    events.push(released);
                    let substitute = Place {
                        employee_id: *substitute_id,
                        ..place.clone()
                    };
                    events.extend(state.commit(offering_id, &substitute));
                }
                Ok(events)
            }
            C::RecordAttendance {
                employee_id,
                attendance,
            } => {
                let (offering_id, _) = state.open()?;
                let place = state.holding(*employee_id, PlaceStatus::Enrolled, "enrolled")?;
                if place.completed {
                    return Err(DomainError::on(
                        "employeeId",
                        ErrorCode::InvalidValue,
                        "a completion is recorded; revoke it before changing attendance",
                    ));
                }
                let mut events = vec![E::AttendanceRecorded {
                    offering_id,
                    employee_id: *employee_id,
                    attendance: *attendance,
                }];
                // Attended or not, the seat was held for them: its cost is spent.
                if place.money == Money::Committed {
                    events.push(E::TrainingCostSpent(state.seat_cost(offering_id, place)));
                }
                Ok(events)
            }
            C::RecordCompletion { employee_id, result } => {
                let (offering_id, _) = state.open()?;
                let place = state.holding(*employee_id, PlaceStatus::Enrolled, "enrolled")?;
                if !matches!(
                    place.attendance,
                    Some(Attendance::Attended | Attendance::PartiallyAttended)
                ) {
                    return Err(DomainError::on(
                        "employeeId",
                        ErrorCode::InvalidValue,
                        "a completion needs recorded attendance",
                    ));
                }
                if place.completed {
                    return Err(DomainError::on(
                        "employeeId",
                        ErrorCode::AlreadyExists,
                        "the completion is recorded",
                    ));
                }
                if result.score.is_some_and(|s| !(0..=100).contains(&s)) {
                    return Err(DomainError::on("score", ErrorCode::OutOfRange, "a score is 0 to 100"));
                }
                if !(1..=60_000).contains(&result.minutes) {
                    return Err(DomainError::on("minutes", ErrorCode::OutOfRange, "1 to 60 000 minutes"));
                }
                Ok(vec![E::CompletionRecorded {
                    offering_id,
                    employee_id: *employee_id,
                    result: result.clone(),
                    certificate_number: result
                        .passed
                        .then(|| Offering::certificate_number(offering_id, *employee_id)),
                }])
            }
            C::GiveFeedback { employee_id, feedback } => {
                let Some(offering_id) = state.id else {
                    return Err(DomainError::on(
                        "offeringId",
                        ErrorCode::NotFound,
                        "no offering is scheduled with this id",
                    ));
                };
                let place = state.place(*employee_id)?;
                if !matches!(
                    place.attendance,
                    Some(Attendance::Attended | Attendance::PartiallyAttended)
                ) {
                    return Err(DomainError::on(
                        "employeeId",
                        ErrorCode::InvalidValue,
                        "only participants who attended give feedback",
                    ));
                }
                let already = if feedback.is_immediate() {
                    place.feedback_given.0
                } else {
                    place.feedback_given.1
                };
                if already {
                    return Err(DomainError::on(
                        if feedback.is_immediate() {
                            "immediate"
                        } else {
                            "followUp"
                        },
                        ErrorCode::AlreadyExists,
                        "this participant already gave this kind of feedback",
                    ));
                }
                let feedback = match feedback {
                    Feedback::Immediate {
                        organisation,
                        content,
                        trainer,
                        usefulness,
                        methods,
                    } => {
                        for (field, rating) in [
                            ("immediate.organisation", organisation),
                            ("immediate.content", content),
                            ("immediate.trainer", trainer),
                            ("immediate.usefulness", usefulness),
                            ("immediate.methods", methods),
                        ] {
                            if !(1..=5).contains(rating) {
                                return Err(DomainError::on(field, ErrorCode::OutOfRange, "a rating is 1 to 5"));
                            }
                        }
                        feedback.clone()
                    }
                    Feedback::FollowUp {
                        applied_at_work,
                        comment,
                    } => Feedback::FollowUp {
                        applied_at_work: *applied_at_work,
                        comment: comment
                            .as_deref()
                            .filter(|c| !c.trim().is_empty())
                            .map(|c| validate::text("followUp.comment", c, MAX_REASON_CHARS))
                            .transpose()?,
                    },
                };
                Ok(vec![E::FeedbackGiven {
                    offering_id,
                    employee_id: *employee_id,
                    feedback,
                }])
            }
            C::RevokeCompletion { employee_id, reason } => {
                let Some(offering_id) = state.id else {
                    return Err(DomainError::on(
                        "offeringId",
                        ErrorCode::NotFound,
                        "no offering is scheduled with this id",
                    ));
                };
                let place = state.place(*employee_id)?;
                if !place.completed {
                    return Err(DomainError::on(
                        "employeeId",
                        ErrorCode::NotFound,
                        "no completion is recorded",
                    ));
                }
                Ok(vec![E::CompletionRevoked {
                    offering_id,
                    employee_id: *employee_id,
                    certificate_number: place.certificate.clone(),
                    reason: validate::text("reason", reason, MAX_REASON_CHARS)?,
                }])
            }
        }
    }

    fn evolve(mut state: Offering, event: &OfferingEvent) -> Offering {
        use OfferingEvent as E;
        let set = |state: &mut Offering, employee_id: Uuid, status: PlaceStatus| {
            if let Some(p) = state.place_mut(employee_id) {
                p.status = status;
            }
        };
        match event {
            E::OfferingScheduled { offering_id, schedule } => {
                state.id = Some(*offering_id);
                state.schedule = Some(schedule.clone());
            }
            E::CapacityChanged { capacity, .. } => {
                if let Some(schedule) = state.schedule.as_mut() {
                    schedule.capacity = *capacity;
                }
            }
            E::OfferingCancelled { .. } => state.cancelled = true,
            E::PlaceRequested {
                employee_id,
                institution_id,
                ..
            } => state.places.push(Place {
                employee_id: *employee_id,
                institution_id: *institution_id,
                status: PlaceStatus::Requested,
                attendance: None,
                completed: false,
                certificate: None,
                money: Money::None,
                feedback_given: (false, false),
            }),
            E::RequestRejected { employee_id, .. } => set(&mut state, *employee_id, PlaceStatus::Rejected),
            E::ParticipantEnrolled { employee_id, .. } => set(&mut state, *employee_id, PlaceStatus::Enrolled),
            E::ParticipantWaitlisted { employee_id, .. } => {
                // The waitlist is in the order people were put on it.
                if let Some(i) = state.places.iter().rposition(|p| p.employee_id == *employee_id) {
                    let mut p = state.places.remove(i);
                    p.status = PlaceStatus::Waitlisted;
                    state.places.push(p);
                }
            }
            E::PlaceCancelled { employee_id, .. } => set(&mut state, *employee_id, PlaceStatus::Cancelled),
            E::WaitlistedParticipantPromoted { employee_id, .. } => {
                set(&mut state, *employee_id, PlaceStatus::Enrolled)
            }
            E::ParticipantSubstituted {
                employee_id,
                substitute_id,
                institution_id,
                ..
            } => {
                set(&mut state, *employee_id, PlaceStatus::Substituted);
                state.places.push(Place {
                    employee_id: *substitute_id,
                    institution_id: *institution_id,
                    status: PlaceStatus::Enrolled,
                    attendance: None,
                    completed: false,
                    certificate: None,
                    money: Money::None,
                    feedback_given: (false, false),
                });
            }
            E::AttendanceRecorded {
                employee_id,
                attendance,
                ..
            } => {
                if let Some(p) = state.place_mut(*employee_id) {
                    p.attendance = Some(*attendance);
                }
            }
            E::CompletionRecorded {
                employee_id,
                certificate_number,
                ..
            } => {
                if let Some(p) = state.place_mut(*employee_id) {
                    p.completed = true;
                    p.certificate = certificate_number.clone();
                }
            }
            E::CompletionRevoked { employee_id, .. } => {
                if let Some(p) = state.place_mut(*employee_id) {
                    p.completed = false;
                    p.certificate = None;
                }
            }
            E::FeedbackGiven {
                employee_id, feedback, ..
            } => {
                if let Some(p) = state.place_mut(*employee_id) {
                    if feedback.is_immediate() {
                        p.feedback_given.0 = true;
                    } else {
                        p.feedback_given.1 = true;
                    }
                }
            }
            E::TrainingCostCommitted(c) | E::TrainingCostReleased(c) | E::TrainingCostSpent(c) => {
                let money = match event {
                    E::TrainingCostCommitted(_) => Money::Committed,
                    E::TrainingCostSpent(_) => Money::Spent,
                    _ => Money::None,
                };
                if let Some(p) = state.place_mut(c.employee_id) {
                    p.money = money;
                }
            }
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OfferingCommand as C;
    use OfferingEvent as E;

    #[test]
    fn one_command_gives_exactly_one_kind_of_feedback() {
        let follow_up = || Feedback::FollowUp {
            applied_at_work: true,
            comment: None,
        };
        let immediate = || Feedback::Immediate {
            organisation: 5,
            content: 5,
            trainer: 5,
            usefulness: 5,
            methods: 5,
        };
        assert_eq!(Feedback::exactly_one(None, Some(follow_up())), Ok(follow_up()));
        assert_eq!(Feedback::exactly_one(Some(immediate()), None), Ok(immediate()));
        for (i, f) in [(None, None), (Some(immediate()), Some(follow_up()))] {
            let refused = Feedback::exactly_one(i, f).unwrap_err();
            assert_eq!(
                (refused.field, refused.code),
                (Some("immediate"), ErrorCode::InvalidValue)
            );
        }
    }

    const OFFERING: Uuid = Uuid::from_u128(100);
    const VID: Uuid = Uuid::from_u128(10);

    fn emp(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn scheduled(capacity: i32) -> E {
        E::OfferingScheduled {
            offering_id: OFFERING,
            schedule: Schedule {
                course_id: Uuid::from_u128(7),
                starts_on: date("2026-12-01"),
                ends_on: date("2026-12-02"),
                format: OfferingFormat::OnSite,
                capacity,
                cost_per_participant: Cents(15_000),
                organiser: "VAS".into(),
            },
        }
    }

    fn requested(n: u128) -> E {
        E::PlaceRequested {
            offering_id: OFFERING,
            employee_id: emp(n),
            institution_id: VID,
        }
    }

    fn enrolled(n: u128) -> E {
        E::ParticipantEnrolled {
            offering_id: OFFERING,
            employee_id: emp(n),
            institution_id: VID,
        }
    }

    fn when(given: &[E], c: C) -> Result<Vec<E>, DomainError> {
        Offering::decide(&c, &Offering::fold(given))
    }

    fn refused(r: Result<Vec<E>, DomainError>) -> (ErrorCode, Option<&'static str>) {
        let e = r.expect_err("refused");
        (e.code, e.field)
    }

    #[test]
    fn approval_enrols_until_full_then_waitlists() {
        let given = [scheduled(1), requested(1), requested(2), enrolled(1)];
        assert_eq!(
            when(&given, C::Approve { employee_id: emp(2) }),
            Ok(vec![E::ParticipantWaitlisted {
                offering_id: OFFERING,
                employee_id: emp(2),
                institution_id: VID
            }])
        );
        assert_eq!(
            when(&given[..3], C::Approve { employee_id: emp(2) }).unwrap()[0],
            enrolled(2)
        );
    }

    #[test]
    fn a_cancelled_seat_goes_to_the_first_on_the_waitlist() {
        let waitlisted = |n| E::ParticipantWaitlisted {
            offering_id: OFFERING,
            employee_id: emp(n),
            institution_id: VID,
        };
        let given = [
            scheduled(1),
            requested(1),
            requested(2),
            requested(3),
            enrolled(1),
            waitlisted(3),
            waitlisted(2),
        ];
        let then = when(
            &given,
            C::CancelPlace {
                employee_id: emp(1),
                reason: "slims".into(),
            },
        )
        .unwrap();
        assert_eq!(
            then[1],
            E::WaitlistedParticipantPromoted {
                offering_id: OFFERING,
                employee_id: emp(3)
            }
        );
        let state = Offering::fold(given.iter().chain(then.iter()));
        assert_eq!(state.enrolled(), 1);
    }

    #[test]
    fn requests_are_refused_for_past_cancelled_or_duplicate_places() {
        let given = [scheduled(5), requested(1)];
        let request = |n, today: &str| C::RequestPlace {
            employee_id: emp(n),
            institution_id: VID,
            today: date(today),
        };
        assert_eq!(
            refused(when(&given, request(2, "2026-12-01"))),
            (ErrorCode::InvalidValue, Some("offeringId"))
        );
        assert_eq!(
            refused(when(&given, request(1, "2026-11-01"))),
            (ErrorCode::AlreadyExists, Some("employeeId"))
        );
        let cancelled = [
            scheduled(5),
            E::OfferingCancelled {
                offering_id: OFFERING,
                reason: "x".into(),
            },
        ];
        assert_eq!(
            refused(when(&cancelled, request(2, "2026-11-01"))),
            (ErrorCode::InvalidValue, Some("offeringId"))
        );
        assert!(when(&given, request(2, "2026-11-30")).is_ok());
    }

    #[test]
    fn completion_needs_attendance_a_valid_score_and_issues_a_certificate() {
        let result = |score| Completion {
            passed: true,
            score,
            knowledge_test_passed: Some(true),
            minutes: 480,
            completed_on: date("2026-12-02"),
        };
        let given = [scheduled(5), requested(1), enrolled(1)];
        let complete = |score| C::RecordCompletion {
            employee_id: emp(1),
            result: result(score),
        };
        assert_eq!(
            refused(when(&given, complete(Some(90)))).0,
            ErrorCode::InvalidValue,
            "no attendance yet"
        );
        let attended = [
            given.to_vec(),
            vec![E::AttendanceRecorded {
                offering_id: OFFERING,
                employee_id: emp(1),
                attendance: Attendance::Attended,
            }],
        ]
        .concat();
        assert_eq!(
            refused(when(&attended, complete(Some(101)))),
            (ErrorCode::OutOfRange, Some("score"))
        );
        let then = when(&attended, complete(Some(90))).unwrap();
        let E::CompletionRecorded { certificate_number, .. } = &then[0] else {
            panic!("{then:?}")
        };
        assert_eq!(
            certificate_number.as_deref(),
            Some(Offering::certificate_number(OFFERING, emp(1)).as_str())
        );
        let mut failed = result(Some(30));
        failed.passed = false;
        let then_failed = when(
            &attended,
            C::RecordCompletion {
                employee_id: emp(1),
                result: failed,
            },
        )
        .unwrap();
        assert!(
            matches!(
                &then_failed[0],
                E::CompletionRecorded {
                    certificate_number: None,
                    ..
                }
            ),
            "no certificate for a failed result"
        );
        let done = [attended.clone(), then.clone()].concat();
        let change = C::RecordAttendance {
            employee_id: emp(1),
            attendance: Attendance::NoShowUnjustified,
        };
        assert_eq!(refused(when(&done, change)).0, ErrorCode::InvalidValue, "revoke first");
        assert_eq!(refused(when(&done, complete(Some(90)))).0, ErrorCode::AlreadyExists);
        let revoked = when(
            &done,
            C::RevokeCompletion {
                employee_id: emp(1),
                reason: "nepareizs ieraksts".into(),
            },
        )
        .unwrap();
        let after = [done, revoked].concat();
        assert!(
            when(&after, complete(Some(80))).is_ok(),
            "a corrected completion can be recorded again"
        );
    }

    #[test]
    fn a_substitute_comes_from_the_same_institution() {
        let given = [scheduled(5), requested(1), enrolled(1)];
        let other = C::Substitute {
            employee_id: emp(1),
            substitute_id: emp(2),
            substitute_institution_id: emp(99),
        };
        assert_eq!(
            refused(when(&given, other)),
            (ErrorCode::InvalidValue, Some("substituteId"))
        );
        let same = C::Substitute {
            employee_id: emp(1),
            substitute_id: emp(2),
            substitute_institution_id: VID,
        };
        let then = when(&given, same).unwrap();
        let state = Offering::fold(given.iter().chain(then.iter()));
        assert_eq!(state.enrolled(), 1);
        assert_eq!(state.place(emp(2)).unwrap().status, PlaceStatus::Enrolled);
        assert_eq!(state.place(emp(1)).unwrap().status, PlaceStatus::Substituted);
    }

    fn cost(n: u128) -> SeatCost {
        SeatCost {
            offering_id: OFFERING,
            employee_id: emp(n),
            institution_id: VID,
            budget_year: 2026,
            amount_cents: Cents(15_000),
        }
    }

    #[test]
    fn a_seat_commits_its_cost_attendance_spends_it_and_cancellation_releases_it() {
        let mut given = vec![scheduled(1), requested(1), requested(2)];
        let approve = when(&given, C::Approve { employee_id: emp(1) }).unwrap();
        assert_eq!(approve, vec![enrolled(1), E::TrainingCostCommitted(cost(1))]);
        given.extend(approve);
        given.extend(when(&given, C::Approve { employee_id: emp(2) }).unwrap());
        // The seat changes hands: 1's commitment is released, 2's made.
        let cancel = when(
            &given,
            C::CancelPlace {
                employee_id: emp(1),
                reason: "komandējums".into(),
            },
        )
        .unwrap();
        assert_eq!(cancel[1], E::TrainingCostReleased(cost(1)));
        assert_eq!(cancel[3], E::TrainingCostCommitted(cost(2)));
        given.extend(cancel);
        let attend = C::RecordAttendance {
            employee_id: emp(2),
            attendance: Attendance::NoShowUnjustified,
        };
        let spent = when(&given, attend.clone()).unwrap();
        assert_eq!(spent[1], E::TrainingCostSpent(cost(2)));
        given.extend(spent);
        assert_eq!(when(&given, attend).unwrap().len(), 1, "spent once only");
        let late = when(
            &given,
            C::CancelPlace {
                employee_id: emp(2),
                reason: "x".into(),
            },
        );
        assert_eq!(refused(late).0, ErrorCode::InvalidValue);
        let whole = when(&given, C::Cancel { reason: "x".into() });
        assert_eq!(refused(whole).0, ErrorCode::InvalidValue, "it took place");
    }

    #[test]
    fn cancelling_an_offering_releases_every_committed_seat() {
        let mut given = vec![scheduled(5), requested(1), requested(2)];
        for n in [1, 2] {
            given.extend(when(&given, C::Approve { employee_id: emp(n) }).unwrap());
        }
        let cancelled = when(
            &given,
            C::Cancel {
                reason: "lektors saslima".into(),
            },
        )
        .unwrap();
        assert_eq!(
            &cancelled[1..],
            &[E::TrainingCostReleased(cost(1)), E::TrainingCostReleased(cost(2))]
        );
    }

    #[test]
    fn each_attendee_gives_each_kind_of_feedback_once() {
        let given = [
            scheduled(5),
            requested(1),
            enrolled(1),
            E::AttendanceRecorded {
                offering_id: OFFERING,
                employee_id: emp(1),
                attendance: Attendance::Attended,
            },
        ];
        let immediate = |rating| C::GiveFeedback {
            employee_id: emp(1),
            feedback: Feedback::Immediate {
                organisation: 5,
                content: 4,
                trainer: rating,
                usefulness: 5,
                methods: 4,
            },
        };
        assert_eq!(
            refused(when(&given[..3], immediate(5))).0,
            ErrorCode::InvalidValue,
            "not attended yet"
        );
        assert_eq!(
            refused(when(&given, immediate(6))),
            (ErrorCode::OutOfRange, Some("immediate.trainer"))
        );
        let then = when(&given, immediate(5)).unwrap();
        let after = [given.to_vec(), then].concat();
        assert_eq!(
            refused(when(&after, immediate(3))),
            (ErrorCode::AlreadyExists, Some("immediate"))
        );
        let follow_up = C::GiveFeedback {
            employee_id: emp(1),
            feedback: Feedback::FollowUp {
                applied_at_work: true,
                comment: Some(" ".into()),
            },
        };
        let then = when(&after, follow_up).unwrap();
        assert!(matches!(
            &then[0],
            E::FeedbackGiven {
                feedback: Feedback::FollowUp { comment: None, .. },
                ..
            }
        ));
    }

    #[test]
    fn capacity_never_drops_below_enrolment_and_new_seats_go_to_the_waitlist() {
        let waitlisted = |n| E::ParticipantWaitlisted {
            offering_id: OFFERING,
            employee_id: emp(n),
            institution_id: VID,
        };
        let given = [
            scheduled(2),
            requested(1),
            requested(2),
            requested(3),
            enrolled(1),
            enrolled(2),
            waitlisted(3),
        ];
        let lower = when(&given, C::ChangeCapacity { capacity: 1 });
        assert_eq!(refused(lower), (ErrorCode::OutOfRange, Some("capacity")));
        let then = when(&given, C::ChangeCapacity { capacity: 3 }).unwrap();
        assert_eq!(
            then[1],
            E::WaitlistedParticipantPromoted {
                offering_id: OFFERING,
                employee_id: emp(3)
            }
        );
        assert_eq!(Offering::fold(given.iter().chain(then.iter())).enrolled(), 3);
    }

    #[test]
    fn schedules_are_checked() {
        let bad = |f: fn(&mut Schedule)| {
            let E::OfferingScheduled { schedule, .. } = scheduled(5) else {
                unreachable!()
            };
            let mut s = schedule;
            f(&mut s);
            refused(when(
                &[],
                C::Schedule {
                    offering_id: OFFERING,
                    schedule: s,
                },
            ))
            .1
        };
        assert_eq!(bad(|s| s.capacity = 0), Some("capacity"));
        assert_eq!(bad(|s| s.ends_on = date("2026-11-30")), Some("endsOn"));
        assert_eq!(
            bad(|s| s.cost_per_participant = Cents(-1)),
            Some("costPerParticipantCents")
        );
        assert_eq!(bad(|s| s.organiser = String::new()), Some("organiser"));
    }
}
