//! Offerings and the enrolment lifecycle over GraphQL, with rosters,
//! transcripts and certificate verification.

use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject};
use prasme_commands::{
    CancelOffering, ChangeOfferingCapacity, GiveFeedback, PlaceChange, PlaceId, RecordAttendance, RecordCompletion,
    ScheduleOffering, SubstituteParticipant,
};
use prasme_domain::offering::{Completion, Feedback, Schedule};
use prasme_projections::offering::read::{self, OfferingFilter as Filter, OfferingRow, PlaceRow};
use uuid::Uuid;

use crate::complexity::page;
use crate::context::{api, read_models, reads};
use crate::course::{course_by_id, Course};
use crate::employee::{employee_by_id, Employee};
use crate::errors::{bad_input, db, text_argument};
use crate::mutation::{command, outcome, settle, stream_uuid, use_cases, Outcome};
use crate::paging::{connection, window, Keyed};
use crate::scalars::{Cents, Date, Position};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::offering::OfferingFormat")]
pub enum OfferingFormat {
    OnSite,
    Online,
    SelfPaced,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::offering::Attendance")]
pub enum Attendance {
    Attended,
    PartiallyAttended,
    NoShowJustified,
    NoShowUnjustified,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::offering::PlaceStatus")]
pub enum PlaceStatus {
    Requested,
    Enrolled,
    Waitlisted,
    Rejected,
    Cancelled,
    /// Gave the seat to a substitute.
    Substituted,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Offering {
    pub id: Uuid,
    pub starts_on: Date,
    pub ends_on: Date,
    pub format: OfferingFormat,
    pub capacity: i32,
    pub cost_per_participant_cents: Cents,
    pub organiser: String,
    pub cancelled: bool,
    pub cancel_reason: Option<String>,
    #[graphql(skip)]
    pub course_id: Uuid,
}

#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Place {
    pub status: PlaceStatus,
    pub attendance: Option<Attendance>,
    pub certificate_number: Option<String>,
    pub passed: Option<bool>,
    pub score: Option<i32>,
    pub knowledge_test_passed: Option<bool>,
    pub minutes: Option<i32>,
    pub completed_on: Option<Date>,
    /// The completion was revoked; the certificate no longer counts.
    pub revoked: bool,
    #[graphql(skip)]
    pub offering_id: Uuid,
    #[graphql(skip)]
    pub employee_id: Uuid,
}

impl From<PlaceRow> for Place {
    fn from(r: PlaceRow) -> Self {
        Place {
            status: r.status.into(),
            attendance: r.attendance.map(Into::into),
            certificate_number: r.certificate_number,
            passed: r.passed,
            score: r.score,
            knowledge_test_passed: r.knowledge_test_passed,
            minutes: r.minutes,
            completed_on: r.completed_on.map(Date),
            revoked: r.revoked,
            offering_id: r.offering_id,
            employee_id: r.employee_id,
        }
    }
}

#[ComplexObject]
impl Place {
    async fn employee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee_by_id(ctx, self.employee_id).await
    }

    async fn offering(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Offering>> {
        offering_by_id(ctx, self.offering_id).await
    }
}

#[ComplexObject]
impl Offering {
    async fn course(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Course>> {
        course_by_id(ctx, self.course_id).await
    }

    async fn enrolled_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        read::enrolled_count(&*reads(ctx).await?, self.id).await.map_err(db)
    }

    async fn feedback_summary(&self, ctx: &Context<'_>) -> async_graphql::Result<FeedbackSummary> {
        let r = read::feedback_summary(&*reads(ctx).await?, self.id).await.map_err(db)?;
        Ok(FeedbackSummary {
            immediate_responses: r.immediate_responses,
            organisation: r.organisation,
            content: r.content,
            trainer: r.trainer,
            usefulness: r.usefulness,
            methods: r.methods,
            follow_up_responses: r.follow_up_responses,
            applied_at_work: r.applied_at_work,
        })
    }

    /// Every place: enrolled first, then the waitlist in its order, then
    /// requests, then the rest; 100 a page unless `first` or `last` says.
    #[graphql(complexity = "page(first.or(last).unwrap_or(100), child_complexity)")]
    async fn roster(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Keyed<Place>> {
        let window = window(first, after, last, before, 100)?;
        let page = read::roster(&*reads(ctx).await?, self.id, &window).await.map_err(db)?;
        Ok(connection(&window, page, Place::from))
    }
}

/// Averages of the immediate ratings and the follow-ups' answers.
#[derive(SimpleObject)]
pub struct FeedbackSummary {
    pub immediate_responses: i64,
    /// Averages of the 1–5 ratings, two decimals; null without responses.
    pub organisation: Option<String>,
    pub content: Option<String>,
    pub trainer: Option<String>,
    pub usefulness: Option<String>,
    pub methods: Option<String>,
    pub follow_up_responses: i64,
    /// Follow-ups saying the learning is used at work.
    pub applied_at_work: i64,
}

async fn offering_by_id(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<Offering>> {
    load_offering(&*reads(ctx).await?, id).await
}

pub(crate) async fn load_offering(pool: &sqlx::PgPool, id: Uuid) -> async_graphql::Result<Option<Offering>> {
    Ok(read::offering(pool, id).await.map_err(db)?.map(Into::into))
}

impl From<OfferingRow> for Offering {
    fn from(r: OfferingRow) -> Self {
        Offering {
            id: r.id,
            starts_on: Date(r.starts_on),
            ends_on: Date(r.ends_on),
            format: r.format.into(),
            capacity: r.capacity,
            cost_per_participant_cents: Cents(r.cost_per_participant.0),
            organiser: r.organiser,
            cancelled: r.cancelled,
            cancel_reason: r.cancel_reason,
            course_id: r.course_id,
        }
    }
}

/// An employee's completed learning.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Transcript {
    #[graphql(skip)]
    pub employee_id: Uuid,
    /// Learning time of every completion, passed or not.
    pub total_minutes: i64,
}

#[ComplexObject]
impl Transcript {
    /// Completions, passed or failed, revoked ones excluded, newest first;
    /// 100 a page unless `first` or `last` says.
    #[graphql(complexity = "page(first.or(last).unwrap_or(100), child_complexity)")]
    async fn completions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<Keyed<Place>> {
        let window = window(first, after, last, before, 100)?;
        let page = read::completions(&*reads(ctx).await?, self.employee_id, &window)
            .await
            .map_err(db)?;
        Ok(connection(&window, page, Place::from))
    }
}

pub(crate) async fn load_transcript(pool: &sqlx::PgPool, employee_id: Uuid) -> async_graphql::Result<Transcript> {
    Ok(Transcript {
        employee_id,
        total_minutes: read::completed_minutes(pool, employee_id).await.map_err(db)?,
    })
}

/// Whether an offering still runs.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum OfferingStatus {
    /// Scheduled and not cancelled, whether it is still ahead or already over.
    Scheduled,
    Cancelled,
}

/// Which offerings to list; every field narrows the list, and an absent one does not.
#[derive(InputObject, Default)]
pub struct OfferingFilter {
    /// Offerings of this course.
    pub course: Option<Uuid>,
    /// Starting on or after this day.
    pub from: Option<Date>,
    /// Starting on or before this day.
    pub to: Option<Date>,
    pub format: Option<OfferingFormat>,
    pub status: Option<OfferingStatus>,
    /// The organiser's name, in any letter case, e.g. "VAS".
    pub organiser: Option<String>,
}

/// Offerings by start date, then id, as a connection; 50 a page unless
/// `first` or `last` says.
pub(crate) async fn list_offerings(
    ctx: &Context<'_>,
    filter: OfferingFilter,
    paging: (Option<i32>, Option<String>, Option<i32>, Option<String>),
) -> async_graphql::Result<Keyed<Offering>> {
    let (first, after, last, before) = paging;
    let window = window(first, after, last, before, 50)?;
    if let (Some(from), Some(to)) = (&filter.from, &filter.to) {
        if from.0 > to.0 {
            return Err(bad_input("filter.from must not be after filter.to"));
        }
    }
    let filter = Filter {
        course: filter.course,
        from: filter.from.map(|d| d.0),
        to: filter.to.map(|d| d.0),
        format: filter.format.map(Into::into),
        cancelled: filter.status.map(|s| s == OfferingStatus::Cancelled),
        organiser: filter
            .organiser
            .map(|o| text_argument("filter.organiser", &o))
            .transpose()?,
    };
    let page = read::offerings(&*reads(ctx).await?, &filter, &window)
        .await
        .map_err(db)?;
    Ok(connection(&window, page, Offering::from))
}

#[derive(Default)]
pub struct OfferingQuery;

#[Object]
impl OfferingQuery {
    async fn offering(
        &self,
        ctx: &Context<'_>,
        id: Uuid,
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Option<Offering>> {
        api(ctx)?
            .reach(read_models::OFFERINGS, at_least_position.map(|p| p.0))
            .await?;
        crate::errors::found(offering_by_id(ctx, id).await?, "no offering has this id")
    }

    /// Offerings by start date, then id, narrowed by the filter.
    #[graphql(complexity = "page(first.or(last).unwrap_or(50), child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn offerings(
        &self,
        ctx: &Context<'_>,
        filter: Option<OfferingFilter>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Keyed<Offering>> {
        api(ctx)?
            .reach(read_models::OFFERINGS, at_least_position.map(|p| p.0))
            .await?;
        list_offerings(ctx, filter.unwrap_or_default(), (first, after, last, before)).await
    }

    async fn transcript(
        &self,
        ctx: &Context<'_>,
        employee_id: Uuid,
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Transcript> {
        let api = api(ctx)?;
        api.reach(read_models::OFFERINGS, at_least_position.map(|p| p.0))
            .await?;
        crate::employee::require_employee(ctx, employee_id).await?;
        load_transcript(&*reads(ctx).await?, employee_id).await
    }

    /// Verifies a certificate number: the completion it stands for, or null.
    async fn certificate(&self, ctx: &Context<'_>, number: String) -> async_graphql::Result<Option<Place>> {
        let number = text_argument("number", &number)?;
        let row = read::certificate(&*reads(ctx).await?, &number).await.map_err(db)?;
        crate::errors::found(row.map(Into::into), "no certificate has this number")
    }
}

#[derive(InputObject)]
pub struct ScheduleOfferingInput {
    pub command_id: Option<Uuid>,
    /// Defaults to the command id.
    pub offering_id: Option<Uuid>,
    pub course_id: Uuid,
    pub starts_on: Date,
    pub ends_on: Date,
    pub format: OfferingFormat,
    pub capacity: i32,
    pub cost_per_participant_cents: Cents,
    pub organiser: String,
}

#[derive(InputObject)]
pub struct ChangeOfferingCapacityInput {
    pub command_id: Option<Uuid>,
    pub expected_version: Option<i64>,
    pub offering_id: Uuid,
    /// Never below the participants already enrolled; new seats go to the waitlist first.
    pub capacity: i32,
}

#[derive(InputObject)]
pub struct CancelOfferingInput {
    pub command_id: Option<Uuid>,
    pub expected_version: Option<i64>,
    pub offering_id: Uuid,
    pub reason: String,
}

/// A place of one employee in one offering.
#[derive(InputObject)]
pub struct PlaceInput {
    pub command_id: Option<Uuid>,
    pub expected_version: Option<i64>,
    pub offering_id: Uuid,
    pub employee_id: Uuid,
    /// With rejectPlace, cancelPlace and revokeCompletion.
    pub reason: Option<String>,
}

#[derive(InputObject)]
pub struct SubstituteParticipantInput {
    pub command_id: Option<Uuid>,
    pub expected_version: Option<i64>,
    pub offering_id: Uuid,
    pub employee_id: Uuid,
    pub substitute_id: Uuid,
}

#[derive(InputObject)]
pub struct RecordAttendanceInput {
    pub command_id: Option<Uuid>,
    pub expected_version: Option<i64>,
    pub offering_id: Uuid,
    pub employee_id: Uuid,
    pub attendance: Attendance,
}

#[derive(InputObject)]
pub struct RecordCompletionInput {
    pub command_id: Option<Uuid>,
    pub expected_version: Option<i64>,
    pub offering_id: Uuid,
    pub employee_id: Uuid,
    pub passed: bool,
    /// 0–100.
    pub score: Option<i32>,
    pub knowledge_test_passed: Option<bool>,
    pub minutes: i32,
    /// The business date it happened; may be in the past.
    pub completed_on: Date,
}

/// Ratings 1–5 given right after the training.
#[derive(InputObject)]
pub struct ImmediateFeedbackInput {
    pub organisation: i32,
    pub content: i32,
    pub trainer: i32,
    pub usefulness: i32,
    /// Effectiveness of the teaching methods.
    pub methods: i32,
}

/// Given some 6–12 months later.
#[derive(InputObject)]
pub struct FollowUpFeedbackInput {
    /// Is what was learnt used at work?
    pub applied_at_work: bool,
    pub comment: Option<String>,
}

/// Exactly one of `immediate` and `followUp`.
#[derive(InputObject)]
pub struct GiveFeedbackInput {
    pub command_id: Option<Uuid>,
    pub expected_version: Option<i64>,
    pub offering_id: Uuid,
    pub employee_id: Uuid,
    pub immediate: Option<ImmediateFeedbackInput>,
    pub follow_up: Option<FollowUpFeedbackInput>,
}

#[derive(SimpleObject)]
#[graphql(complex)]
pub struct OfferingPayload {
    pub offering_id: Option<Uuid>,
    #[graphql(flatten)]
    pub outcome: Outcome,
}

#[ComplexObject]
impl OfferingPayload {
    /// The offering as the read model has it once this command is projected.
    async fn offering(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Offering>> {
        let (Some(id), Some(position)) = (self.offering_id, self.outcome.position) else {
            return Ok(None);
        };
        api(ctx)?.reach(read_models::OFFERINGS, Some(position.0)).await?;
        offering_by_id(ctx, id).await
    }
}

/// A reused command id answers with its first result, whichever stream that was.
fn payload(result: Result<prasme_commands::Accepted, Vec<crate::errors::UserError>>) -> OfferingPayload {
    OfferingPayload {
        offering_id: result.as_ref().ok().and_then(|a| stream_uuid(&a.stream_id)),
        outcome: outcome(&result),
    }
}

fn place_id(input: &PlaceInput) -> PlaceId {
    PlaceId {
        offering_id: input.offering_id,
        employee_id: input.employee_id,
    }
}

fn change(input: PlaceInput) -> PlaceChange {
    PlaceChange {
        offering_id: input.offering_id,
        employee_id: input.employee_id,
        reason: input.reason.unwrap_or_default(),
    }
}

#[derive(Default)]
pub struct OfferingMutation;

#[Object]
impl OfferingMutation {
    async fn schedule_offering(
        &self,
        ctx: &Context<'_>,
        input: ScheduleOfferingInput,
    ) -> async_graphql::Result<OfferingPayload> {
        let cc = command(ctx, input.command_id, None);
        let schedule = ScheduleOffering {
            offering_id: input.offering_id,
            schedule: Schedule {
                course_id: input.course_id,
                starts_on: input.starts_on.0,
                ends_on: input.ends_on.0,
                format: input.format.into(),
                capacity: input.capacity,
                cost_per_participant: input.cost_per_participant_cents.into(),
                organiser: input.organiser,
            },
        };
        Ok(payload(settle(use_cases(ctx)?.schedule_offering(&cc, schedule).await)?))
    }

    async fn change_offering_capacity(
        &self,
        ctx: &Context<'_>,
        input: ChangeOfferingCapacityInput,
    ) -> async_graphql::Result<OfferingPayload> {
        let cc = command(ctx, input.command_id, input.expected_version);
        let change = ChangeOfferingCapacity {
            offering_id: input.offering_id,
            capacity: input.capacity,
        };
        Ok(payload(settle(
            use_cases(ctx)?.change_offering_capacity(&cc, change).await,
        )?))
    }

    /// Releases every seat.
    async fn cancel_offering(
        &self,
        ctx: &Context<'_>,
        input: CancelOfferingInput,
    ) -> async_graphql::Result<OfferingPayload> {
        let cc = command(ctx, input.command_id, input.expected_version);
        let cancel = CancelOffering {
            offering_id: input.offering_id,
            reason: input.reason,
        };
        Ok(payload(settle(use_cases(ctx)?.cancel_offering(&cc, cancel).await)?))
    }

    /// An employee (or HR for them) asks for a place; a manager or HR decides.
    async fn request_place(&self, ctx: &Context<'_>, input: PlaceInput) -> async_graphql::Result<OfferingPayload> {
        let cc = command(ctx, input.command_id, input.expected_version);
        Ok(payload(settle(
            use_cases(ctx)?.request_place(&cc, place_id(&input)).await,
        )?))
    }

    /// Enrols the requester, or waitlists them when the offering is full.
    async fn approve_place(&self, ctx: &Context<'_>, input: PlaceInput) -> async_graphql::Result<OfferingPayload> {
        let cc = command(ctx, input.command_id, input.expected_version);
        Ok(payload(settle(
            use_cases(ctx)?.approve_place(&cc, place_id(&input)).await,
        )?))
    }

    async fn reject_place(&self, ctx: &Context<'_>, input: PlaceInput) -> async_graphql::Result<OfferingPayload> {
        let cc = command(ctx, input.command_id, input.expected_version);
        Ok(payload(settle(use_cases(ctx)?.reject_place(&cc, change(input)).await)?))
    }

    /// Frees the seat; the first on the waitlist is promoted.
    async fn cancel_place(&self, ctx: &Context<'_>, input: PlaceInput) -> async_graphql::Result<OfferingPayload> {
        let cc = command(ctx, input.command_id, input.expected_version);
        Ok(payload(settle(use_cases(ctx)?.cancel_place(&cc, change(input)).await)?))
    }

    /// HR gives a participant's seat to a colleague of the same institution.
    async fn substitute_participant(
        &self,
        ctx: &Context<'_>,
        input: SubstituteParticipantInput,
    ) -> async_graphql::Result<OfferingPayload> {
        let cc = command(ctx, input.command_id, input.expected_version);
        let substitute = SubstituteParticipant {
            offering_id: input.offering_id,
            employee_id: input.employee_id,
            substitute_id: input.substitute_id,
        };
        Ok(payload(settle(
            use_cases(ctx)?.substitute_participant(&cc, substitute).await,
        )?))
    }

    async fn record_attendance(
        &self,
        ctx: &Context<'_>,
        input: RecordAttendanceInput,
    ) -> async_graphql::Result<OfferingPayload> {
        let cc = command(ctx, input.command_id, input.expected_version);
        let attendance = RecordAttendance {
            offering_id: input.offering_id,
            employee_id: input.employee_id,
            attendance: input.attendance.into(),
        };
        Ok(payload(settle(
            use_cases(ctx)?.record_attendance(&cc, attendance).await,
        )?))
    }

    /// Records the result and issues a certificate with a verifiable number.
    async fn record_completion(
        &self,
        ctx: &Context<'_>,
        input: RecordCompletionInput,
    ) -> async_graphql::Result<OfferingPayload> {
        let cc = command(ctx, input.command_id, input.expected_version);
        let completion = RecordCompletion {
            offering_id: input.offering_id,
            employee_id: input.employee_id,
            result: Completion {
                passed: input.passed,
                score: input.score,
                knowledge_test_passed: input.knowledge_test_passed,
                minutes: input.minutes,
                completed_on: input.completed_on.0,
            },
        };
        Ok(payload(settle(
            use_cases(ctx)?.record_completion(&cc, completion).await,
        )?))
    }

    /// Impact evaluation: each participant who attended gives each kind once.
    async fn give_feedback(
        &self,
        ctx: &Context<'_>,
        input: GiveFeedbackInput,
    ) -> async_graphql::Result<OfferingPayload> {
        let cc = command(ctx, input.command_id, input.expected_version);
        let feedback = GiveFeedback {
            offering_id: input.offering_id,
            employee_id: input.employee_id,
            immediate: input.immediate.map(|i| Feedback::Immediate {
                organisation: i.organisation,
                content: i.content,
                trainer: i.trainer,
                usefulness: i.usefulness,
                methods: i.methods,
            }),
            follow_up: input.follow_up.map(|f| Feedback::FollowUp {
                applied_at_work: f.applied_at_work,
                comment: f.comment,
            }),
        };
        Ok(payload(settle(use_cases(ctx)?.give_feedback(&cc, feedback).await)?))
    }

    /// Corrects a wrong completion; the certificate is marked revoked.
    async fn revoke_completion(&self, ctx: &Context<'_>, input: PlaceInput) -> async_graphql::Result<OfferingPayload> {
        let cc = command(ctx, input.command_id, input.expected_version);
        Ok(payload(settle(
            use_cases(ctx)?.revoke_completion(&cc, change(input)).await,
        )?))
    }
}
