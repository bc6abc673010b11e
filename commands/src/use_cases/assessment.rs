//! An employee's competence record: assessments against a framework
//! version and talent reviews on the development matrix.

use chrono::NaiveDate;
use prasme_domain::assessment::{Assessment, AssessmentMethod, CompetenceCommand, CompetenceRecord, MatrixRating};
use prasme_domain::calendar::date_in_latvia;
use prasme_domain::competency::Framework;
use prasme_domain::employee::{Employee, Standing};
use prasme_domain::institution::Institution;
use prasme_domain::DomainError;
use serde::Serialize;
use uuid::Uuid;

use super::admission::Target;
use super::UseCases;
use crate::policy::UseCase;
use crate::{Accepted, CommandContext, CommandError};

#[derive(Serialize)]
pub struct AssessCompetency {
    /// Defaults to the command id, so a retried command names the same assessment.
    pub assessment_id: Option<Uuid>,
    pub employee_id: Uuid,
    pub framework_id: Uuid,
    pub framework_version: u32,
    /// The competency's code in that version, such as "1.2".
    pub competency: String,
    pub level: u8,
    pub method: AssessmentMethod,
    pub assessed_on: NaiveDate,
    pub evidence_note: Option<String>,
}

#[derive(Serialize)]
pub struct ReviewTalent {
    /// Defaults to the command id.
    pub review_id: Option<Uuid>,
    pub employee_id: Uuid,
    pub performance: MatrixRating,
    pub potential: MatrixRating,
    pub reviewed_on: NaiveDate,
}

impl UseCases {
    /// Records a level the principal established; the assessor is the
    /// signed-in employee, never an input, so nobody can assess in
    /// another's name.
    pub async fn assess_competency(
        &self,
        ctx: &CommandContext,
        input: AssessCompetency,
    ) -> Result<Accepted, CommandError> {
        let employee_id = input.employee_id;
        let cmd = self
            .admit(ctx, UseCase::AssessCompetency, Target::Employee(employee_id), &input)
            .await?;
        self.handler
            .execute_with::<CompetenceRecord, _, _>(&cmd, employee_id, || async {
                let standing = match self.standing(employee_id, "assessedOn", input.assessed_on).await? {
                    Ok(standing) => standing,
                    Err(refusal) => return Ok(Err(refusal)),
                };
                let (framework, _) = self.handler.state::<Framework>(input.framework_id).await?;
                let competency = match framework.assessable(input.framework_version, &input.competency, input.level) {
                    Ok(competency) => competency.clone(),
                    Err(refusal) => return Ok(Err(refusal)),
                };
                Ok(Ok(CompetenceCommand::Assess {
                    employee_id,
                    standing,
                    assessment: Assessment {
                        assessment_id: input.assessment_id.unwrap_or(ctx.command_id),
                        framework_id: input.framework_id,
                        framework_version: input.framework_version,
                        competency,
                        level: input.level,
                        method: input.method,
                        feedback_cycle_id: None,
                        assessor_id: ctx.principal.employee_id(),
                        assessed_on: input.assessed_on,
                        evidence_note: input.evidence_note,
                    },
                    today: date_in_latvia(ctx.clock.now()),
                }))
            })
            .await
    }

    /// Places the employee on the 3×3 matrix of performance and potential.
    pub async fn review_talent(&self, ctx: &CommandContext, input: ReviewTalent) -> Result<Accepted, CommandError> {
        let employee_id = input.employee_id;
        let cmd = self
            .admit(ctx, UseCase::ReviewTalent, Target::Employee(employee_id), &input)
            .await?;
        self.handler
            .execute_with::<CompetenceRecord, _, _>(&cmd, employee_id, || async {
                Ok(self
                    .standing(employee_id, "reviewedOn", input.reviewed_on)
                    .await?
                    .map(|standing| CompetenceCommand::ReviewTalent {
                        employee_id,
                        review_id: input.review_id.unwrap_or(ctx.command_id),
                        standing,
                        performance: input.performance,
                        potential: input.potential,
                        reviewer_id: ctx.principal.employee_id(),
                        reviewed_on: input.reviewed_on,
                        today: date_in_latvia(ctx.clock.now()),
                    }))
            })
            .await
    }

    /// Where the employee stood on `date`, with their institution's resor.
    pub(super) async fn standing(
        &self,
        employee_id: Uuid,
        field: &'static str,
        date: NaiveDate,
    ) -> Result<Result<Standing, DomainError>, CommandError> {
        let (employee, _) = self.handler.state::<Employee>(employee_id).await?;
        let mut standing = match employee.standing_on(field, date) {
            Ok(standing) => standing,
            Err(refusal) => return Ok(Err(refusal)),
        };
        standing.resor = self
            .handler
            .state::<Institution>(standing.institution_id)
            .await?
            .0
            .resor;
        Ok(Ok(standing))
    }
}
