//! 360-degree feedback cycles over GraphQL: opened on an employee, raters
//! invited, feedback submitted, closed or cancelled, a closed cycle's
//! result recorded as a FEEDBACK_360 assessment; one cycle with its counts
//! per group and, once closed, its report. No field anywhere names the
//! rater of a submission: the groups are counts, the report averages and
//! unattributed comments of released groups.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use prasme_commands::{
    CancelFeedbackCycle, CloseFeedbackCycle, FeedbackInvitation as Invitation, InviteRater, OpenFeedbackCycle, ReadOf,
    RecordFeedbackResult, SubmitFeedback,
};
use prasme_domain::feedback_cycle as domain;
use prasme_projections::feedback::read::{self, CycleRow};
use prasme_projections::page::Page;
use prasme_projections::ReadScope;
use sqlx::PgPool;
use std::marker::PhantomData;
use uuid::Uuid;

use crate::competency::{level_number, saturating_u8};
use crate::complexity::page;
use crate::context::{api, read_models, reads, scope};
use crate::errors::{db, internal_because, not_found, user_errors, UserError};
use crate::mutation::{command, outcome, settle, stream_uuid, use_cases, Outcome};
use crate::paging::{connection, window, Keyed};
use crate::payload::{names, payload_type_name, MutationName};
use crate::scalars::{Date, Position};

/// A rater's relationship to the cycle's subject: the group their answers count in.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::feedback_cycle::Relationship")]
pub enum Relationship {
    /// The subject rating themself; exempt from the minimum.
    #[graphql(name = "SELF")]
    Myself,
    /// The subject's current manager, and only they; exempt from the minimum.
    Manager,
    /// A colleague at the subject's level.
    Peer,
    /// Someone the subject manages.
    DirectReport,
    /// Anyone else invited.
    Other,
}

/// Where a cycle stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "prasme_domain::feedback_cycle::CycleStatus")]
pub enum FeedbackCycleStatus {
    /// Raters may submit; only counts per group are shown.
    Open,
    /// Submissions are written and the report is shown.
    Closed,
    /// Ended without a report; the submissions were destroyed unwritten.
    Cancelled,
}

/// A new 360-degree feedback cycle.
#[derive(InputObject)]
pub struct OpenFeedbackCycleInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// Defaults to the command id, so a retried command names the same cycle.
    pub cycle_id: Option<Uuid>,
    /// The employee rated; they must be at work.
    pub subject_id: Uuid,
    /// The competency framework.
    pub framework_id: Uuid,
    /// The framework version, from 1 to its newest.
    pub framework_version: i32,
    /// Codes of that version's competencies to rate: 1 to 30, none twice.
    pub competencies: Vec<String>,
    /// The last day raters may submit; not before today.
    pub deadline: Date,
    /// The minimum responses for a peer, direct-report or other group to be released: 3 to 10.
    #[graphql(default = 3)]
    pub min_raters: i32,
}

/// An invitation to rate a cycle's subject.
#[derive(InputObject)]
pub struct InviteRaterInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// The open cycle.
    pub cycle_id: Uuid,
    /// The employee invited, at work; sealed under the cycle's key, never shown.
    pub rater_id: Uuid,
    /// Their relationship to the subject; SELF for the subject and only for them.
    pub relationship: Relationship,
}

/// A level given to one competency of the cycle.
#[derive(InputObject)]
pub struct FeedbackRatingInput {
    /// The competency's code.
    pub competency: String,
    /// The level, on the competency's scale.
    pub level: i32,
}

/// The signed-in rater's feedback.
#[derive(InputObject)]
pub struct SubmitFeedbackInput {
    /// The open cycle the signed-in employee is invited to.
    pub cycle_id: Uuid,
    /// At least one rating, each competency once.
    pub ratings: Vec<FeedbackRatingInput>,
    /// A comment, shown without attribution and only if the rater's group is released: at most 1 000 characters.
    pub comment: Option<String>,
}

/// The close of a cycle.
#[derive(InputObject)]
pub struct CloseFeedbackCycleInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// The open cycle.
    pub cycle_id: Uuid,
}

/// The cancellation of a cycle.
#[derive(InputObject)]
pub struct CancelFeedbackCycleInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// The open cycle.
    pub cycle_id: Uuid,
    /// Why: trimmed, 1 to 500 characters.
    pub reason: String,
}

/// A closed cycle's result in one competency, recorded as a FEEDBACK_360 assessment of its subject.
#[derive(InputObject)]
pub struct RecordFeedbackResultInput {
    /// Idempotency key: a retry with the same id and input answers with the first result; another input under the same
    /// id is refused with IDEMPOTENCY_KEY_REUSED. Defaults to a new id.
    pub command_id: Option<Uuid>,
    /// Defaults to the command id.
    pub assessment_id: Option<Uuid>,
    /// The closed cycle.
    pub cycle_id: Uuid,
    /// One of the cycle's competencies.
    pub competency: String,
    /// The level established, on the competency's scale.
    pub level: i32,
    /// The business date of the assessment.
    pub assessed_on: Date,
}

/// What a feedback-cycle command answers with.
#[derive(SimpleObject)]
#[graphql(name_type)]
pub struct FeedbackCyclePayload<M: MutationName> {
    /// The cycle; null when the command was refused.
    pub cycle_id: Option<Uuid>,
    #[graphql(flatten)]
    pub outcome: Outcome,
    #[graphql(skip)]
    mutation: PhantomData<M>,
}
payload_type_name!(FeedbackCyclePayload);

fn payload<M: MutationName>(
    result: Result<prasme_commands::Accepted, Vec<UserError>>,
    cycle_id: Option<Uuid>,
) -> FeedbackCyclePayload<M> {
    FeedbackCyclePayload {
        cycle_id: result
            .as_ref()
            .ok()
            .and_then(|a| cycle_id.or_else(|| stream_uuid(&a.stream_id))),
        outcome: outcome(&result),
        mutation: PhantomData,
    }
}

/// What `submitFeedback` answers with: nothing that orders or identifies the submission.
#[derive(SimpleObject)]
pub struct SubmitFeedbackPayload {
    /// The cycle; null when the submission was refused.
    pub cycle_id: Option<Uuid>,
    /// Why the submission was refused; empty when it was kept.
    pub user_errors: Vec<UserError>,
}

#[derive(Default)]
pub struct FeedbackMutation;

#[Object]
impl FeedbackMutation {
    /// Opens a 360-degree feedback cycle on an employee (their manager or HR). Refused in `userErrors` with NOT_FOUND on
    /// `competencies` for a code not in the framework version, OUT_OF_RANGE on `deadline` before today or on
    /// `minRaters` outside 3 to 10.
    async fn open_feedback_cycle(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cycle.")] input: OpenFeedbackCycleInput,
    ) -> async_graphql::Result<FeedbackCyclePayload<names::OpenFeedbackCycle>> {
        let cc = command(ctx, input.command_id, None)?;
        let open = OpenFeedbackCycle {
            cycle_id: input.cycle_id,
            subject_id: input.subject_id,
            framework_id: input.framework_id,
            framework_version: u32::try_from(input.framework_version).unwrap_or(0),
            competencies: input.competencies,
            deadline: input.deadline.0,
            min_raters: Some(saturating_u8(input.min_raters)),
        };
        Ok(payload(
            settle(use_cases(ctx)?.open_feedback_cycle(&cc, open).await)?,
            None,
        ))
    }

    /// Invites an employee to rate the cycle's subject (the subject's manager or HR). Refused with INVALID_VALUE on
    /// `relationship` when SELF names someone but the subject or MANAGER someone but their current manager (or another
    /// relationship names either), INVALID_VALUE on `raterId` when the caller invites themself into a group that must
    /// reach the minimum, ALREADY_EXISTS on `raterId` for an employee already invited.
    async fn invite_rater(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The invitation.")] input: InviteRaterInput,
    ) -> async_graphql::Result<FeedbackCyclePayload<names::InviteRater>> {
        let cc = command(ctx, input.command_id, None)?;
        let invite = InviteRater {
            cycle_id: input.cycle_id,
            invitation_id: None,
            rater_id: input.rater_id,
            relationship: input.relationship.into(),
        };
        Ok(payload(settle(use_cases(ctx)?.invite_rater(&cc, invite).await)?, None))
    }

    /// Submits the signed-in employee's feedback to a cycle they are invited to. Nothing is written to the event log
    /// until the cycle closes. Refused with NOT_FOUND on `cycleId` when the caller is not invited, ALREADY_EXISTS on
    /// `cycleId` for a second submission (a retry of an accepted one is answered so too), INVALID_VALUE on `cycleId`
    /// once the cycle is closed or cancelled or past its deadline, NOT_FOUND on `ratings.competency` for a competency
    /// the cycle does not rate, OUT_OF_RANGE on `ratings.level` for a level off its scale.
    async fn submit_feedback(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The feedback.")] input: SubmitFeedbackInput,
    ) -> async_graphql::Result<SubmitFeedbackPayload> {
        let cc = command(ctx, None, None)?;
        let cycle_id = input.cycle_id;
        let submit = SubmitFeedback {
            cycle_id,
            ratings: input
                .ratings
                .into_iter()
                .map(|r| domain::Rating {
                    competency: r.competency,
                    level: level_number(r.level),
                })
                .collect(),
            comment: input.comment,
        };
        Ok(match use_cases(ctx)?.submit_feedback(&cc, submit).await {
            Ok(()) => SubmitFeedbackPayload {
                cycle_id: Some(cycle_id),
                user_errors: vec![],
            },
            Err(e) => SubmitFeedbackPayload {
                cycle_id: None,
                user_errors: user_errors(e)?,
            },
        })
    }

    /// Closes a cycle (the subject's manager or HR): its submissions are written at once, and its key destroyed.
    async fn close_feedback_cycle(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The close.")] input: CloseFeedbackCycleInput,
    ) -> async_graphql::Result<FeedbackCyclePayload<names::CloseFeedbackCycle>> {
        let cc = command(ctx, input.command_id, None)?;
        let close = CloseFeedbackCycle {
            cycle_id: input.cycle_id,
        };
        Ok(payload(
            settle(use_cases(ctx)?.close_feedback_cycle(&cc, close).await)?,
            None,
        ))
    }

    /// Cancels a cycle with a reason (the subject's manager or HR): its submissions are destroyed unwritten.
    async fn cancel_feedback_cycle(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cancellation.")] input: CancelFeedbackCycleInput,
    ) -> async_graphql::Result<FeedbackCyclePayload<names::CancelFeedbackCycle>> {
        let cc = command(ctx, input.command_id, None)?;
        let cancel = CancelFeedbackCycle {
            cycle_id: input.cycle_id,
            reason: input.reason,
        };
        Ok(payload(
            settle(use_cases(ctx)?.cancel_feedback_cycle(&cc, cancel).await)?,
            None,
        ))
    }

    /// Records a closed cycle's result in one competency as a FEEDBACK_360 assessment of its subject (their manager or
    /// HR). Refused with INVALID_VALUE on `cycleId` while the cycle is open or once cancelled, NOT_FOUND on
    /// `competency` for a competency the cycle did not rate.
    async fn record_feedback_result(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The result.")] input: RecordFeedbackResultInput,
    ) -> async_graphql::Result<FeedbackCyclePayload<names::RecordFeedbackResult>> {
        let cc = command(ctx, input.command_id, None)?;
        let cycle_id = input.cycle_id;
        let record = RecordFeedbackResult {
            assessment_id: input.assessment_id,
            cycle_id,
            competency: input.competency,
            level: level_number(input.level),
            assessed_on: input.assessed_on.0,
        };
        Ok(payload(
            settle(use_cases(ctx)?.record_feedback_result(&cc, record).await)?,
            Some(cycle_id),
        ))
    }
}

/// A competency a cycle rates, as copied from the framework at opening.
#[derive(SimpleObject, Clone)]
pub struct FeedbackCompetency {
    /// The competency's code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The size of its scale: levels run from 1 to this.
    pub levels: i32,
}

/// One relationship group of a cycle, as counts: never who.
#[derive(SimpleObject, Clone)]
pub struct FeedbackGroup {
    /// The group.
    pub relationship: Relationship,
    /// How many raters it invited.
    pub invited: i64,
    /// How many responded: while the cycle is open, the submissions kept so far; none once cancelled.
    pub responded: i64,
    /// Whether its results are shown in the report: only once the cycle is closed, and for a peer, direct-report or
    /// other group only when it reached the cycle's minimum.
    pub released: bool,
}

/// A group's average level in one competency.
#[derive(SimpleObject, Clone)]
pub struct FeedbackAverage {
    /// The competency's code.
    pub competency: String,
    /// Null when fewer of the group than the minimum rated it.
    pub average: Option<f64>,
}

/// A released group's results.
#[derive(SimpleObject, Clone)]
pub struct FeedbackGroupResults {
    /// One per competency of the cycle, in its order.
    pub averages: Vec<FeedbackAverage>,
    /// The group's comments, without attribution, sorted alphabetically.
    pub comments: Vec<String>,
}

/// One group in a cycle's report.
#[derive(SimpleObject, Clone)]
pub struct FeedbackGroupReport {
    /// The group.
    pub relationship: Relationship,
    /// How many responded.
    pub responses: i64,
    /// Whether the results are shown.
    pub released: bool,
    /// Null unless released: an unreleased group shows its count alone.
    pub results: Option<FeedbackGroupResults>,
}

/// The self rating against the others in one competency.
#[derive(SimpleObject, Clone)]
pub struct FeedbackGap {
    /// The competency's code.
    pub competency: String,
    /// The self rating less the average of the others' shown ratings; null when either is missing.
    pub self_vs_others_gap: Option<f64>,
}

/// A closed cycle's 360 report.
#[derive(SimpleObject, Clone)]
pub struct FeedbackReport {
    /// Every invited group, in relationship order.
    pub groups: Vec<FeedbackGroupReport>,
    /// One per competency of the cycle, in its order.
    pub gaps: Vec<FeedbackGap>,
}

impl From<domain::Report> for FeedbackReport {
    fn from(r: domain::Report) -> Self {
        Self {
            groups: r
                .groups
                .into_iter()
                .map(|g| FeedbackGroupReport {
                    relationship: g.relationship.into(),
                    responses: i64::from(g.responses),
                    released: g.released,
                    results: g.results.map(|results| FeedbackGroupResults {
                        averages: results
                            .averages
                            .into_iter()
                            .map(|a| FeedbackAverage {
                                competency: a.competency,
                                average: a.average,
                            })
                            .collect(),
                        comments: results.comments,
                    }),
                })
                .collect(),
            gaps: r
                .gaps
                .into_iter()
                .map(|g| FeedbackGap {
                    competency: g.competency,
                    self_vs_others_gap: g.self_vs_others_gap,
                })
                .collect(),
        }
    }
}

/// A 360-degree feedback cycle.
#[derive(SimpleObject, Clone)]
pub struct FeedbackCycle {
    /// The cycle's id.
    pub cycle_id: Uuid,
    /// The employee rated.
    pub subject_id: Uuid,
    /// The subject's institution when the cycle opened.
    pub institution_id: Uuid,
    /// The framework rated against.
    pub framework_id: Uuid,
    /// Its version.
    pub framework_version: i64,
    /// Where the cycle stands.
    pub status: FeedbackCycleStatus,
    /// The last day raters may submit.
    pub deadline: Date,
    /// The minimum responses for a peer, direct-report or other group to be released.
    pub min_raters: i32,
    /// Why it was cancelled, once it is.
    pub cancel_reason: Option<String>,
    /// The competencies rated, in the cycle's order.
    pub competencies: Vec<FeedbackCompetency>,
    /// Every invited group, in relationship order, as counts.
    pub groups: Vec<FeedbackGroup>,
    /// The 360 report; null until the cycle is closed.
    pub report: Option<FeedbackReport>,
    /// The log position of the cycle's last change.
    pub position: Position,
}

fn cycle(row: CycleRow, report: Option<domain::Report>) -> FeedbackCycle {
    let released = |r: domain::Relationship| {
        report
            .as_ref()
            .and_then(|rep| rep.groups.iter().find(|g| g.relationship == r))
            .is_some_and(|g| g.released)
    };
    FeedbackCycle {
        groups: row
            .groups
            .iter()
            .map(|g| FeedbackGroup {
                relationship: g.relationship.into(),
                invited: g.invited,
                responded: g.responded,
                released: released(g.relationship),
            })
            .collect(),
        cycle_id: row.cycle_id,
        subject_id: row.subject_id,
        institution_id: row.institution_id,
        framework_id: row.framework_id,
        framework_version: row.framework_version,
        status: row.status.into(),
        deadline: Date(row.deadline),
        min_raters: row.min_raters,
        cancel_reason: row.cancel_reason,
        competencies: row
            .competencies
            .into_iter()
            .map(|c| FeedbackCompetency {
                code: c.code,
                name: c.name,
                levels: i32::from(c.levels),
            })
            .collect(),
        report: report.map(Into::into),
        position: Position(row.position),
    }
}

/// An open cycle the signed-in employee is invited to rate.
#[derive(SimpleObject)]
pub struct FeedbackInvitation {
    /// The cycle, to pass to `submitFeedback`.
    pub cycle_id: Uuid,
    /// The employee to rate.
    pub subject_id: Uuid,
    /// The group the caller's answers count in.
    pub relationship: Relationship,
    /// The framework rated against.
    pub framework_id: Uuid,
    /// Its version.
    pub framework_version: i64,
    /// The competencies to rate, in the cycle's order.
    pub competencies: Vec<FeedbackCompetency>,
    /// The last day to submit.
    pub deadline: Date,
    /// Whether the caller has submitted; a submission is given once.
    pub submitted: bool,
}

impl From<Invitation> for FeedbackInvitation {
    fn from(i: Invitation) -> Self {
        let c = i.cycle;
        Self {
            cycle_id: c.id.unwrap_or_default(),
            subject_id: c.subject_id,
            relationship: i.relationship.into(),
            framework_id: c.framework_id,
            framework_version: i64::from(c.framework_version),
            competencies: c
                .competencies
                .into_iter()
                .map(|c| FeedbackCompetency {
                    code: c.code,
                    name: c.name,
                    levels: i32::from(c.levels),
                })
                .collect(),
            deadline: Date(c.deadline),
            submitted: i.submitted,
        }
    }
}

/// The cycle with its counts and, once closed, its report, if it is in `scope`.
pub(crate) async fn load_cycle(
    pool: &PgPool,
    scope: &ReadScope,
    id: Uuid,
) -> async_graphql::Result<Option<FeedbackCycle>> {
    let Some(row) = read::cycle_by_id(pool, scope, id).await.map_err(db)? else {
        return Ok(None);
    };
    let report = read::report_of(pool, &row).await.map_err(db)?;
    Ok(Some(cycle(row, report)))
}

#[derive(Default)]
pub struct FeedbackQuery;

#[Object]
impl FeedbackQuery {
    /// A 360-degree feedback cycle in the caller's reach of personal data (the subject, their manager, HR): counts per
    /// group while it is open, and its report once it is closed.
    async fn feedback_cycle(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cycle's id.")] id: Uuid,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                    mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<FeedbackCycle> {
        api(ctx)?
            .reach(read_models::FEEDBACK_CYCLES, at_least_position.map(|p| p.0))
            .await?;
        let scope = scope(ctx, ReadOf::Personal).await?;
        load_cycle(&*reads(ctx).await?, scope, id)
            .await?
            .ok_or_else(|| not_found("no feedback cycle has this id"))
    }

    /// The 360-degree feedback cycles on an employee in the caller's reach of personal data (the subject, their
    /// manager, HR), latest deadline first: counts while open, the report once closed.
    #[graphql(complexity = "page(first.or(last).unwrap_or(50), child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn feedback_cycles(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The employee rated; NOT_FOUND when no employee has this id.")] subject_id: Uuid,
        #[graphql(
            desc = "How many cycles to read from the latest deadline (after `after`), 1 to 500; 50 when neither \
                    `first` nor `last` is given. Not together with `last`."
        )]
        first: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the earlier cycles after it.")] after: Option<String>,
        #[graphql(
            desc = "How many cycles to read from the earliest deadline (before `before`), 1 to 500. Not together \
                    with `first`."
        )]
        last: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the later cycles before it.")] before: Option<String>,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                    mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Keyed<FeedbackCycle>> {
        api(ctx)?
            .reach(read_models::FEEDBACK_CYCLES, at_least_position.map(|p| p.0))
            .await?;
        crate::employee::require_employee(ctx, subject_id).await?;
        let window = window(first, after, last, before, 50)?;
        let scope = scope(ctx, ReadOf::Personal).await?;
        let pool = reads(ctx).await?;
        let page = read::cycles_of(&pool, scope, subject_id, &window).await.map_err(db)?;
        let mut rows = Vec::with_capacity(page.rows.len());
        for (key, row) in page.rows {
            let report = read::report_of(&pool, &row).await.map_err(db)?;
            rows.push((key, cycle(row, report)));
        }
        Ok(connection(
            &window,
            Page {
                rows,
                total: page.total,
            },
            |c| c,
        ))
    }

    /// The open cycles that invite the signed-in employee to give feedback, soonest deadline first, with whether
    /// they have submitted. Nobody but the rater can learn whom a cycle invites; empty for a principal who is no
    /// employee.
    async fn feedback_invitations(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<FeedbackInvitation>> {
        let cc = command(ctx, None, None)?;
        match use_cases(ctx)?.feedback_invitations(&cc).await {
            Ok(found) => Ok(found.into_iter().map(Into::into).collect()),
            Err(e) => Err(user_errors(e)
                .err()
                .unwrap_or_else(|| internal_because("a refusal", "the invitations could not be read"))),
        }
    }
}
