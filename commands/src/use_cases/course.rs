//! The course catalogue.

use prasme_domain::competency::Framework;
use prasme_domain::course::{Course, CourseCommand, CourseDescription, CourseOwner, OwnerParts};
use prasme_domain::DomainError;
use serde::Serialize;
use uuid::Uuid;

use super::admission::Target;
use super::UseCases;
use crate::policy::UseCase;
use crate::{Accepted, CommandContext, CommandError};

/// A course's description as a client writes it: refusals about it name
/// its own fields (`title`, `owner.group`).
pub type DescribeCourse = CourseDescription<OwnerParts>;

#[derive(Serialize)]
pub struct CatalogueCourse {
    /// Defaults to the command id, so a retried command names the same course.
    pub course_id: Option<Uuid>,
    pub description: DescribeCourse,
}

#[derive(Serialize)]
pub struct ReviseCourse {
    pub course_id: Uuid,
    /// Replaces the whole description.
    pub description: DescribeCourse,
}

#[derive(Serialize)]
pub struct RetireCourse {
    pub course_id: Uuid,
    pub reason: String,
}

impl UseCases {
    pub async fn catalogue_course(
        &self,
        ctx: &CommandContext,
        input: CatalogueCourse,
    ) -> Result<Accepted, CommandError> {
        let course_id = input.course_id.unwrap_or(ctx.command_id);
        // An owner the input cannot name is refused as such before the
        // policy judges it: the refusal is about the input alone.
        let owner = CourseOwner::from_parts(input.description.owner.clone())?;
        let target = Target::NewCourse { course_id, owner };
        let cmd = self.admit(ctx, UseCase::CatalogueCourse, target, &input).await?;
        self.handler
            .execute_with::<Course, _, _>(&cmd, course_id, || async {
                if let Err(refusal) = self.id_is_free::<Course>(course_id, "courseId").await? {
                    return Ok(Err(refusal));
                }
                Ok(self
                    .description(input.description)
                    .await?
                    .map(|description| CourseCommand::Catalogue { course_id, description }))
            })
            .await
    }

    pub async fn revise_course(&self, ctx: &CommandContext, input: ReviseCourse) -> Result<Accepted, CommandError> {
        let course_id = input.course_id;
        // An owner the input cannot name is refused as such before the
        // policy judges it: the refusal is about the input alone.
        let owner = CourseOwner::from_parts(input.description.owner.clone())?;
        let target = Target::RevisedCourse { course_id, owner };
        let cmd = self.admit(ctx, UseCase::ReviseCourse, target, &input).await?;
        self.handler
            .execute_with::<Course, _, _>(&cmd, course_id, || async {
                Ok(self
                    .description(input.description)
                    .await?
                    .map(|description| CourseCommand::Revise { description }))
            })
            .await
    }

    pub async fn retire_course(&self, ctx: &CommandContext, input: RetireCourse) -> Result<Accepted, CommandError> {
        let id = input.course_id;
        let cmd = self
            .admit(ctx, UseCase::RetireCourse, Target::Course(id), &input)
            .await?;
        let command = CourseCommand::Retire { reason: input.reason };
        self.handler.execute::<Course>(&cmd, id, command).await
    }

    /// The domain description, or the refusal naming the field at fault: a
    /// missing owner part, an institution that is not registered, or a
    /// framework competency the course cannot develop.
    async fn description(&self, d: DescribeCourse) -> Result<Result<CourseDescription, DomainError>, CommandError> {
        let owner = match CourseOwner::from_parts(d.owner.clone()) {
            Ok(owner) => owner,
            Err(refusal) => return Ok(Err(refusal)),
        };
        if let Some(institution) = owner.institution() {
            if let Err(refusal) = self.institution_exists(institution, "owner.institutionId").await? {
                return Ok(Err(refusal));
            }
        }
        for link in &d.develops {
            let (framework, _) = self.handler.state::<Framework>(link.framework_id).await?;
            if let Err(refusal) = framework.developable(&link.competency, link.level) {
                return Ok(Err(refusal));
            }
        }
        Ok(Ok(d.with_owner(owner)))
    }
}
