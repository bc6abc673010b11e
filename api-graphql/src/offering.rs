//! Offerings and the enrolment lifecycle over GraphQL, with rosters,
//! transcripts and certificate verification.

use async_graphql::{ComplexObject, Context, Enum, InputObject, Object, SimpleObject, ID};
use prasme_commands::{
    CancelOffering, ChangeOfferingCapacity, GiveFeedback, PlaceChange, PlaceId, RecordAttendance, RecordCompletion,
    ScheduleOffering, SubstituteParticipant,
};
use prasme_domain::offering::{Completion, Feedback, Schedule};
use prasme_projections::offering::read::{self, OfferingFilter as Filter, OfferingRow, PlaceRow};
use std::marker::PhantomData;

use prasme_commands::ReadOf;
use prasme_projections::ReadScope;
use uuid::Uuid;

use crate::complexity::page;
use crate::context::{api, read_models, reads, scope};
use crate::course::{course_by_id, Course};
use crate::employee::{employee_by_id, Employee};
use crate::errors::{bad_input, db, text_argument};
use crate::mutation::{command, outcome, settle, stream_uuid, use_cases, Outcome};
use crate::paging::{connection, window, Keyed};
use crate::payload::{names, payload_type_name, MutationName};
use crate::scalars::{Cents, Date, Position};

/// How an offering is delivered.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::offering::OfferingFormat")]
pub enum OfferingFormat {
    /// In person, at a venue.
    OnSite,
    /// Taught online.
    Online,
    /// Participants work through it on their own, at their own pace.
    SelfPaced,
}

/// Whether an enrolled participant took part. Any value spends the seat's cost; only ATTENDED and
/// PARTIALLY_ATTENDED allow a completion and feedback.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::offering::Attendance")]
pub enum Attendance {
    /// Took part.
    Attended,
    /// Took part in only some of it.
    PartiallyAttended,
    /// Did not come, for a justified reason.
    NoShowJustified,
    /// Did not come, without a justified reason.
    NoShowUnjustified,
}

/// Where a place stands in the enrolment lifecycle.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::offering::PlaceStatus")]
pub enum PlaceStatus {
    /// Asked for; waiting to be approved or rejected.
    Requested,
    /// Holds a seat.
    Enrolled,
    /// Approved while every seat was taken; waits in line for a freed or added seat.
    Waitlisted,
    /// The request was turned down.
    Rejected,
    /// Given up before it was used, or released when the offering was cancelled.
    Cancelled,
    /// Gave the seat to a substitute.
    Substituted,
}

/// One scheduled run of a course: its dates, format, seats, price and organiser, and its places.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Offering {
    #[graphql(skip)]
    pub id: Uuid,
    /// The first day (a date in Latvia); its year is the budget year of the seats' costs.
    pub starts_on: Date,
    /// The last day: the same day as `startsOn` or later.
    pub ends_on: Date,
    /// How it is delivered.
    pub format: OfferingFormat,
    /// Seats, 1 to 10 000; never below the places enrolled.
    pub capacity: i32,
    /// The price of one seat, in euro cents; 0 for a free offering. An enrolled seat's price is charged
    /// to the training budget of the institution the participant worked in when they asked for it.
    pub cost_per_participant_cents: Cents,
    /// Who runs it, e.g. "Valsts administrācijas skola".
    pub organiser: String,
    /// True once the offering is cancelled.
    pub cancelled: bool,
    /// Why it was cancelled; null unless it was.
    pub cancel_reason: Option<String>,
    #[graphql(skip)]
    pub course_id: Uuid,
}

/// One employee's place in one offering, from the request to the completion, with the result once one
/// is recorded.
#[derive(SimpleObject, Clone)]
#[graphql(complex)]
pub struct Place {
    /// Where the place stands.
    pub status: PlaceStatus,
    /// Whether the participant took part; null until attendance is recorded.
    pub attendance: Option<Attendance>,
    /// The certificate of a passed completion, e.g. "LV-VAS-9B01778EEB7453C990E18A5F25D3A250"; null
    /// without one. A revoked certificate keeps its number, with `revoked` true.
    pub certificate_number: Option<String>,
    /// Whether the participant passed; null until a completion is recorded.
    pub passed: Option<bool>,
    /// The completion's score, 0 to 100; null without a completion or when none was given.
    pub score: Option<i32>,
    /// Whether the knowledge test was passed; null when the completion does not say.
    pub knowledge_test_passed: Option<bool>,
    /// Learning time the completion credits, in minutes (1 to 60 000); null without a completion.
    pub minutes: Option<i32>,
    /// The business date of the completion; null without one.
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
    /// The employee whose place this is.
    async fn employee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Employee>> {
        employee_by_id(ctx, self.employee_id).await
    }

    /// The offering the place is in.
    async fn offering(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Offering>> {
        offering_by_id(ctx, self.offering_id).await
    }
}

#[ComplexObject]
impl Offering {
    /// The offering's id: a UUID that names this offering and nothing else, so `node(id:)` finds it.
    pub(crate) async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// The course this offering is a run of.
    async fn course(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Course>> {
        course_by_id(ctx, self.course_id).await
    }

    /// How many places are enrolled: the seats taken.
    async fn enrolled_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        read::enrolled_count(&*reads(ctx).await?, self.id).await.map_err(db)
    }

    /// What the participants said about it: average ratings and follow-up answers.
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
        #[graphql(desc = "Items to read from the start, 1 to 500; 100 when neither `first` nor `last` is given.")]
        first: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the items after it.")] after: Option<String>,
        #[graphql(desc = "Items to read from the end, 1 to 500; not together with `first`.")] last: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the items before it.")] before: Option<String>,
    ) -> async_graphql::Result<Keyed<Place>> {
        let window = window(first, after, last, before, 100)?;
        let scope = scope(ctx, ReadOf::Personal).await?;
        let page = read::roster(&*reads(ctx).await?, scope, self.id, &window)
            .await
            .map_err(db)?;
        Ok(connection(&window, page, Place::from))
    }
}

/// Averages of the immediate ratings and the follow-ups' answers.
#[derive(SimpleObject)]
pub struct FeedbackSummary {
    /// How many participants gave immediate ratings.
    pub immediate_responses: i64,
    /// Average organisation rating (1–5), with two decimals, e.g. "4.25"; null with fewer than 5
    /// immediate responses (no one's own rating can be read off an average; docs/security.md).
    pub organisation: Option<String>,
    /// Average content rating (1–5), with two decimals; null with fewer than 5 immediate responses.
    pub content: Option<String>,
    /// Average trainer rating (1–5), with two decimals; null with fewer than 5 immediate responses.
    pub trainer: Option<String>,
    /// Average usefulness rating (1–5), with two decimals; null with fewer than 5 immediate responses.
    pub usefulness: Option<String>,
    /// Average rating (1–5) of the teaching methods, with two decimals; null with fewer than 5 immediate responses.
    pub methods: Option<String>,
    /// How many participants gave the follow-up.
    pub follow_up_responses: i64,
    /// How many follow-ups say the learning is used at work; null when fewer than 5 people said yes,
    /// or fewer than 5 said no (either would tell what someone answered).
    pub applied_at_work: Option<i64>,
}

pub(crate) async fn offering_by_id(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<Option<Offering>> {
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
    /// Learning time of every completion, passed or not, in minutes; revoked ones excluded.
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
        #[graphql(desc = "Items to read from the start, 1 to 500; 100 when neither `first` nor `last` is given.")]
        first: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the items after it.")] after: Option<String>,
        #[graphql(desc = "Items to read from the end, 1 to 500; not together with `first`.")] last: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the items before it.")] before: Option<String>,
    ) -> async_graphql::Result<Keyed<Place>> {
        let window = window(first, after, last, before, 100)?;
        let scope = scope(ctx, ReadOf::Personal).await?;
        let page = read::completions(&*reads(ctx).await?, scope, self.employee_id, &window)
            .await
            .map_err(db)?;
        Ok(connection(&window, page, Place::from))
    }
}

pub(crate) async fn load_transcript(
    pool: &sqlx::PgPool,
    scope: &ReadScope,
    employee_id: Uuid,
) -> async_graphql::Result<Transcript> {
    Ok(Transcript {
        employee_id,
        total_minutes: read::completed_minutes(pool, scope, employee_id).await.map_err(db)?,
    })
}

/// Whether an offering still runs.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum OfferingStatus {
    /// Scheduled and not cancelled, whether it is still ahead or already over.
    Scheduled,
    /// Called off; its places were released.
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
    /// Offerings in this format.
    pub format: Option<OfferingFormat>,
    /// Only offerings still scheduled, or only cancelled ones.
    pub status: Option<OfferingStatus>,
    /// The organiser's exact name, in any letter case, e.g. "VAS".
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
    /// An offering by its id; null, with a NOT_FOUND error, when no offering has it.
    async fn offering(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The offering's id.")] id: Uuid,
        #[graphql(
            desc = "Waits (briefly) until the read models have projected this log position, e.g. a mutation's \
                    `position`, else READ_MODEL_BEHIND."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Option<Offering>> {
        api(ctx)?
            .reach(read_models::OFFERINGS, at_least_position.map(|p| p.0))
            .await?;
        crate::errors::found(offering_by_id(ctx, id).await?, "no offering has this id")
    }

    /// Offerings by start date, then id, narrowed by the filter; 50 a page unless `first` or `last` says.
    #[graphql(complexity = "page(first.or(last).unwrap_or(50), child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn offerings(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Which offerings to list; every offering when absent.")] filter: Option<OfferingFilter>,
        #[graphql(
            desc = "Items to read from the start, 1 to 500; 50 when neither `first` nor `last` is given."
        )]
        first: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the items after it.")] after: Option<String>,
        #[graphql(desc = "Items to read from the end, 1 to 500; not together with `first`.")] last: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the items before it.")] before: Option<String>,
        #[graphql(
            desc = "Waits (briefly) until the read models have projected this log position, e.g. a mutation's \
                    `position`, else READ_MODEL_BEHIND."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Keyed<Offering>> {
        api(ctx)?
            .reach(read_models::OFFERINGS, at_least_position.map(|p| p.0))
            .await?;
        list_offerings(ctx, filter.unwrap_or_default(), (first, after, last, before)).await
    }

    /// An employee's completed learning; a NOT_FOUND error when no employee has this id.
    async fn transcript(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The employee's id.")] employee_id: Uuid,
        #[graphql(
            desc = "Waits (briefly) until the read models have projected this log position, e.g. a mutation's \
                    `position`, else READ_MODEL_BEHIND."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Transcript> {
        let api = api(ctx)?;
        api.reach(read_models::OFFERINGS, at_least_position.map(|p| p.0))
            .await?;
        crate::employee::require_employee(ctx, employee_id).await?;
        let scope = scope(ctx, ReadOf::Personal).await?;
        load_transcript(&*reads(ctx).await?, scope, employee_id).await
    }

    /// Verifies a certificate number: the completion it stands for, with `revoked` true when it no
    /// longer counts; null, with a NOT_FOUND error, when no certificate has this number.
    async fn certificate(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "The certificate number, in any letter case, e.g. \"LV-VAS-9B01778EEB7453C990E18A5F25D3A250\"."
        )]
        number: String,
    ) -> async_graphql::Result<Option<Place>> {
        let number = text_argument("number", &number)?;
        let scope = scope(ctx, ReadOf::Personal).await?;
        let row = read::certificate(&*reads(ctx).await?, scope, &number)
            .await
            .map_err(db)?;
        crate::errors::found(row.map(Into::into), "no certificate has this number")
    }
}

/// A new offering of a course.
#[derive(InputObject)]
pub struct ScheduleOfferingInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input
    /// under the same id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// The new offering's id; defaults to the command id, so a retry names the same offering. Refused
    /// with ALREADY_EXISTS when an offering has it.
    pub offering_id: Option<Uuid>,
    /// The course to run: catalogued and not retired.
    pub course_id: Uuid,
    /// The first day; its year is 2021 to 2035 and becomes the budget year of the seats' costs. May be
    /// in the past.
    pub starts_on: Date,
    /// The last day: the same day as `startsOn` or later.
    pub ends_on: Date,
    /// How it is delivered.
    pub format: OfferingFormat,
    /// Seats, 1 to 10 000.
    pub capacity: i32,
    /// The price of one seat, in euro cents, from 0 (free) to 10 000 000 000 000.
    pub cost_per_participant_cents: Cents,
    /// Who runs it, 1 to 200 characters, e.g. "Valsts administrācijas skola".
    pub organiser: String,
}

/// A new number of seats for an offering.
#[derive(InputObject)]
pub struct ChangeOfferingCapacityInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input
    /// under the same id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this version.
    pub expected_version: Option<i64>,
    /// The offering: scheduled and not cancelled.
    pub offering_id: Uuid,
    /// Seats, 1 to 10 000, and not the current number; never below the participants already enrolled.
    /// New seats go to the waitlist first.
    pub capacity: i32,
}

/// An offering to call off, and why.
#[derive(InputObject)]
pub struct CancelOfferingInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input
    /// under the same id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this version.
    pub expected_version: Option<i64>,
    /// The offering: scheduled and not cancelled.
    pub offering_id: Uuid,
    /// Why it is called off, 1 to 1 000 characters.
    pub reason: String,
}

/// A place of one employee in one offering.
#[derive(InputObject)]
pub struct PlaceInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input
    /// under the same id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this version.
    pub expected_version: Option<i64>,
    /// The offering.
    pub offering_id: Uuid,
    /// The employee whose place it is.
    pub employee_id: Uuid,
    /// Why, 1 to 1 000 characters: required by rejectPlace, cancelPlace and revokeCompletion; ignored
    /// by requestPlace and approvePlace.
    pub reason: Option<String>,
}

/// A participant who gives up an enrolled seat, and the colleague who takes it.
#[derive(InputObject)]
pub struct SubstituteParticipantInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input
    /// under the same id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this version.
    pub expected_version: Option<i64>,
    /// The offering: scheduled and not cancelled.
    pub offering_id: Uuid,
    /// The enrolled participant giving up the seat; refused once their attendance is recorded.
    pub employee_id: Uuid,
    /// The colleague taking the seat: hired, not left, now working at the place's institution, and
    /// without a requested, enrolled or waitlisted place in this offering.
    pub substitute_id: Uuid,
}

/// Whether one enrolled participant took part.
#[derive(InputObject)]
pub struct RecordAttendanceInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input
    /// under the same id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this version.
    pub expected_version: Option<i64>,
    /// The offering: scheduled and not cancelled.
    pub offering_id: Uuid,
    /// The participant: their place must be enrolled.
    pub employee_id: Uuid,
    /// Whether they took part; replaces any value recorded before.
    pub attendance: Attendance,
}

/// The result of one participant who attended.
#[derive(InputObject)]
pub struct RecordCompletionInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input
    /// under the same id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this version.
    pub expected_version: Option<i64>,
    /// The offering: scheduled and not cancelled.
    pub offering_id: Uuid,
    /// The participant: enrolled, with attendance ATTENDED or PARTIALLY_ATTENDED.
    pub employee_id: Uuid,
    /// Whether they passed; only a passed result gets a certificate.
    pub passed: bool,
    /// The score, 0 to 100, when the course is scored.
    pub score: Option<i32>,
    /// Whether the knowledge test was passed, when the course has one.
    pub knowledge_test_passed: Option<bool>,
    /// Learning time to credit, in minutes, 1 to 60 000.
    pub minutes: i32,
    /// The business date it happened; may be in the past.
    pub completed_on: Date,
}

/// Ratings 1–5 given right after the training.
#[derive(InputObject)]
pub struct ImmediateFeedbackInput {
    /// The organisation of the training, 1 to 5.
    pub organisation: i32,
    /// Its content, 1 to 5.
    pub content: i32,
    /// The trainer, 1 to 5.
    pub trainer: i32,
    /// How useful it is, 1 to 5.
    pub usefulness: i32,
    /// Effectiveness of the teaching methods, 1 to 5.
    pub methods: i32,
}

/// Given some 6–12 months after the training (the date is not checked).
#[derive(InputObject)]
pub struct FollowUpFeedbackInput {
    /// Is what was learnt used at work?
    pub applied_at_work: bool,
    /// Optional free text, up to 1 000 characters; an empty one counts as absent.
    pub comment: Option<String>,
}

/// One participant's feedback: exactly one of `immediate` and `followUp`; both or neither is refused with
/// INVALID_VALUE.
#[derive(InputObject)]
pub struct GiveFeedbackInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input
    /// under the same id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// When given, the command is refused with WRONG_EXPECTED_VERSION unless the stream is at this version.
    pub expected_version: Option<i64>,
    /// The offering.
    pub offering_id: Uuid,
    /// The participant: their attendance is ATTENDED or PARTIALLY_ATTENDED.
    pub employee_id: Uuid,
    /// Ratings given right after the training; once per participant.
    pub immediate: Option<ImmediateFeedbackInput>,
    /// The later answer on whether the learning is used at work; once per participant.
    pub follow_up: Option<FollowUpFeedbackInput>,
}

/// What a command on an offering answers: the offering it acted on, as
/// the read model has it once the command is projected.
#[derive(SimpleObject)]
#[graphql(complex, name_type)]
pub struct OfferingPayload<M: MutationName> {
    /// The offering the command acted on; null when it was refused.
    pub offering_id: Option<Uuid>,
    #[graphql(flatten)]
    pub outcome: Outcome,
    #[graphql(skip)]
    mutation: PhantomData<M>,
}
payload_type_name!(OfferingPayload);

#[ComplexObject]
impl<M: MutationName> OfferingPayload<M> {
    /// The offering as the read model has it once this command is projected.
    async fn offering(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Offering>> {
        projected_offering(ctx, self.offering_id, &self.outcome).await
    }
}

/// What a command on one employee's place answers: the place and its
/// offering, as the read models have them once the command is projected
/// (so `approvePlace` says whether the person was enrolled or waitlisted).
#[derive(SimpleObject)]
#[graphql(complex, name_type)]
pub struct PlacePayload<M: MutationName> {
    /// The offering the command acted on; null when it was refused.
    pub offering_id: Option<Uuid>,
    /// The employee whose place it is (for a substitution, the one who gave the seat up).
    pub employee_id: Uuid,
    #[graphql(flatten)]
    pub outcome: Outcome,
    #[graphql(skip)]
    mutation: PhantomData<M>,
}
payload_type_name!(PlacePayload);

#[ComplexObject]
impl<M: MutationName> PlacePayload<M> {
    /// The offering as the read model has it once this command is projected.
    async fn offering(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Offering>> {
        projected_offering(ctx, self.offering_id, &self.outcome).await
    }

    /// The employee's place, with its status, once this command is projected; null when the command was refused.
    async fn place(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Place>> {
        let (Some(offering), Some(position)) = (self.offering_id, self.outcome.position) else {
            return Ok(None);
        };
        api(ctx)?.reach(read_models::OFFERINGS, Some(position.0)).await?;
        let scope = scope(ctx, ReadOf::Personal).await?;
        let row = read::place_of(&*reads(ctx).await?, scope, offering, self.employee_id)
            .await
            .map_err(db)?;
        Ok(row.map(Into::into))
    }
}

async fn projected_offering(
    ctx: &Context<'_>,
    offering: Option<Uuid>,
    outcome: &Outcome,
) -> async_graphql::Result<Option<Offering>> {
    let (Some(id), Some(position)) = (offering, outcome.position) else {
        return Ok(None);
    };
    api(ctx)?.reach(read_models::OFFERINGS, Some(position.0)).await?;
    offering_by_id(ctx, id).await
}

/// A reused command id answers with its first result, whichever stream that was.
fn payload<M: MutationName>(
    result: Result<prasme_commands::Accepted, Vec<crate::errors::UserError>>,
) -> OfferingPayload<M> {
    OfferingPayload {
        offering_id: result.as_ref().ok().and_then(|a| stream_uuid(&a.stream_id)),
        outcome: outcome(&result),
        mutation: PhantomData,
    }
}

fn place_payload<M: MutationName>(
    employee_id: Uuid,
    result: Result<prasme_commands::Accepted, Vec<crate::errors::UserError>>,
) -> PlacePayload<M> {
    PlacePayload {
        offering_id: result.as_ref().ok().and_then(|a| stream_uuid(&a.stream_id)),
        employee_id,
        outcome: outcome(&result),
        mutation: PhantomData,
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
    /// Schedules a run of a catalogued course that is not retired.
    async fn schedule_offering(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The offering to schedule.")] input: ScheduleOfferingInput,
    ) -> async_graphql::Result<OfferingPayload<names::ScheduleOffering>> {
        let cc = command(ctx, input.command_id, None)?;
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

    /// Changes the number of seats of an open offering; added seats go to the waitlist first, in its
    /// order.
    async fn change_offering_capacity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The offering and its new capacity.")] input: ChangeOfferingCapacityInput,
    ) -> async_graphql::Result<OfferingPayload<names::ChangeOfferingCapacity>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let change = ChangeOfferingCapacity {
            offering_id: input.offering_id,
            capacity: input.capacity,
        };
        Ok(payload(settle(
            use_cases(ctx)?.change_offering_capacity(&cc, change).await,
        )?))
    }

    /// Calls the offering off and releases every seat: its requested, enrolled and waitlisted places
    /// become CANCELLED. Refused once attendance is recorded for anyone.
    async fn cancel_offering(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The offering and why it is called off.")] input: CancelOfferingInput,
    ) -> async_graphql::Result<OfferingPayload<names::CancelOffering>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let cancel = CancelOffering {
            offering_id: input.offering_id,
            reason: input.reason,
        };
        Ok(payload(settle(use_cases(ctx)?.cancel_offering(&cc, cancel).await)?))
    }

    /// An employee (or HR for them) asks for a place; a manager or HR decides. Refused when the employee
    /// has left, already has a requested, enrolled or waitlisted place, or the offering has started.
    async fn request_place(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The offering and the employee asking for a place.")] input: PlaceInput,
    ) -> async_graphql::Result<PlacePayload<names::RequestPlace>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let employee_id = input.employee_id;
        Ok(place_payload(
            employee_id,
            settle(use_cases(ctx)?.request_place(&cc, place_id(&input)).await)?,
        ))
    }

    /// Enrols the requester, or waitlists them when the offering is full.
    async fn approve_place(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The requested place to approve.")] input: PlaceInput,
    ) -> async_graphql::Result<PlacePayload<names::ApprovePlace>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let employee_id = input.employee_id;
        Ok(place_payload(
            employee_id,
            settle(use_cases(ctx)?.approve_place(&cc, place_id(&input)).await)?,
        ))
    }

    /// Turns a requested place down. A waitlisted place cannot be rejected, only cancelled.
    async fn reject_place(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The requested place to turn down, and why.")] input: PlaceInput,
    ) -> async_graphql::Result<PlacePayload<names::RejectPlace>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let employee_id = input.employee_id;
        Ok(place_payload(
            employee_id,
            settle(use_cases(ctx)?.reject_place(&cc, change(input)).await)?,
        ))
    }

    /// Gives up a requested, waitlisted or enrolled place; refused once its attendance is recorded. A freed
    /// seat goes to the first on the waitlist.
    async fn cancel_place(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The place to give up, and why.")] input: PlaceInput,
    ) -> async_graphql::Result<PlacePayload<names::CancelPlace>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let employee_id = input.employee_id;
        Ok(place_payload(
            employee_id,
            settle(use_cases(ctx)?.cancel_place(&cc, change(input)).await)?,
        ))
    }

    /// HR gives a participant's seat to a colleague of the same institution; the seat's committed cost
    /// moves with it.
    async fn substitute_participant(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The seat, its participant and the substitute.")] input: SubstituteParticipantInput,
    ) -> async_graphql::Result<PlacePayload<names::SubstituteParticipant>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let employee_id = input.employee_id;
        let substitute = SubstituteParticipant {
            offering_id: input.offering_id,
            employee_id: input.employee_id,
            substitute_id: input.substitute_id,
        };
        Ok(place_payload(
            employee_id,
            settle(use_cases(ctx)?.substitute_participant(&cc, substitute).await)?,
        ))
    }

    /// Records whether an enrolled participant took part, replacing an earlier value; refused while a
    /// completion is recorded for the place. Any value spends the seat's cost.
    async fn record_attendance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The participant and their attendance.")] input: RecordAttendanceInput,
    ) -> async_graphql::Result<PlacePayload<names::RecordAttendance>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let employee_id = input.employee_id;
        let attendance = RecordAttendance {
            offering_id: input.offering_id,
            employee_id: input.employee_id,
            attendance: input.attendance.into(),
        };
        Ok(place_payload(
            employee_id,
            settle(use_cases(ctx)?.record_attendance(&cc, attendance).await)?,
        ))
    }

    /// Records the result of a participant who attended; a passed result gets a certificate with a
    /// verifiable number. Refused when a completion is already recorded and not revoked.
    async fn record_completion(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The participant and their result.")] input: RecordCompletionInput,
    ) -> async_graphql::Result<PlacePayload<names::RecordCompletion>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let employee_id = input.employee_id;
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
        Ok(place_payload(
            employee_id,
            settle(use_cases(ctx)?.record_completion(&cc, completion).await)?,
        ))
    }

    /// Impact evaluation: each participant who attended gives each kind once.
    async fn give_feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The participant and their feedback.")] input: GiveFeedbackInput,
    ) -> async_graphql::Result<PlacePayload<names::GiveFeedback>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let employee_id = input.employee_id;
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
        Ok(place_payload(
            employee_id,
            settle(use_cases(ctx)?.give_feedback(&cc, feedback).await)?,
        ))
    }

    /// Corrects a wrong completion, passed or failed; the certificate is marked revoked, and the
    /// completion can then be recorded again.
    async fn revoke_completion(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The completed place, and why it is revoked.")] input: PlaceInput,
    ) -> async_graphql::Result<PlacePayload<names::RevokeCompletion>> {
        let cc = command(ctx, input.command_id, input.expected_version)?;
        let employee_id = input.employee_id;
        Ok(place_payload(
            employee_id,
            settle(use_cases(ctx)?.revoke_completion(&cc, change(input)).await)?,
        ))
    }
}
