//! The door of every use case: the policy's answer on the target's facts,
//! then the fingerprint of the input. A refusal is logged and recorded in
//! the day's security stream.

use chrono::Utc;
use prasme_domain::course::{Course, CourseOwner};
use prasme_domain::development_plan::DevelopmentPlan;
use prasme_domain::employee::Employee;
use prasme_domain::feedback_cycle::FeedbackCycle;
use prasme_domain::institution::Institution;
use prasme_domain::offering::Offering;
use prasme_domain::security::{self, SecurityEvent};
use prasme_eventstore::{EventMetadata, ExpectedVersion};
use serde::Serialize;
use uuid::Uuid;

use super::UseCases;
use crate::fingerprint::InputFingerprint;
use crate::policy::{self, Ask, Denied, Needs, TargetFacts, UseCase};
use crate::{new_event, Admitted, CommandContext, CommandError};

/// What a use case acts on, as the policy must see it: the aggregate whose
/// stream it writes, and whatever else decides whether it is within reach.
#[derive(Debug)]
pub(crate) enum Target {
    Institution(Uuid),
    Employee(Uuid),
    /// An employee and their new manager: both must be within reach, or HR
    /// could make someone elsewhere the manager who reads them.
    ManagerAssignment {
        employee_id: Uuid,
        manager_id: Uuid,
    },
    /// A new employee, judged by the institution they are hired into.
    Hire {
        employee_id: Uuid,
        institution_id: Uuid,
    },
    Course(Uuid),
    /// A new course, judged by the owner its input names.
    NewCourse {
        course_id: Uuid,
        owner: CourseOwner,
    },
    /// A course and the owner a revision gives it: both must be within
    /// reach, or a course could be handed to someone else's catalogue.
    RevisedCourse {
        course_id: Uuid,
        owner: CourseOwner,
    },
    Offering(Uuid),
    /// A new offering, judged by its course.
    NewOffering {
        offering_id: Uuid,
        course_id: Uuid,
    },
    /// One employee's place in an offering.
    Place {
        offering_id: Uuid,
        employee_id: Uuid,
    },
    /// A competency framework, new or published.
    Framework(Uuid),
    /// The Learning and Development Plan itself.
    LearningPlan(Uuid),
    /// A new development plan, judged by the employee it is for.
    NewPlan {
        plan_id: Uuid,
        employee_id: Uuid,
    },
    /// A development plan, judged by the employee it is for.
    Plan(Uuid),
    /// A new feedback cycle, judged by its subject.
    NewFeedbackCycle {
        cycle_id: Uuid,
        subject_id: Uuid,
    },
    /// A feedback cycle, judged by its subject.
    FeedbackCycle(Uuid),
    /// A seat handed from one employee to another: both must be within reach.
    Substitution {
        offering_id: Uuid,
        employee_id: Uuid,
        substitute_id: Uuid,
    },
}

impl Target {
    /// The kind and id of the aggregate the command writes: what a refusal names.
    fn aggregate(&self) -> (&'static str, Uuid) {
        match *self {
            Target::Institution(id) => ("institution", id),
            Target::Employee(id)
            | Target::Hire { employee_id: id, .. }
            | Target::ManagerAssignment { employee_id: id, .. } => ("employee", id),
            Target::Course(id)
            | Target::NewCourse { course_id: id, .. }
            | Target::RevisedCourse { course_id: id, .. } => ("course", id),
            Target::Offering(id)
            | Target::NewOffering { offering_id: id, .. }
            | Target::Place { offering_id: id, .. }
            | Target::Substitution { offering_id: id, .. } => ("offering", id),
            Target::Framework(id) => ("competencyFramework", id),
            Target::LearningPlan(id) => ("plan", id),
            Target::NewPlan { plan_id: id, .. } | Target::Plan(id) => ("developmentPlan", id),
            Target::NewFeedbackCycle { cycle_id: id, .. } | Target::FeedbackCycle(id) => ("feedbackCycle", id),
        }
    }
}

impl UseCases {
    /// Asks the policy, reading only the facts it needs, and fingerprints
    /// the input that the command id is the key of: what the handler needs
    /// before it runs anything.
    pub(super) async fn admit<'a>(
        &self,
        ctx: &'a CommandContext,
        use_case: UseCase,
        target: Target,
        input: &(impl Serialize + Sync),
    ) -> Result<Admitted<'a>, CommandError> {
        let principal = &ctx.principal;
        let allowed = match policy::ask(principal, use_case) {
            Ask::Allowed => true,
            Ask::Refused => false,
            Ask::Needs(needs) => policy::allows(principal, use_case, &self.facts(&target, needs).await?),
        };
        if !allowed {
            if use_case.records_refusals() {
                self.record_denial(ctx, use_case, &target).await;
            }
            return Err(Denied { use_case }.into());
        }
        Ok(Admitted {
            ctx,
            input: InputFingerprint::of(use_case, input)?,
        })
    }

    /// The facts of each thing the target touches, as far as `needs` asks.
    async fn facts(&self, target: &Target, needs: Needs) -> Result<Vec<TargetFacts>, CommandError> {
        Ok(match *target {
            Target::Institution(id) | Target::Hire { institution_id: id, .. } => {
                vec![self.institution_facts(id).await?]
            }
            Target::Employee(id) => vec![self.person_facts(id, needs).await?],
            Target::ManagerAssignment {
                employee_id,
                manager_id,
            } => vec![
                self.person_facts(employee_id, needs).await?,
                self.person_facts(manager_id, needs).await?,
            ],
            Target::Course(id) => vec![self.course_facts(id).await?],
            Target::NewCourse { ref owner, .. } => vec![owned_by(Some(owner.clone()))],
            Target::RevisedCourse { course_id, ref owner } => {
                vec![self.course_facts(course_id).await?, owned_by(Some(owner.clone()))]
            }
            Target::Offering(id) => self.offering_facts(id, &[], needs).await?,
            Target::NewOffering { course_id, .. } => vec![self.course_facts(course_id).await?],
            Target::Place {
                offering_id,
                employee_id,
            } => self.offering_facts(offering_id, &[employee_id], needs).await?,
            // No reach of the framework rows reads facts.
            Target::Framework(_) | Target::LearningPlan(_) => vec![TargetFacts::default()],
            Target::NewPlan { employee_id, .. } => vec![self.person_facts(employee_id, needs).await?],
            Target::Plan(id) => {
                let (plan, _) = self.handler.state::<DevelopmentPlan>(id).await?;
                match plan.scope {
                    Some(scope) => vec![self.person_facts(scope.employee_id, needs).await?],
                    None => vec![TargetFacts::default()],
                }
            }
            Target::NewFeedbackCycle { subject_id, .. } => vec![self.person_facts(subject_id, needs).await?],
            Target::FeedbackCycle(id) => {
                let (cycle, _) = self.handler.state::<FeedbackCycle>(id).await?;
                match cycle.id {
                    Some(_) => vec![self.person_facts(cycle.subject_id, needs).await?],
                    None => vec![TargetFacts::default()],
                }
            }
            Target::Substitution {
                offering_id,
                employee_id,
                substitute_id,
            } => {
                self.offering_facts(offering_id, &[employee_id, substitute_id], needs)
                    .await?
            }
        })
    }

    async fn institution_facts(&self, id: Uuid) -> Result<TargetFacts, CommandError> {
        let (institution, _) = self.handler.state::<Institution>(id).await?;
        Ok(TargetFacts {
            institution: institution.id,
            resor: institution.resor,
            ..TargetFacts::default()
        })
    }

    /// An employee, their manager and institution (and its resor when asked).
    async fn person_facts(&self, id: Uuid, needs: Needs) -> Result<TargetFacts, CommandError> {
        let (employee, _) = self.handler.state::<Employee>(id).await?;
        let resor = match employee.institution_id {
            Some(institution) if needs.resor => self.handler.state::<Institution>(institution).await?.0.resor,
            _ => None,
        };
        Ok(TargetFacts {
            employee: employee.id,
            manager: employee.manager_id,
            institution: employee.institution_id,
            resor,
            course_owner: None,
        })
    }

    async fn course_facts(&self, id: Uuid) -> Result<TargetFacts, CommandError> {
        let (course, _) = self.handler.state::<Course>(id).await?;
        Ok(owned_by(course.description.map(|d| d.owner)))
    }

    /// An offering's course, with each of `people` in it (as far as the
    /// reaches look at people), or the course alone when no one is named.
    /// Nothing at all when the offering does not exist.
    async fn offering_facts(&self, id: Uuid, people: &[Uuid], needs: Needs) -> Result<Vec<TargetFacts>, CommandError> {
        let (offering, _) = self.handler.state::<Offering>(id).await?;
        let Some(schedule) = offering.schedule else {
            return Ok(vec![TargetFacts::default(); people.len().max(1)]);
        };
        let course_owner = if needs.course {
            self.course_facts(schedule.course_id).await?.course_owner
        } else {
            None
        };
        if people.is_empty() {
            return Ok(vec![owned_by(course_owner)]);
        }
        let mut facts = Vec::with_capacity(people.len());
        for employee in people {
            let person = if needs.person {
                self.person_facts(*employee, needs).await?
            } else {
                TargetFacts::default()
            };
            facts.push(TargetFacts {
                course_owner: course_owner.clone(),
                ..person
            });
        }
        Ok(facts)
    }

    /// Logs the refusal and appends it to the day's security stream. The
    /// answer is the refusal whatever happens here: a failure to record it
    /// is logged, never turned into another answer.
    async fn record_denial(&self, ctx: &CommandContext, use_case: UseCase, target: &Target) {
        let principal = &ctx.principal;
        let (target_kind, target_id) = target.aggregate();
        tracing::warn!(
            actor = %principal.subject,
            use_case = use_case.name(),
            target_kind,
            %target_id,
            command_id = %ctx.command_id,
            "access denied"
        );
        let now = Utc::now();
        let event = SecurityEvent::AccessDenied {
            actor: principal.subject.clone(),
            roles: principal.roles.iter().map(|r| r.claim().to_owned()).collect(),
            use_case: use_case.name().to_owned(),
            target_kind: target_kind.to_owned(),
            target_id,
            command_id: ctx.command_id,
        };
        // A command id of its own: the store answers a known command id
        // with its first append, so the refused command's id on this event
        // would answer for that command if it were sent again once allowed
        // (and a refusal reusing an accepted command's id would not be
        // recorded at all). The refused command is its cause.
        let metadata = EventMetadata {
            correlation_id: ctx.correlation_id.unwrap_or(ctx.command_id),
            causation_id: ctx.command_id,
            ..EventMetadata::for_command(principal.subject.clone(), Uuid::now_v7())
        };
        let recorded = self
            .handler
            .store()
            .append(
                &security::stream_id(now.date_naive()),
                ExpectedVersion::Any,
                metadata,
                vec![new_event(&event, now)],
            )
            .await;
        if let Err(e) = recorded {
            tracing::error!(
                error = %e,
                actor = %principal.subject,
                use_case = use_case.name(),
                %target_id,
                "cannot record a refusal in the security stream"
            );
        }
    }
}

fn owned_by(owner: Option<CourseOwner>) -> TargetFacts {
    TargetFacts {
        course_owner: owner,
        ..TargetFacts::default()
    }
}
