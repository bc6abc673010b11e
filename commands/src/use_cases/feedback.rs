//! 360-degree feedback cycles: opened on an employee, raters invited in
//! relationship groups, submissions kept sealed outside the log until the
//! cycle closes, and a closed cycle's result recorded as a "360 feedback"
//! assessment. See `docs/competencies.md`, "360-degree feedback: anonymity
//! by construction".
//!
//! Nothing here logs a rater, an invitation or a pseudonym. A submission
//! appends no event, so its rater is the actor of nothing; the
//! `FeedbackSubmitted` events are appended by whoever closes the cycle,
//! all at once, in pseudonym order.

use chrono::NaiveDate;
use prasme_domain::assessment::{Assessment, AssessmentMethod, CompetenceCommand, CompetenceRecord};
use prasme_domain::calendar::date_in_latvia;
use prasme_domain::competency::Framework;
use prasme_domain::employee::{Employee, SealedPersonalData};
use prasme_domain::feedback_cycle::{
    CycleStatus, FeedbackCycle, FeedbackCycleCommand, FeedbackCycleEvent, Rating, Relationship, Submission,
};
use prasme_domain::reference::wire_name;
use prasme_domain::{Decider, DomainError, DomainEvent, ErrorCode};
use serde::Serialize;
use uuid::Uuid;

use super::admission::Target;
use super::UseCases;
use crate::feedback_keys::{CycleKey, FeedbackKeys, Pending};
use crate::policy::UseCase;
use crate::{Accepted, CommandContext, CommandError, VaultError};

#[derive(Serialize)]
pub struct OpenFeedbackCycle {
    /// Defaults to the command id, so a retried command names the same cycle.
    pub cycle_id: Option<Uuid>,
    /// The employee the raters rate.
    pub subject_id: Uuid,
    pub framework_id: Uuid,
    pub framework_version: u32,
    /// Codes of the framework version's competencies.
    pub competencies: Vec<String>,
    pub deadline: NaiveDate,
    /// Defaults to `DEFAULT_MIN_RATERS`.
    pub min_raters: Option<u8>,
}

#[derive(Serialize)]
pub struct InviteRater {
    pub cycle_id: Uuid,
    /// Defaults to the command id.
    pub invitation_id: Option<Uuid>,
    /// Left out of the input's fingerprint (kept in the event's metadata),
    /// as a digest of the few ids a cycle's raters can have would be
    /// guessed back; it is sealed under the cycle's key in the event.
    #[serde(skip)]
    pub rater_id: Uuid,
    pub relationship: Relationship,
}

/// Not serialised into anything kept: a submission appends no event.
#[derive(Serialize)]
pub struct SubmitFeedback {
    pub cycle_id: Uuid,
    pub ratings: Vec<Rating>,
    pub comment: Option<String>,
}

#[derive(Serialize)]
pub struct CloseFeedbackCycle {
    pub cycle_id: Uuid,
}

#[derive(Serialize)]
pub struct CancelFeedbackCycle {
    pub cycle_id: Uuid,
    pub reason: String,
}

#[derive(Serialize)]
pub struct RecordFeedbackResult {
    /// Defaults to the command id.
    pub assessment_id: Option<Uuid>,
    pub cycle_id: Uuid,
    /// One of the cycle's competencies.
    pub competency: String,
    pub level: u8,
    pub assessed_on: NaiveDate,
}

/// An open cycle that invites the signed-in employee.
pub struct FeedbackInvitation {
    pub cycle: FeedbackCycle,
    pub relationship: Relationship,
    /// Whether their submission is kept; it can be given once.
    pub submitted: bool,
}

fn not_invited() -> DomainError {
    DomainError::on("cycleId", ErrorCode::NotFound, "you are not invited to this cycle")
}

fn already_submitted() -> DomainError {
    DomainError::on("cycleId", ErrorCode::AlreadyExists, "you have already submitted")
}

impl UseCases {
    fn feedback_keys(&self) -> FeedbackKeys {
        FeedbackKeys::new(self.vault.pool().clone())
    }

    /// The cycle's invitations with their sealed raters, in log order.
    async fn invitations(&self, cycle_id: Uuid) -> Result<Vec<(Uuid, Relationship, SealedPersonalData)>, CommandError> {
        let stored = self
            .handler
            .store()
            .read_stream_after(&FeedbackCycle::stream_id(cycle_id), 0)
            .await?;
        let mut invitations = Vec::new();
        for e in &stored {
            if let FeedbackCycleEvent::RaterInvited {
                invitation_id,
                relationship,
                rater,
                ..
            } = FeedbackCycleEvent::from_stored(&e.event_type, e.schema_version, &e.payload)?
            {
                invitations.push((invitation_id, relationship, rater));
            }
        }
        Ok(invitations)
    }

    /// The invitation naming `rater` in the cycle, if any.
    async fn invitation_of(
        &self,
        key: &CycleKey,
        cycle_id: Uuid,
        rater: Uuid,
    ) -> Result<Option<(Uuid, Relationship)>, CommandError> {
        for (invitation_id, relationship, sealed) in self.invitations(cycle_id).await? {
            if key.open_rater(invitation_id, &sealed)? == rater {
                return Ok(Some((invitation_id, relationship)));
            }
        }
        Ok(None)
    }

    /// Opens a cycle on an employee (their manager or HR), and makes its key.
    pub async fn open_feedback_cycle(
        &self,
        ctx: &CommandContext,
        input: OpenFeedbackCycle,
    ) -> Result<Accepted, CommandError> {
        let cycle_id = input.cycle_id.unwrap_or(ctx.command_id);
        let target = Target::NewFeedbackCycle {
            cycle_id,
            subject_id: input.subject_id,
        };
        let cmd = self.admit(ctx, UseCase::OpenFeedbackCycle, target, &input).await?;
        let keys = self.feedback_keys();
        let outcome = self
            .handler
            .execute_with::<FeedbackCycle, _, _>(&cmd, cycle_id, || async {
                if let Err(refusal) = self.id_is_free::<FeedbackCycle>(cycle_id, "cycleId").await? {
                    return Ok(Err(refusal));
                }
                let (employee, _) = self.handler.state::<Employee>(input.subject_id).await?;
                let (subject_id, institution_id) = match employee.at_work("subjectId") {
                    Ok(at) => at,
                    Err(refusal) => return Ok(Err(refusal)),
                };
                let (framework, _) = self.handler.state::<Framework>(input.framework_id).await?;
                // Before the append: an open cycle always has its key.
                keys.create(cycle_id).await?;
                Ok(Ok(FeedbackCycleCommand::Open {
                    cycle_id,
                    subject_id,
                    institution_id,
                    framework_id: input.framework_id,
                    framework_version: input.framework_version,
                    framework,
                    competencies: input.competencies.clone(),
                    deadline: input.deadline,
                    today: date_in_latvia(ctx.clock.now()),
                    min_raters: input
                        .min_raters
                        .unwrap_or(prasme_domain::feedback_cycle::DEFAULT_MIN_RATERS),
                }))
            })
            .await;
        if outcome.is_err() && !self.handler.exists::<FeedbackCycle>(cycle_id).await? {
            // A refused opening leaves no key behind.
            let mut tx = self.vault.pool().begin().await.map_err(VaultError::from)?;
            FeedbackKeys::destroy(&mut tx, cycle_id).await?;
            tx.commit().await.map_err(VaultError::from)?;
        }
        outcome
    }

    /// Invites an employee at work to rate the cycle's subject. The rater's
    /// id is sealed under the cycle's key; a SELF invitation names the
    /// subject, and only it does; an employee is invited once per cycle.
    pub async fn invite_rater(&self, ctx: &CommandContext, input: InviteRater) -> Result<Accepted, CommandError> {
        let cycle_id = input.cycle_id;
        let cmd = self
            .admit(ctx, UseCase::InviteRater, Target::FeedbackCycle(cycle_id), &input)
            .await?;
        let invitation_id = input.invitation_id.unwrap_or(ctx.command_id);
        let keys = self.feedback_keys();
        self.handler
            .execute_with::<FeedbackCycle, _, _>(&cmd, cycle_id, || async {
                let (cycle, _) = self.handler.state::<FeedbackCycle>(cycle_id).await?;
                // A missing, closed or cancelled cycle is refused first; who
                // may be SELF before whether SELF is taken, which the decider
                // judges with the sealed invitation.
                if let Err(refusal) = cycle.open() {
                    return Ok(Err(refusal));
                }
                let Some(key) = keys.key(cycle_id).await? else {
                    return Err(CommandError::Invalid("the open cycle has no key".into()));
                };
                let (employee, _) = self.handler.state::<Employee>(input.rater_id).await?;
                let (rater, _) = match employee.at_work("raterId") {
                    Ok(at) => at,
                    Err(refusal) => return Ok(Err(refusal)),
                };
                let is_subject = rater == cycle.subject_id;
                if (input.relationship == Relationship::Myself) != is_subject {
                    return Ok(Err(DomainError::on(
                        "relationship",
                        ErrorCode::InvalidValue,
                        "the subject, and only the subject, is invited as SELF",
                    )));
                }
                // MANAGER is released at one response: were it open to
                // anyone, a peer invited as MANAGER would be shown alone.
                let (subject, _) = self.handler.state::<Employee>(cycle.subject_id).await?;
                let is_manager = subject.manager_id == Some(rater);
                if (input.relationship == Relationship::Manager) != is_manager {
                    return Ok(Err(DomainError::on(
                        "relationship",
                        ErrorCode::InvalidValue,
                        "the subject's current manager, and only they, is invited as MANAGER",
                    )));
                }
                // Whoever invites knows their own answer: inside a group
                // that hides in numbers, it would be one fewer to hide among.
                if !input.relationship.exempt_from_minimum() && ctx.principal.employee_id() == Some(rater) {
                    return Ok(Err(DomainError::on(
                        "raterId",
                        ErrorCode::InvalidValue,
                        "whoever invites may not rate in a group that must reach the minimum",
                    )));
                }
                if self.invitation_of(&key, cycle_id, rater).await?.is_some() {
                    return Ok(Err(DomainError::on(
                        "raterId",
                        ErrorCode::AlreadyExists,
                        "this employee is already invited to the cycle",
                    )));
                }
                keys.note_invited(cycle_id, rater).await?;
                Ok(Ok(FeedbackCycleCommand::Invite {
                    invitation_id,
                    relationship: input.relationship,
                    rater: key.seal_rater(invitation_id, rater)?,
                }))
            })
            .await
    }

    /// The open cycles that invite the signed-in employee, with whether
    /// they have submitted: what a rater needs to find their cycles. Tells
    /// nobody else anything; a principal who is no employee has none.
    pub async fn feedback_invitations(&self, ctx: &CommandContext) -> Result<Vec<FeedbackInvitation>, CommandError> {
        let Some(rater) = ctx.principal.employee_id() else {
            return Ok(Vec::new());
        };
        let keys = self.feedback_keys();
        let mut found = Vec::new();
        for cycle_id in keys.inbox(rater).await? {
            let Some(key) = keys.key(cycle_id).await? else {
                continue;
            };
            let (cycle, _) = self.handler.state::<FeedbackCycle>(cycle_id).await?;
            if cycle.status != Some(CycleStatus::Open) {
                continue;
            }
            if let Some((invitation, relationship)) = self.invitation_of(&key, cycle_id, rater).await? {
                found.push(FeedbackInvitation {
                    submitted: keys.submitted(&key, invitation).await?,
                    relationship,
                    cycle,
                });
            }
        }
        found.sort_by_key(|i| (i.cycle.deadline, i.cycle.id));
        Ok(found)
    }

    /// Keeps the signed-in rater's submission sealed until the cycle
    /// closes. Any signed-in employee may call it; what admits them is an
    /// invitation of the cycle whose sealed rater is their employee id.
    /// Appends no event and answers nothing but success or a refusal.
    ///
    /// Not idempotent by command id (nothing is recorded under it): a retry
    /// of an accepted submission is answered ALREADY_EXISTS, "you have
    /// already submitted", which tells the client the first one was kept.
    pub async fn submit_feedback(&self, ctx: &CommandContext, input: SubmitFeedback) -> Result<(), CommandError> {
        let cycle_id = input.cycle_id;
        self.admit(ctx, UseCase::SubmitFeedback, Target::FeedbackCycle(cycle_id), &input)
            .await?;
        let Some(rater) = ctx.principal.employee_id() else {
            return Err(not_invited().into());
        };
        let today = date_in_latvia(ctx.clock.now());
        let mut tx = self.vault.pool().begin().await.map_err(VaultError::from)?;
        // Shared with other submissions; a close holds it exclusively, so
        // once it has read the pending rows no submission slips in.
        let key = FeedbackKeys::lock(&mut tx, cycle_id, true).await?;
        let (cycle, _) = self.handler.state::<FeedbackCycle>(cycle_id).await?;
        let Some(key) = key else {
            // Closed, cancelled or never opened: the decider says which.
            return Err(cycle
                .accept_submission(Uuid::nil(), &input.ratings, input.comment.as_deref(), today)
                .err()
                .unwrap_or_else(not_invited)
                .into());
        };
        if cycle.status != Some(CycleStatus::Open) {
            return Err(cycle
                .accept_submission(Uuid::nil(), &input.ratings, input.comment.as_deref(), today)
                .err()
                .unwrap_or_else(not_invited)
                .into());
        }
        let Some((invitation, _)) = self.invitation_of(&key, cycle_id, rater).await? else {
            return Err(not_invited().into());
        };
        let submission = cycle.accept_submission(invitation, &input.ratings, input.comment.as_deref(), today)?;
        let plain = serde_json::to_vec(&submission).map_err(|_| VaultError::Corrupt(cycle_id))?;
        let (nonce, sealed) = key.seal(cycle_id.as_bytes(), &plain)?;
        let pending = Pending {
            pseudonym: key.pseudonym(invitation)?,
            nonce,
            sealed,
        };
        if !FeedbackKeys::keep(&mut tx, cycle_id, &wire_name(&submission.relationship), pending).await? {
            return Err(already_submitted().into());
        }
        tx.commit().await.map_err(VaultError::from)?;
        Ok(())
    }

    /// Closes the cycle: every pending submission is appended at once, in
    /// pseudonym order, by the closer, and then the key and the pending rows
    /// are destroyed. Also destroys what an earlier close or cancel that
    /// stopped after its append left behind.
    pub async fn close_feedback_cycle(
        &self,
        ctx: &CommandContext,
        input: CloseFeedbackCycle,
    ) -> Result<Accepted, CommandError> {
        let cycle_id = input.cycle_id;
        let cmd = self
            .admit(
                ctx,
                UseCase::CloseFeedbackCycle,
                Target::FeedbackCycle(cycle_id),
                &input,
            )
            .await?;
        let mut tx = self.vault.pool().begin().await.map_err(VaultError::from)?;
        let key = FeedbackKeys::lock(&mut tx, cycle_id, false).await?;
        let mut submissions: Vec<(String, Submission)> = Vec::new();
        if let Some(key) = &key {
            for pending in FeedbackKeys::pending(&mut tx, cycle_id).await? {
                let plain = key.open(cycle_id.as_bytes(), &pending.nonce, &pending.sealed)?;
                let submission: Submission =
                    serde_json::from_slice(&plain).map_err(|_| VaultError::Corrupt(cycle_id))?;
                submissions.push((pending.pseudonym, submission));
            }
        }
        let outcome = self
            .handler
            .execute::<FeedbackCycle>(&cmd, cycle_id, FeedbackCycleCommand::Close { submissions })
            .await;
        self.destroy_if_ended(tx, cycle_id).await?;
        outcome
    }

    /// Cancels the cycle with a reason; its pending submissions are
    /// destroyed with its key, unwritten.
    pub async fn cancel_feedback_cycle(
        &self,
        ctx: &CommandContext,
        input: CancelFeedbackCycle,
    ) -> Result<Accepted, CommandError> {
        let cycle_id = input.cycle_id;
        let cmd = self
            .admit(
                ctx,
                UseCase::CancelFeedbackCycle,
                Target::FeedbackCycle(cycle_id),
                &input,
            )
            .await?;
        let mut tx = self.vault.pool().begin().await.map_err(VaultError::from)?;
        FeedbackKeys::lock(&mut tx, cycle_id, false).await?;
        let outcome = self
            .handler
            .execute::<FeedbackCycle>(
                &cmd,
                cycle_id,
                FeedbackCycleCommand::Cancel {
                    reason: input.reason.clone(),
                },
            )
            .await;
        self.destroy_if_ended(tx, cycle_id).await?;
        outcome
    }

    /// Destroys the cycle's key and pending rows in `tx` (which holds the
    /// key's lock) if its stream is closed or cancelled; otherwise leaves
    /// them as they were.
    async fn destroy_if_ended(
        &self,
        mut tx: sqlx::Transaction<'static, sqlx::Postgres>,
        cycle_id: Uuid,
    ) -> Result<(), CommandError> {
        let (cycle, _) = self.handler.state::<FeedbackCycle>(cycle_id).await?;
        if matches!(cycle.status, Some(CycleStatus::Closed | CycleStatus::Cancelled)) {
            FeedbackKeys::destroy(&mut tx, cycle_id).await?;
            tx.commit().await.map_err(VaultError::from)?;
        }
        Ok(())
    }

    /// Records a closed cycle's result in one of its competencies as a
    /// FEEDBACK_360 assessment of its subject, by the signed-in manager or HR.
    pub async fn record_feedback_result(
        &self,
        ctx: &CommandContext,
        input: RecordFeedbackResult,
    ) -> Result<Accepted, CommandError> {
        let cycle_id = input.cycle_id;
        let cmd = self
            .admit(
                ctx,
                UseCase::RecordFeedbackResult,
                Target::FeedbackCycle(cycle_id),
                &input,
            )
            .await?;
        let (cycle, _) = self.handler.state::<FeedbackCycle>(cycle_id).await?;
        let subject_id = cycle.closed("cycleId")?;
        self.handler
            .execute_with::<CompetenceRecord, _, _>(&cmd, subject_id, || async {
                if !cycle.competencies.iter().any(|c| c.code == input.competency) {
                    return Ok(Err(DomainError::on(
                        "competency",
                        ErrorCode::NotFound,
                        format!("the cycle does not rate the competency {}", input.competency),
                    )));
                }
                let standing = match self.standing(subject_id, "assessedOn", input.assessed_on).await? {
                    Ok(standing) => standing,
                    Err(refusal) => return Ok(Err(refusal)),
                };
                let (framework, _) = self.handler.state::<Framework>(cycle.framework_id).await?;
                let competency = match framework.assessable(cycle.framework_version, &input.competency, input.level) {
                    Ok(competency) => competency.clone(),
                    Err(refusal) => return Ok(Err(refusal)),
                };
                Ok(Ok(CompetenceCommand::Assess {
                    employee_id: subject_id,
                    standing,
                    assessment: Assessment {
                        assessment_id: input.assessment_id.unwrap_or(ctx.command_id),
                        framework_id: cycle.framework_id,
                        framework_version: cycle.framework_version,
                        competency,
                        level: input.level,
                        method: AssessmentMethod::Feedback360,
                        feedback_cycle_id: Some(cycle_id),
                        assessor_id: ctx.principal.employee_id(),
                        assessed_on: input.assessed_on,
                        evidence_note: None,
                    },
                    today: date_in_latvia(ctx.clock.now()),
                }))
            })
            .await
    }
}
