//! Individual development plans (issue 20): goals that name a framework
//! competency and the level to reach in it, and the activities that get an
//! employee there. The manager approves the plan, progress and completions
//! are recorded against it, and a review ends it. See `docs/competencies.md`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::competency::Framework;
use crate::reference::Resor;
use crate::validate::{self, MAX_NAME_CHARS, MAX_REASON_CHARS};
use crate::{Decider, DomainError, ErrorCode};

/// A plan is one person's for one period: more goals or activities than these
/// make a catalogue rather than a plan, and the aggregate stays small enough
/// to load whole.
pub const MAX_GOALS: usize = 20;
pub const MAX_ACTIVITIES: usize = 50;

/// The share of development activities that should be workplace-based
/// (seed 000, annex 3: "70 % no attīstības pasākumiem ir darba vidē balstīti").
pub const WORKPLACE_TARGET_PERCENT: u32 = 70;

/// The share of staff with an individual career and growth map, by year (seed
/// 001, the State Chancellery's strategy 2025–2029, indicator M2.3; 2024 has
/// no target). The strategy sets it for the Chancellery's own staff; coverage
/// elsewhere is reported against the same path.
pub const PLAN_COVERAGE_PATH: [(i32, u32); 5] = [(2025, 10), (2026, 20), (2027, 30), (2028, 55), (2029, 70)];

/// `part` of `whole` in percent, to two decimals; none of nothing. How
/// plan coverage and the workplace-based share are both reported.
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 10_000.0 / whole as f64).round() / 100.0)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// A competency of a framework version and the level the employee aims for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Goal {
    pub goal_id: Uuid,
    pub framework_id: Uuid,
    pub framework_version: u32,
    /// The competency's code in that version, such as "1.2".
    pub competency: String,
    pub target_level: u8,
}

/// A goal as the plan keeps it: with the size of its competency's scale, so
/// that progress is checked without loading the framework again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedGoal {
    #[serde(flatten)]
    pub goal: Goal,
    pub levels: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ActivityKind {
    Course,
    WorkplaceLearning,
    Mentoring,
    JobShadowing,
    Rotation,
    SelfStudy,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 6] = [
        ActivityKind::Course,
        ActivityKind::WorkplaceLearning,
        ActivityKind::Mentoring,
        ActivityKind::JobShadowing,
        ActivityKind::Rotation,
        ActivityKind::SelfStudy,
    ];

    /// The plan's 70 % follows the 70-20-10 model: learning on the job (70)
    /// and from others (20) happen at the workplace; courses and self-study
    /// are the formal 10.
    pub fn workplace_based(self) -> bool {
        !matches!(self, ActivityKind::Course | ActivityKind::SelfStudy)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Activity {
    pub activity_id: Uuid,
    pub kind: ActivityKind,
    pub title: String,
    /// The catalogue course, for a course and only for one: its completion
    /// completes the activity.
    pub course_id: Option<Uuid>,
    /// The goal the activity works towards, if it serves one.
    pub goal_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevelopmentPlanCommand {
    /// The employee, institution and resor are checked by the caller.
    Create {
        plan_id: Uuid,
        employee_id: Uuid,
        institution_id: Uuid,
        resor: Option<Resor>,
        period: Period,
        goals: Vec<Goal>,
        activities: Vec<Activity>,
        /// The frameworks the goals name, as loaded by the caller, so that
        /// each goal's competency and level are checked here.
        frameworks: Vec<Framework>,
    },
    /// The approver's role (the employee's manager) is checked by the caller.
    Approve {
        approver_id: Uuid,
        approved_on: NaiveDate,
    },
    RecordGoalProgress {
        goal_id: Uuid,
        level: u8,
        recorded_on: NaiveDate,
        note: Option<String>,
    },
    /// Also sent when a course linked to the activity is completed.
    CompleteActivity {
        activity_id: Uuid,
        completed_on: NaiveDate,
        note: Option<String>,
    },
    Review {
        reviewed_on: NaiveDate,
        summary: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum DevelopmentPlanEvent {
    DevelopmentPlanCreated {
        plan_id: Uuid,
        employee_id: Uuid,
        institution_id: Uuid,
        resor: Option<Resor>,
        period: Period,
        goals: Vec<PlannedGoal>,
        activities: Vec<Activity>,
    },
    /// Carries the institution, resor and period so that coverage per
    /// institution, resor and year (seed 001) is counted from this event alone.
    DevelopmentPlanApproved {
        plan_id: Uuid,
        employee_id: Uuid,
        institution_id: Uuid,
        resor: Option<Resor>,
        period: Period,
        approver_id: Uuid,
        approved_on: NaiveDate,
    },
    GoalProgressRecorded {
        plan_id: Uuid,
        employee_id: Uuid,
        goal_id: Uuid,
        level: u8,
        /// Whether `level` reaches the goal's target.
        achieved: bool,
        recorded_on: NaiveDate,
        note: Option<String>,
    },
    DevelopmentActivityCompleted {
        plan_id: Uuid,
        employee_id: Uuid,
        activity_id: Uuid,
        completed_on: NaiveDate,
        note: Option<String>,
    },
    /// Ends the plan.
    DevelopmentPlanReviewed {
        plan_id: Uuid,
        employee_id: Uuid,
        reviewed_on: NaiveDate,
        summary: String,
        /// Goals whose latest recorded level reaches their target.
        goals_achieved: u32,
        goals_total: u32,
    },
}

crate::domain_event!(DevelopmentPlanEvent {
    DevelopmentPlanCreated,
    DevelopmentPlanApproved,
    GoalProgressRecorded,
    DevelopmentActivityCompleted,
    DevelopmentPlanReviewed,
});

/// Whose plan it is and for when: fixed at creation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    pub plan_id: Uuid,
    pub employee_id: Uuid,
    pub institution_id: Uuid,
    pub resor: Option<Resor>,
    pub period: Period,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedGoal {
    pub planned: PlannedGoal,
    /// The latest level recorded.
    pub level: Option<u8>,
}

impl TrackedGoal {
    pub fn achieved(&self) -> bool {
        self.level.is_some_and(|l| l >= self.planned.goal.target_level)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackedActivity {
    pub activity: Activity,
    pub completed_on: Option<NaiveDate>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DevelopmentPlan {
    pub scope: Option<Scope>,
    pub goals: Vec<TrackedGoal>,
    pub activities: Vec<TrackedActivity>,
    pub approved_on: Option<NaiveDate>,
    pub reviewed_on: Option<NaiveDate>,
}

impl DevelopmentPlan {
    /// (workplace-based activities, all activities), to report against
    /// `WORKPLACE_TARGET_PERCENT`; None for a plan without activities.
    pub fn workplace_share(&self) -> Option<(usize, usize)> {
        if self.activities.is_empty() {
            return None;
        }
        let workplace = self
            .activities
            .iter()
            .filter(|a| a.activity.kind.workplace_based())
            .count();
        Some((workplace, self.activities.len()))
    }

    /// A plan that still takes commands: created and not yet reviewed.
    fn open(&self) -> Result<Scope, DomainError> {
        let Some(scope) = self.scope else {
            return Err(DomainError::on(
                "planId",
                ErrorCode::NotFound,
                "no development plan is created with this id",
            ));
        };
        if self.reviewed_on.is_some() {
            return Err(DomainError::on(
                "planId",
                ErrorCode::InvalidValue,
                "the plan has been reviewed",
            ));
        }
        Ok(scope)
    }

    /// A date no earlier than the plan's period: learning recorded before it
    /// belongs to another plan.
    fn not_before_start(&self, field: &'static str, date: NaiveDate) -> Result<NaiveDate, DomainError> {
        match self.scope {
            Some(s) if date < s.period.starts_on => Err(DomainError::on(
                field,
                ErrorCode::OutOfRange,
                format!("{field} is before the plan starts on {}", s.period.starts_on),
            )),
            _ => Ok(date),
        }
    }

    fn goal(&self, goal_id: Uuid) -> Result<&TrackedGoal, DomainError> {
        self.goals
            .iter()
            .find(|g| g.planned.goal.goal_id == goal_id)
            .ok_or_else(|| DomainError::on("goalId", ErrorCode::NotFound, "the plan has no such goal"))
    }

    fn activity(&self, activity_id: Uuid) -> Result<&TrackedActivity, DomainError> {
        self.activities
            .iter()
            .find(|a| a.activity.activity_id == activity_id)
            .ok_or_else(|| DomainError::on("activityId", ErrorCode::NotFound, "the plan has no such activity"))
    }
}

impl Period {
    fn validated(self) -> Result<Self, DomainError> {
        if self.ends_on < self.starts_on {
            return Err(DomainError::on(
                "period.endsOn",
                ErrorCode::OutOfRange,
                format!(
                    "the period ends on {} before it starts on {}",
                    self.ends_on, self.starts_on
                ),
            ));
        }
        Ok(self)
    }
}

fn at_most(field: &'static str, count: usize, max: usize) -> Result<(), DomainError> {
    if count > max {
        return Err(DomainError::on(
            field,
            ErrorCode::OutOfRange,
            format!("a plan holds at most {max} {field}, got {count}"),
        ));
    }
    Ok(())
}

fn unique(field: &'static str, ids: impl Iterator<Item = Uuid>) -> Result<(), DomainError> {
    let mut seen = Vec::new();
    for id in ids {
        if seen.contains(&id) {
            return Err(DomainError::on(
                field,
                ErrorCode::AlreadyExists,
                format!("the id {id} is used twice"),
            ));
        }
        seen.push(id);
    }
    Ok(())
}

impl Goal {
    fn planned(&self, frameworks: &[Framework]) -> Result<PlannedGoal, DomainError> {
        let framework = frameworks
            .iter()
            .find(|f| f.id == Some(self.framework_id))
            .ok_or_else(|| {
                DomainError::on(
                    "goals.frameworkId",
                    ErrorCode::NotFound,
                    "no competency framework is published with this id",
                )
            })?;
        let competency = framework
            .assessable(self.framework_version, &self.competency, self.target_level)
            .map_err(on_goal)?;
        Ok(PlannedGoal {
            goal: self.clone(),
            levels: competency.levels.len() as u8,
        })
    }
}

/// `Framework::assessable` names its own fields; a plan's are inside `goals`.
fn on_goal(e: DomainError) -> DomainError {
    let field = match e.field {
        Some("frameworkVersion") => "goals.frameworkVersion",
        Some("competency") => "goals.competency",
        Some("level") => "goals.targetLevel",
        _ => "goals.frameworkId",
    };
    DomainError {
        field: Some(field),
        ..e
    }
}

impl Activity {
    fn validated(&self, goals: &[Goal]) -> Result<Self, DomainError> {
        self.course_matches_kind()?;
        if let Some(goal_id) = self.goal_id {
            if !goals.iter().any(|g| g.goal_id == goal_id) {
                return Err(DomainError::on(
                    "activities.goalId",
                    ErrorCode::NotFound,
                    "the activity names a goal the plan does not have",
                ));
            }
        }
        Ok(Self {
            title: validate::text("activities.title", &self.title, MAX_NAME_CHARS)?,
            ..self.clone()
        })
    }

    fn course_matches_kind(&self) -> Result<(), DomainError> {
        match (self.kind == ActivityKind::Course, self.course_id) {
            (true, None) => Err(DomainError::on(
                "activities.courseId",
                ErrorCode::Required,
                "a course activity names its course",
            )),
            (false, Some(_)) => Err(DomainError::on(
                "activities.courseId",
                ErrorCode::InvalidValue,
                "only a course activity names a course",
            )),
            _ => Ok(()),
        }
    }
}

/// A blank note is no note.
fn optional_note(note: Option<&str>) -> Result<Option<String>, DomainError> {
    note.filter(|n| !n.trim().is_empty())
        .map(|n| validate::text("note", n, MAX_REASON_CHARS))
        .transpose()
}

impl Decider for DevelopmentPlan {
    type Command = DevelopmentPlanCommand;
    type Event = DevelopmentPlanEvent;
    type State = DevelopmentPlan;

    fn stream_id(id: Uuid) -> String {
        format!("development-plan-{id}")
    }

    fn decide(
        command: &DevelopmentPlanCommand,
        state: &DevelopmentPlan,
    ) -> Result<Vec<DevelopmentPlanEvent>, DomainError> {
        use DevelopmentPlanCommand as C;
        use DevelopmentPlanEvent as E;
        match command {
            C::Create {
                plan_id,
                employee_id,
                institution_id,
                resor,
                period,
                goals,
                activities,
                frameworks,
            } => {
                if state.scope.is_some() {
                    return Err(DomainError::on(
                        "planId",
                        ErrorCode::AlreadyExists,
                        "a development plan with this id exists",
                    ));
                }
                let period = period.validated()?;
                if goals.is_empty() && activities.is_empty() {
                    return Err(DomainError::on(
                        "goals",
                        ErrorCode::Required,
                        "a plan needs a goal or an activity",
                    ));
                }
                at_most("goals", goals.len(), MAX_GOALS)?;
                at_most("activities", activities.len(), MAX_ACTIVITIES)?;
                unique("goals.goalId", goals.iter().map(|g| g.goal_id))?;
                unique("activities.activityId", activities.iter().map(|a| a.activity_id))?;
                Ok(vec![E::DevelopmentPlanCreated {
                    plan_id: *plan_id,
                    employee_id: *employee_id,
                    institution_id: *institution_id,
                    resor: *resor,
                    period,
                    goals: goals.iter().map(|g| g.planned(frameworks)).collect::<Result<_, _>>()?,
                    activities: activities
                        .iter()
                        .map(|a| a.validated(goals))
                        .collect::<Result<_, _>>()?,
                }])
            }
            C::Approve {
                approver_id,
                approved_on,
            } => {
                let scope = state.open()?;
                if state.approved_on.is_some() {
                    return Err(DomainError::new(
                        ErrorCode::NothingToChange,
                        None,
                        "the plan is already approved",
                    ));
                }
                if *approver_id == scope.employee_id {
                    return Err(DomainError::on(
                        "approverId",
                        ErrorCode::InvalidValue,
                        "an employee cannot approve their own plan",
                    ));
                }
                Ok(vec![E::DevelopmentPlanApproved {
                    plan_id: scope.plan_id,
                    employee_id: scope.employee_id,
                    institution_id: scope.institution_id,
                    resor: scope.resor,
                    period: scope.period,
                    approver_id: *approver_id,
                    approved_on: *approved_on,
                }])
            }
            C::RecordGoalProgress {
                goal_id,
                level,
                recorded_on,
                note,
            } => {
                let scope = state.open()?;
                let planned = &state.goal(*goal_id)?.planned;
                if *level == 0 || *level > planned.levels {
                    return Err(DomainError::on(
                        "level",
                        ErrorCode::OutOfRange,
                        format!("the goal's competency has levels 1 to {}, not {level}", planned.levels),
                    ));
                }
                Ok(vec![E::GoalProgressRecorded {
                    plan_id: scope.plan_id,
                    employee_id: scope.employee_id,
                    goal_id: *goal_id,
                    level: *level,
                    achieved: *level >= planned.goal.target_level,
                    recorded_on: state.not_before_start("recordedOn", *recorded_on)?,
                    note: optional_note(note.as_deref())?,
                }])
            }
            C::CompleteActivity {
                activity_id,
                completed_on,
                note,
            } => {
                let scope = state.open()?;
                if state.activity(*activity_id)?.completed_on.is_some() {
                    return Err(DomainError::on(
                        "activityId",
                        ErrorCode::NothingToChange,
                        "the activity is already completed",
                    ));
                }
                Ok(vec![E::DevelopmentActivityCompleted {
                    plan_id: scope.plan_id,
                    employee_id: scope.employee_id,
                    activity_id: *activity_id,
                    completed_on: state.not_before_start("completedOn", *completed_on)?,
                    note: optional_note(note.as_deref())?,
                }])
            }
            C::Review { reviewed_on, summary } => {
                let scope = state.open()?;
                if state.approved_on.is_none() {
                    return Err(DomainError::on(
                        "planId",
                        ErrorCode::InvalidValue,
                        "only an approved plan can be reviewed",
                    ));
                }
                Ok(vec![E::DevelopmentPlanReviewed {
                    plan_id: scope.plan_id,
                    employee_id: scope.employee_id,
                    reviewed_on: state.not_before_start("reviewedOn", *reviewed_on)?,
                    summary: validate::text("summary", summary, MAX_REASON_CHARS)?,
                    goals_achieved: state.goals.iter().filter(|g| g.achieved()).count() as u32,
                    goals_total: state.goals.len() as u32,
                }])
            }
        }
    }

    fn evolve(mut state: DevelopmentPlan, event: &DevelopmentPlanEvent) -> DevelopmentPlan {
        use DevelopmentPlanEvent as E;
        match event {
            E::DevelopmentPlanCreated {
                plan_id,
                employee_id,
                institution_id,
                resor,
                period,
                goals,
                activities,
            } => {
                state.scope = Some(Scope {
                    plan_id: *plan_id,
                    employee_id: *employee_id,
                    institution_id: *institution_id,
                    resor: *resor,
                    period: *period,
                });
                state.goals = goals
                    .iter()
                    .map(|g| TrackedGoal {
                        planned: g.clone(),
                        level: None,
                    })
                    .collect();
                state.activities = activities
                    .iter()
                    .map(|a| TrackedActivity {
                        activity: a.clone(),
                        completed_on: None,
                    })
                    .collect();
            }
            E::DevelopmentPlanApproved { approved_on, .. } => state.approved_on = Some(*approved_on),
            E::GoalProgressRecorded { goal_id, level, .. } => {
                if let Some(g) = state.goals.iter_mut().find(|g| g.planned.goal.goal_id == *goal_id) {
                    g.level = Some(*level);
                }
            }
            E::DevelopmentActivityCompleted {
                activity_id,
                completed_on,
                ..
            } => {
                if let Some(a) = state
                    .activities
                    .iter_mut()
                    .find(|a| a.activity.activity_id == *activity_id)
                {
                    a.completed_on = Some(*completed_on);
                }
            }
            E::DevelopmentPlanReviewed { reviewed_on, .. } => state.reviewed_on = Some(*reviewed_on),
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::competency::{Area, Competency, FrameworkContent, FrameworkEvent, Level};
    use crate::DomainEvent;
    use DevelopmentPlanCommand as C;
    use DevelopmentPlanEvent as E;

    const PLAN: Uuid = Uuid::from_u128(1);
    const EMPLOYEE: Uuid = Uuid::from_u128(2);
    const INSTITUTION: Uuid = Uuid::from_u128(3);
    const MANAGER: Uuid = Uuid::from_u128(4);
    const FRAMEWORK: Uuid = Uuid::from_u128(10);
    const COURSE: Uuid = Uuid::from_u128(20);
    const GOAL: Uuid = Uuid::from_u128(30);
    const MENTORING: Uuid = Uuid::from_u128(40);
    const TRAINING: Uuid = Uuid::from_u128(41);

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn period() -> Period {
        Period {
            starts_on: date("2026-01-01"),
            ends_on: date("2026-12-31"),
        }
    }

    /// DigComp-like: competency "1.1" on a scale of 8 levels.
    fn framework() -> Framework {
        let levels = (1..=8)
            .map(|number| Level {
                number,
                name: format!("Level {number}"),
                description: "Can do it".into(),
                band: None,
            })
            .collect();
        Framework::fold(&[FrameworkEvent::CompetencyFrameworkPublished {
            framework_id: FRAMEWORK,
            version: 1,
            content: FrameworkContent {
                title: "Digital competence".into(),
                areas: vec![Area {
                    code: "1".into(),
                    name: "Information".into(),
                    competencies: vec![Competency {
                        code: "1.1".into(),
                        name: "Browsing".into(),
                        levels,
                        required: vec![],
                    }],
                }],
            },
        }])
    }

    fn goal() -> Goal {
        Goal {
            goal_id: GOAL,
            framework_id: FRAMEWORK,
            framework_version: 1,
            competency: "1.1".into(),
            target_level: 5,
        }
    }

    fn mentoring() -> Activity {
        Activity {
            activity_id: MENTORING,
            kind: ActivityKind::Mentoring,
            title: "  Monthly sessions with a senior analyst  ".into(),
            course_id: None,
            goal_id: Some(GOAL),
        }
    }

    fn training() -> Activity {
        Activity {
            activity_id: TRAINING,
            kind: ActivityKind::Course,
            title: "Data literacy".into(),
            course_id: Some(COURSE),
            goal_id: Some(GOAL),
        }
    }

    fn create(goals: Vec<Goal>, activities: Vec<Activity>) -> C {
        C::Create {
            plan_id: PLAN,
            employee_id: EMPLOYEE,
            institution_id: INSTITUTION,
            resor: Some(Resor::Vk),
            period: period(),
            goals,
            activities,
            frameworks: vec![framework()],
        }
    }

    fn created() -> E {
        when(&[], create(vec![goal()], vec![mentoring(), training()]))
            .unwrap()
            .remove(0)
    }

    fn approve(approver_id: Uuid, on: &str) -> C {
        C::Approve {
            approver_id,
            approved_on: date(on),
        }
    }

    fn approved() -> E {
        when(&[created()], approve(MANAGER, "2025-12-15")).unwrap().remove(0)
    }

    fn reviewed() -> E {
        when(&[created(), approved()], review("2026-12-20")).unwrap().remove(0)
    }

    fn progress(level: u8, on: &str) -> C {
        C::RecordGoalProgress {
            goal_id: GOAL,
            level,
            recorded_on: date(on),
            note: None,
        }
    }

    fn complete(activity_id: Uuid) -> C {
        C::CompleteActivity {
            activity_id,
            completed_on: date("2026-03-01"),
            note: Some("   ".into()),
        }
    }

    fn review(on: &str) -> C {
        C::Review {
            reviewed_on: date(on),
            summary: "Reached the target in data literacy".into(),
        }
    }

    fn when(given: &[E], c: C) -> Result<Vec<E>, DomainError> {
        DevelopmentPlan::decide(&c, &DevelopmentPlan::fold(given))
    }

    fn refused(r: Result<Vec<E>, DomainError>) -> (ErrorCode, Option<&'static str>) {
        let e = r.expect_err("refused");
        (e.code, e.field)
    }

    #[test]
    fn creating_keeps_each_goals_scale_and_trims_titles() {
        let E::DevelopmentPlanCreated { goals, activities, .. } = created() else {
            unreachable!()
        };
        assert_eq!(
            goals,
            vec![PlannedGoal {
                goal: goal(),
                levels: 8
            }]
        );
        assert_eq!(activities[0].title, "Monthly sessions with a senior analyst");
        assert_eq!(
            refused(when(&[created()], create(vec![goal()], vec![]))),
            (ErrorCode::AlreadyExists, Some("planId"))
        );
    }

    #[test]
    fn a_period_that_ends_before_it_starts_is_refused() {
        let mut c = create(vec![goal()], vec![]);
        let C::Create { period, .. } = &mut c else {
            unreachable!()
        };
        period.ends_on = date("2025-12-31");
        assert_eq!(refused(when(&[], c)), (ErrorCode::OutOfRange, Some("period.endsOn")));
    }

    #[test]
    fn a_plan_needs_something_in_it_and_not_too_much() {
        assert_eq!(
            refused(when(&[], create(vec![], vec![]))),
            (ErrorCode::Required, Some("goals"))
        );
        let goals = (0..=MAX_GOALS as u128)
            .map(|i| Goal {
                goal_id: Uuid::from_u128(100 + i),
                ..goal()
            })
            .collect();
        assert_eq!(
            refused(when(&[], create(goals, vec![]))),
            (ErrorCode::OutOfRange, Some("goals"))
        );
        let activities = (0..=MAX_ACTIVITIES as u128)
            .map(|i| Activity {
                activity_id: Uuid::from_u128(100 + i),
                ..mentoring()
            })
            .collect();
        assert_eq!(
            refused(when(&[], create(vec![goal()], activities))),
            (ErrorCode::OutOfRange, Some("activities"))
        );
    }

    #[test]
    fn goal_and_activity_ids_are_unique_within_the_plan() {
        assert_eq!(
            refused(when(&[], create(vec![goal(), goal()], vec![]))),
            (ErrorCode::AlreadyExists, Some("goals.goalId"))
        );
        assert_eq!(
            refused(when(&[], create(vec![goal()], vec![mentoring(), mentoring()]))),
            (ErrorCode::AlreadyExists, Some("activities.activityId"))
        );
    }

    #[test]
    fn a_goal_on_a_competency_not_in_the_framework_is_refused() {
        let unknown = Goal {
            competency: "9.9".into(),
            ..goal()
        };
        assert_eq!(
            refused(when(&[], create(vec![unknown], vec![]))),
            (ErrorCode::NotFound, Some("goals.competency"))
        );
        let no_such_version = Goal {
            framework_version: 2,
            ..goal()
        };
        assert_eq!(
            refused(when(&[], create(vec![no_such_version], vec![]))),
            (ErrorCode::NotFound, Some("goals.frameworkVersion"))
        );
    }

    #[test]
    fn a_goals_target_level_stays_on_the_competencys_scale() {
        for target_level in [0, 9] {
            let off_scale = Goal { target_level, ..goal() };
            assert_eq!(
                refused(when(&[], create(vec![off_scale], vec![]))),
                (ErrorCode::OutOfRange, Some("goals.targetLevel"))
            );
        }
    }

    #[test]
    fn a_goal_naming_a_framework_not_given_is_not_found() {
        let elsewhere = Goal {
            framework_id: Uuid::from_u128(11),
            ..goal()
        };
        assert_eq!(
            refused(when(&[], create(vec![elsewhere], vec![]))),
            (ErrorCode::NotFound, Some("goals.frameworkId"))
        );
        let retired = FrameworkEvent::CompetencyFrameworkRetired {
            framework_id: FRAMEWORK,
            reason: "replaced".into(),
        };
        let mut c = create(vec![goal()], vec![]);
        let C::Create { frameworks, .. } = &mut c else {
            unreachable!()
        };
        frameworks[0] = Framework::evolve(framework(), &retired);
        assert_eq!(
            refused(when(&[], c)),
            (ErrorCode::InvalidValue, Some("goals.frameworkId"))
        );
    }

    #[test]
    fn a_course_activity_names_its_course_and_only_a_course_does() {
        let no_course = Activity {
            course_id: None,
            ..training()
        };
        assert_eq!(
            refused(when(&[], create(vec![goal()], vec![no_course]))),
            (ErrorCode::Required, Some("activities.courseId"))
        );
        let mentoring_with_course = Activity {
            course_id: Some(COURSE),
            ..mentoring()
        };
        assert_eq!(
            refused(when(&[], create(vec![goal()], vec![mentoring_with_course]))),
            (ErrorCode::InvalidValue, Some("activities.courseId"))
        );
    }

    #[test]
    fn an_activity_naming_a_goal_the_plan_lacks_is_refused() {
        let stray = Activity {
            goal_id: Some(Uuid::from_u128(99)),
            ..mentoring()
        };
        assert_eq!(
            refused(when(&[], create(vec![goal()], vec![stray]))),
            (ErrorCode::NotFound, Some("activities.goalId"))
        );
        let untitled = Activity {
            title: " ".into(),
            ..mentoring()
        };
        assert_eq!(
            refused(when(&[], create(vec![goal()], vec![untitled]))),
            (ErrorCode::Required, Some("activities.title"))
        );
    }

    #[test]
    fn approval_carries_what_coverage_counts_and_happens_once() {
        assert_eq!(
            approved(),
            E::DevelopmentPlanApproved {
                plan_id: PLAN,
                employee_id: EMPLOYEE,
                institution_id: INSTITUTION,
                resor: Some(Resor::Vk),
                period: period(),
                approver_id: MANAGER,
                approved_on: date("2025-12-15"),
            }
        );
        let again = approve(MANAGER, "2026-01-10");
        assert_eq!(
            refused(when(&[created(), approved()], again)),
            (ErrorCode::NothingToChange, None)
        );
    }

    #[test]
    fn only_an_existing_plan_is_approved_and_not_by_its_employee() {
        let own = approve(EMPLOYEE, "2026-01-10");
        assert_eq!(
            refused(when(&[created()], own)),
            (ErrorCode::InvalidValue, Some("approverId"))
        );
        let missing = approve(MANAGER, "2026-01-10");
        assert_eq!(refused(when(&[], missing)), (ErrorCode::NotFound, Some("planId")));
    }

    #[test]
    fn progress_names_a_goal_of_the_plan_on_its_scale_within_the_period() {
        let given = [created(), approved()];
        let unknown = C::RecordGoalProgress {
            goal_id: Uuid::from_u128(99),
            level: 3,
            recorded_on: date("2026-02-01"),
            note: None,
        };
        assert_eq!(refused(when(&given, unknown)), (ErrorCode::NotFound, Some("goalId")));
        assert_eq!(
            refused(when(&given, progress(9, "2026-02-01"))),
            (ErrorCode::OutOfRange, Some("level"))
        );
        assert_eq!(
            refused(when(&given, progress(3, "2025-12-31"))),
            (ErrorCode::OutOfRange, Some("recordedOn"))
        );
    }

    #[test]
    fn progress_reaching_the_target_achieves_the_goal() {
        let given = [created(), approved()];
        let recorded = |level, achieved| E::GoalProgressRecorded {
            plan_id: PLAN,
            employee_id: EMPLOYEE,
            goal_id: GOAL,
            level,
            achieved,
            recorded_on: date("2026-06-01"),
            note: None,
        };
        assert_eq!(when(&given, progress(4, "2026-06-01")), Ok(vec![recorded(4, false)]));
        assert_eq!(when(&given, progress(5, "2026-06-01")), Ok(vec![recorded(5, true)]));
    }

    #[test]
    fn an_activity_is_completed_once() {
        let given = [created(), approved()];
        let then = when(&given, complete(MENTORING)).unwrap();
        assert_eq!(
            then,
            vec![E::DevelopmentActivityCompleted {
                plan_id: PLAN,
                employee_id: EMPLOYEE,
                activity_id: MENTORING,
                completed_on: date("2026-03-01"),
                note: None,
            }]
        );
        let completed = [created(), approved(), then[0].clone()];
        assert_eq!(
            refused(when(&completed, complete(MENTORING))),
            (ErrorCode::NothingToChange, Some("activityId"))
        );
        assert_eq!(
            refused(when(&given, complete(Uuid::from_u128(99)))),
            (ErrorCode::NotFound, Some("activityId"))
        );
    }

    #[test]
    fn only_an_approved_plan_is_reviewed_and_the_review_counts_goals_achieved() {
        assert_eq!(
            refused(when(&[created()], review("2026-12-20"))),
            (ErrorCode::InvalidValue, Some("planId"))
        );
        assert_eq!(
            refused(when(&[created(), approved()], review("2025-12-20"))),
            (ErrorCode::OutOfRange, Some("reviewedOn"))
        );
        let achieved = when(&[created(), approved()], progress(6, "2026-11-01"))
            .unwrap()
            .remove(0);
        let E::DevelopmentPlanReviewed {
            goals_achieved,
            goals_total,
            ..
        } = when(&[created(), approved(), achieved], review("2026-12-20"))
            .unwrap()
            .remove(0)
        else {
            unreachable!()
        };
        assert_eq!((goals_achieved, goals_total), (1, 1));
        let E::DevelopmentPlanReviewed { goals_achieved, .. } = reviewed() else {
            unreachable!()
        };
        assert_eq!(goals_achieved, 0);
    }

    #[test]
    fn nothing_is_accepted_after_the_review() {
        let given = [created(), approved(), reviewed()];
        for c in [
            approve(MANAGER, "2026-12-30"),
            progress(5, "2026-12-30"),
            complete(TRAINING),
            review("2026-12-30"),
        ] {
            let e = when(&given, c).unwrap_err();
            assert_eq!((e.code, e.field), (ErrorCode::InvalidValue, Some("planId")));
            assert_eq!(e.message, "the plan has been reviewed");
        }
    }

    #[test]
    fn events_round_trip_through_their_stored_form() {
        let progress = when(&[created(), approved()], progress(5, "2026-06-01"))
            .unwrap()
            .remove(0);
        let completed = when(&[created(), approved()], complete(TRAINING)).unwrap().remove(0);
        for event in [created(), approved(), progress, completed, reviewed()] {
            let payload = event.to_payload();
            let back =
                DevelopmentPlanEvent::from_stored(event.event_type(), DevelopmentPlanEvent::SCHEMA_VERSION, &payload)
                    .unwrap();
            assert_eq!(back, event);
        }
        let payload = created().to_payload();
        assert_eq!(payload["goals"][0]["targetLevel"], 5);
        assert_eq!(payload["goals"][0]["levels"], 8);
        assert_eq!(payload["activities"][0]["kind"], "MENTORING");
        assert_eq!(payload["period"]["endsOn"], "2026-12-31");
        assert_eq!(payload["resor"], "VK");
    }

    #[test]
    fn the_workplace_share_counts_all_but_courses_and_self_study() {
        assert_eq!(DevelopmentPlan::default().workplace_share(), None);
        assert_eq!(DevelopmentPlan::fold(&[created()]).workplace_share(), Some((1, 2)));
        assert!(ActivityKind::Rotation.workplace_based());
        assert!(ActivityKind::JobShadowing.workplace_based());
        assert!(!ActivityKind::SelfStudy.workplace_based());
    }
}
