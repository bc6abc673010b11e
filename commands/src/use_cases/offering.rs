//! Offerings and the enrolment lifecycle.

use prasme_domain::calendar::date_in_latvia;
use prasme_domain::course::Course;
use prasme_domain::employee::Employee;
use prasme_domain::offering::{Attendance, Completion, Feedback, Offering, OfferingCommand, Schedule};
use serde::Serialize;
use uuid::Uuid;

use super::admission::Target;
use super::UseCases;
use crate::policy::UseCase;
use crate::{Accepted, CommandContext, CommandError};

#[derive(Serialize)]
pub struct ScheduleOffering {
    /// Defaults to the command id, so a retried command names the same offering.
    pub offering_id: Option<Uuid>,
    pub schedule: Schedule,
}

#[derive(Serialize)]
pub struct ChangeOfferingCapacity {
    pub offering_id: Uuid,
    pub capacity: i32,
}

#[derive(Serialize)]
pub struct CancelOffering {
    pub offering_id: Uuid,
    pub reason: String,
}

/// One employee's place in an offering: requested, or approved.
#[derive(Serialize)]
pub struct PlaceId {
    pub offering_id: Uuid,
    pub employee_id: Uuid,
}

/// A place rejected, cancelled, or a completion revoked, and why.
#[derive(Serialize)]
pub struct PlaceChange {
    pub offering_id: Uuid,
    pub employee_id: Uuid,
    pub reason: String,
}

#[derive(Serialize)]
pub struct SubstituteParticipant {
    pub offering_id: Uuid,
    pub employee_id: Uuid,
    pub substitute_id: Uuid,
}

#[derive(Serialize)]
pub struct RecordAttendance {
    pub offering_id: Uuid,
    pub employee_id: Uuid,
    pub attendance: Attendance,
}

#[derive(Serialize)]
pub struct RecordCompletion {
    pub offering_id: Uuid,
    pub employee_id: Uuid,
    pub result: Completion,
}

/// Exactly one of `immediate` and `follow_up`.
#[derive(Serialize)]
pub struct GiveFeedback {
    pub offering_id: Uuid,
    pub employee_id: Uuid,
    pub immediate: Option<Feedback>,
    pub follow_up: Option<Feedback>,
}

/// The target of a command on one employee's place.
fn place(offering_id: Uuid, employee_id: Uuid) -> Target {
    Target::Place {
        offering_id,
        employee_id,
    }
}

impl UseCases {
    pub async fn schedule_offering(
        &self,
        ctx: &CommandContext,
        input: ScheduleOffering,
    ) -> Result<Accepted, CommandError> {
        let offering_id = input.offering_id.unwrap_or(ctx.command_id);
        let target = Target::NewOffering {
            offering_id,
            course_id: input.schedule.course_id,
        };
        let cmd = self.admit(ctx, UseCase::ScheduleOffering, target, &input).await?;
        self.handler
            .execute_with::<Offering, _, _>(&cmd, offering_id, || async {
                if let Err(refusal) = self.id_is_free::<Offering>(offering_id, "offeringId").await? {
                    return Ok(Err(refusal));
                }
                let (course, _) = self.handler.state::<Course>(input.schedule.course_id).await?;
                Ok(course.active().map(|_| OfferingCommand::Schedule {
                    offering_id,
                    schedule: input.schedule,
                }))
            })
            .await
    }

    pub async fn change_offering_capacity(
        &self,
        ctx: &CommandContext,
        input: ChangeOfferingCapacity,
    ) -> Result<Accepted, CommandError> {
        let id = input.offering_id;
        let cmd = self
            .admit(ctx, UseCase::ChangeOfferingCapacity, Target::Offering(id), &input)
            .await?;
        let command = OfferingCommand::ChangeCapacity {
            capacity: input.capacity,
        };
        self.handler.execute::<Offering>(&cmd, id, command).await
    }

    /// Releases every seat.
    pub async fn cancel_offering(&self, ctx: &CommandContext, input: CancelOffering) -> Result<Accepted, CommandError> {
        let id = input.offering_id;
        let cmd = self
            .admit(ctx, UseCase::CancelOffering, Target::Offering(id), &input)
            .await?;
        let command = OfferingCommand::Cancel { reason: input.reason };
        self.handler.execute::<Offering>(&cmd, id, command).await
    }

    /// An employee (or HR for them) asks for a place on the day the clock
    /// says it is in Latvia; a manager or HR decides.
    pub async fn request_place(&self, ctx: &CommandContext, input: PlaceId) -> Result<Accepted, CommandError> {
        let id = input.offering_id;
        let cmd = self
            .admit(ctx, UseCase::RequestPlace, place(id, input.employee_id), &input)
            .await?;
        self.handler
            .execute_with::<Offering, _, _>(&cmd, id, || async {
                let (employee, _) = self.handler.state::<Employee>(input.employee_id).await?;
                Ok(employee
                    .at_work("employeeId")
                    .map(|(employee_id, institution_id)| OfferingCommand::RequestPlace {
                        employee_id,
                        institution_id,
                        today: date_in_latvia(ctx.clock.now()),
                    }))
            })
            .await
    }

    /// Enrols the requester, or waitlists them when the offering is full.
    pub async fn approve_place(&self, ctx: &CommandContext, input: PlaceId) -> Result<Accepted, CommandError> {
        let id = input.offering_id;
        let cmd = self
            .admit(ctx, UseCase::ApprovePlace, place(id, input.employee_id), &input)
            .await?;
        let command = OfferingCommand::Approve {
            employee_id: input.employee_id,
        };
        self.handler.execute::<Offering>(&cmd, id, command).await
    }

    pub async fn reject_place(&self, ctx: &CommandContext, input: PlaceChange) -> Result<Accepted, CommandError> {
        let id = input.offering_id;
        let cmd = self
            .admit(ctx, UseCase::RejectPlace, place(id, input.employee_id), &input)
            .await?;
        let command = OfferingCommand::Reject {
            employee_id: input.employee_id,
            reason: input.reason,
        };
        self.handler.execute::<Offering>(&cmd, id, command).await
    }

    /// Frees the seat; the first on the waitlist is promoted.
    pub async fn cancel_place(&self, ctx: &CommandContext, input: PlaceChange) -> Result<Accepted, CommandError> {
        let id = input.offering_id;
        let cmd = self
            .admit(ctx, UseCase::CancelPlace, place(id, input.employee_id), &input)
            .await?;
        let command = OfferingCommand::CancelPlace {
            employee_id: input.employee_id,
            reason: input.reason,
        };
        self.handler.execute::<Offering>(&cmd, id, command).await
    }

    /// HR gives a participant's seat to a colleague of the same institution.
    pub async fn substitute_participant(
        &self,
        ctx: &CommandContext,
        input: SubstituteParticipant,
    ) -> Result<Accepted, CommandError> {
        let id = input.offering_id;
        let target = Target::Substitution {
            offering_id: id,
            employee_id: input.employee_id,
            substitute_id: input.substitute_id,
        };
        let cmd = self.admit(ctx, UseCase::SubstituteParticipant, target, &input).await?;
        self.handler
            .execute_with::<Offering, _, _>(&cmd, id, || async {
                let (substitute, _) = self.handler.state::<Employee>(input.substitute_id).await?;
                Ok(substitute
                    .at_work("substituteId")
                    .map(
                        |(substitute_id, substitute_institution_id)| OfferingCommand::Substitute {
                            employee_id: input.employee_id,
                            substitute_id,
                            substitute_institution_id,
                        },
                    ))
            })
            .await
    }

    pub async fn record_attendance(
        &self,
        ctx: &CommandContext,
        input: RecordAttendance,
    ) -> Result<Accepted, CommandError> {
        let id = input.offering_id;
        let cmd = self
            .admit(ctx, UseCase::RecordAttendance, place(id, input.employee_id), &input)
            .await?;
        let command = OfferingCommand::RecordAttendance {
            employee_id: input.employee_id,
            attendance: input.attendance,
        };
        self.handler.execute::<Offering>(&cmd, id, command).await
    }

    /// Records the result and issues a certificate with a verifiable number.
    pub async fn record_completion(
        &self,
        ctx: &CommandContext,
        input: RecordCompletion,
    ) -> Result<Accepted, CommandError> {
        let id = input.offering_id;
        let cmd = self
            .admit(ctx, UseCase::RecordCompletion, place(id, input.employee_id), &input)
            .await?;
        let command = OfferingCommand::RecordCompletion {
            employee_id: input.employee_id,
            result: input.result,
        };
        self.handler.execute::<Offering>(&cmd, id, command).await
    }

    /// Impact evaluation: each participant who attended gives each kind once.
    pub async fn give_feedback(&self, ctx: &CommandContext, input: GiveFeedback) -> Result<Accepted, CommandError> {
        let id = input.offering_id;
        let cmd = self
            .admit(ctx, UseCase::GiveFeedback, place(id, input.employee_id), &input)
            .await?;
        self.handler
            .execute_with::<Offering, _, _>(&cmd, id, || async {
                Ok(Feedback::exactly_one(input.immediate, input.follow_up).map(|feedback| {
                    OfferingCommand::GiveFeedback {
                        employee_id: input.employee_id,
                        feedback,
                    }
                }))
            })
            .await
    }

    /// Corrects a wrong completion; the certificate is marked revoked.
    pub async fn revoke_completion(&self, ctx: &CommandContext, input: PlaceChange) -> Result<Accepted, CommandError> {
        let id = input.offering_id;
        let cmd = self
            .admit(ctx, UseCase::RevokeCompletion, place(id, input.employee_id), &input)
            .await?;
        let command = OfferingCommand::RevokeCompletion {
            employee_id: input.employee_id,
            reason: input.reason,
        };
        self.handler.execute::<Offering>(&cmd, id, command).await
    }
}
