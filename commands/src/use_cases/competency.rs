//! Competency frameworks: published, revised into new versions, retired.

use prasme_domain::competency::{Framework, FrameworkCommand, FrameworkContent};
use serde::Serialize;
use uuid::Uuid;

use super::admission::Target;
use super::UseCases;
use crate::policy::UseCase;
use crate::{Accepted, CommandContext, CommandError};

#[derive(Serialize)]
pub struct PublishCompetencyFramework {
    /// Defaults to the command id, so a retried command names the same framework.
    pub framework_id: Option<Uuid>,
    pub content: FrameworkContent,
}

#[derive(Serialize)]
pub struct ReviseCompetencyFramework {
    pub framework_id: Uuid,
    /// The whole new version.
    pub content: FrameworkContent,
}

#[derive(Serialize)]
pub struct RetireCompetencyFramework {
    pub framework_id: Uuid,
    pub reason: String,
}

impl UseCases {
    pub async fn publish_competency_framework(
        &self,
        ctx: &CommandContext,
        input: PublishCompetencyFramework,
    ) -> Result<Accepted, CommandError> {
        let framework_id = input.framework_id.unwrap_or(ctx.command_id);
        let cmd = self
            .admit(
                ctx,
                UseCase::PublishCompetencyFramework,
                Target::Framework(framework_id),
                &input,
            )
            .await?;
        self.handler
            .execute_with::<Framework, _, _>(&cmd, framework_id, || async {
                if let Err(refusal) = self.id_is_free::<Framework>(framework_id, "frameworkId").await? {
                    return Ok(Err(refusal));
                }
                Ok(Ok(FrameworkCommand::Publish {
                    framework_id,
                    content: input.content,
                }))
            })
            .await
    }

    pub async fn revise_competency_framework(
        &self,
        ctx: &CommandContext,
        input: ReviseCompetencyFramework,
    ) -> Result<Accepted, CommandError> {
        let id = input.framework_id;
        let cmd = self
            .admit(ctx, UseCase::ReviseCompetencyFramework, Target::Framework(id), &input)
            .await?;
        let command = FrameworkCommand::Revise { content: input.content };
        self.handler.execute::<Framework>(&cmd, id, command).await
    }

    pub async fn retire_competency_framework(
        &self,
        ctx: &CommandContext,
        input: RetireCompetencyFramework,
    ) -> Result<Accepted, CommandError> {
        let id = input.framework_id;
        let cmd = self
            .admit(ctx, UseCase::RetireCompetencyFramework, Target::Framework(id), &input)
            .await?;
        let command = FrameworkCommand::Retire { reason: input.reason };
        self.handler.execute::<Framework>(&cmd, id, command).await
    }
}
