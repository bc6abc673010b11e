use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::Context;
use prasme_commands::{read_reach, Principal, ReadOf, UseCases, Vault};
use prasme_projections::{ReadScope, Runner};
use sqlx::PgPool;
use tokio::sync::{OnceCell, Semaphore, SemaphorePermit};

use crate::errors::{internal, ApiError, Code};
use crate::identity::Identity;
use crate::kpi_updates::KpiUpdates;
use crate::loaders::{loaders, LoadError, Loaders};
use crate::throttle::AccessLimits;

/// What every resolver can reach.
#[derive(Clone)]
pub struct ApiContext {
    pub pool: PgPool,
    /// Every command goes through one of these.
    pub use_cases: UseCases,
    /// Opens sealed personal data for reading.
    pub vault: Vault,
    pub projections: Runner,
    /// How long a query with `atLeastPosition` waits for the read models.
    pub read_wait: Duration,
    /// How callers' tokens are verified; also whether this is development mode.
    pub identity: Identity,
    pub limits: AccessLimits,
    /// The `kpiUpdated` feed all subscribers share (started by the first).
    pub kpi_updates: KpiUpdates,
}

pub(crate) fn api<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a ApiContext> {
    ctx.data::<ApiContext>()
        .map_err(|_| internal("the API context is missing"))
}

/// How many pool connections one request may use at once. Its fields are
/// resolved concurrently; without a bound, one request with hundreds of
/// aliases takes every connection of the pool and starves everyone else.
pub const READ_CONNECTIONS_PER_REQUEST: usize = 2;

/// One request's share of the pool, its read scopes and its set-based
/// loaders, added to every request (HTTP and WebSocket) by `limits`. The
/// scopes are resolved on first use from the request's principal, once per
/// request (for a subscription: once, when it starts).
pub(crate) struct ReadBudget {
    permits: Arc<Semaphore>,
    pool: PgPool,
    scopes: [OnceCell<ReadScope>; ReadOf::ALL.len()],
    loaders: OnceCell<Loaders>,
}

impl ReadBudget {
    pub(crate) fn new(pool: PgPool) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(READ_CONNECTIONS_PER_REQUEST)),
            pool,
            scopes: Default::default(),
            loaders: OnceCell::new(),
        }
    }
}

fn budget<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a ReadBudget> {
    ctx.data::<ReadBudget>()
        .map_err(|_| internal("the request's read budget is missing"))
}

/// What of `kind` the caller may read, as the policy says for its principal.
pub(crate) async fn scope<'a>(ctx: &Context<'a>, kind: ReadOf) -> async_graphql::Result<&'a ReadScope> {
    let principal = principal(ctx)?;
    let budget = budget(ctx)?;
    let index = ReadOf::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    budget.scopes[index]
        .get_or_try_init(|| async {
            let _permit = budget
                .permits
                .acquire()
                .await
                .map_err(|_| internal("the request's read budget is closed"))?;
            let reach = read_reach(principal, kind);
            if reach.is_empty() {
                // Rows out of a partial reach are scoped away silently (they
                // read as missing); a role with no reach at all is refused.
                tracing::warn!(actor = %principal.subject, read = ?kind, path = %ctx.path_node.map(|p| p.to_string()).unwrap_or_default(), "read denied: nothing of this kind is in the caller's reach");
            }
            ReadScope::resolve(&budget.pool, &reach)
                .await
                .map_err(crate::errors::db)
        })
        .await
}

/// The request's loaders, which read budgets within its budget scope.
pub(crate) async fn loader<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
    let budget = budget(ctx)?;
    let scope = scope(ctx, ReadOf::Budget).await?.clone();
    Ok(budget
        .loaders
        .get_or_init(|| async { loaders(budget.pool.clone(), budget.permits.clone(), scope) })
        .await)
}

/// A loader's failure, as the `INTERNAL` error of each field that waited on it.
pub(crate) fn load_failed(e: LoadError) -> async_graphql::Error {
    crate::errors::db(e)
}

/// The pool, for one read within the request's budget. Hold it for one
/// statement only (`&*reads(ctx).await?`): a resolver that kept it while
/// waiting for another could wait forever.
pub(crate) struct Reads<'a> {
    pool: &'a PgPool,
    _permit: Option<SemaphorePermit<'a>>,
}

impl Deref for Reads<'_> {
    type Target = PgPool;

    fn deref(&self) -> &PgPool {
        self.pool
    }
}

pub(crate) async fn reads<'a>(ctx: &Context<'a>) -> async_graphql::Result<Reads<'a>> {
    let pool = &api(ctx)?.pool;
    let permit = match ctx.data_opt::<ReadBudget>() {
        Some(budget) => Some(
            budget
                .permits
                .acquire()
                .await
                .map_err(|_| internal("the request's read budget is closed"))?,
        ),
        None => None,
    };
    Ok(Reads { pool, _permit: permit })
}

/// Who sent the request, from its verified token: what every command is
/// authorised for and records as its actor, and what every read is scoped to.
pub(crate) fn principal<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Principal> {
    ctx.data_opt::<Principal>()
        .ok_or_else(|| Code::Unauthenticated.error("send a token: Authorization: Bearer <JWT>"))
}

impl ApiContext {
    /// Waits (bounded) until the read models named have projected every
    /// event committed so far: for a check that a record just written exists.
    pub(crate) async fn reach_head(&self, reads: &[&str]) -> async_graphql::Result<()> {
        let head = prasme_eventstore::head_position(&self.pool)
            .await
            .map_err(crate::errors::db)?;
        self.reach(reads, Some(head)).await
    }

    /// Read-your-writes: waits until the read models named (see
    /// `read_models`) include `position`.
    pub(crate) async fn reach(&self, reads: &[&str], position: Option<i64>) -> async_graphql::Result<()> {
        let Some(position) = position else { return Ok(()) };
        self.projections
            .wait_for_these(reads, position, self.read_wait)
            .await
            .map_err(|lag| {
                ApiError::ReadModelBehind {
                    wanted: lag.wanted,
                    reached: lag.reached,
                    waited_ms: self.read_wait.as_millis(),
                }
                .into()
            })
    }
}

/// The read models each kind of answer reads, with every type its fields
/// lead to: what `atLeastPosition` waits for, and no more.
pub(crate) mod read_models {
    use prasme_projections::{
        CompetencyProjection, CourseProjection, DevelopmentPlanProjection, EmployeeProjection, FeedbackCycleProjection,
        KpiProjection, OfferingProjection, PlanProjection, ScorecardProjection, TrainingBudgetProjection,
    };

    /// Institutions and their budgets (seat costs included).
    pub(crate) const INSTITUTIONS: &[&str] = &[TrainingBudgetProjection::NAME];
    /// Employees lead to their institution and their places.
    pub(crate) const EMPLOYEES: &[&str] = &[
        EmployeeProjection::NAME,
        TrainingBudgetProjection::NAME,
        OfferingProjection::NAME,
    ];
    /// Courses lead to their owner institution and their offerings.
    pub(crate) const COURSES: &[&str] = &[
        CourseProjection::NAME,
        TrainingBudgetProjection::NAME,
        OfferingProjection::NAME,
    ];
    /// Offerings and places lead to courses, employees and institutions.
    pub(crate) const OFFERINGS: &[&str] = &[
        OfferingProjection::NAME,
        CourseProjection::NAME,
        EmployeeProjection::NAME,
        TrainingBudgetProjection::NAME,
    ];
    /// Competency frameworks are reference data that lead nowhere else.
    pub(crate) const COMPETENCIES: &[&str] = &[CompetencyProjection::NAME];
    /// Competence records lead to their employee, and a gap report to its
    /// institution and the employees counted; evidence is read from places
    /// and the catalogue.
    pub(crate) const COMPETENCE: &[&str] = &[
        CompetencyProjection::NAME,
        EmployeeProjection::NAME,
        TrainingBudgetProjection::NAME,
        OfferingProjection::NAME,
        CourseProjection::NAME,
    ];
    /// Development plans lead to their employee; coverage counts employment
    /// periods, institutions and, for course activities, places.
    pub(crate) const DEVELOPMENT_PLANS: &[&str] = &[
        DevelopmentPlanProjection::NAME,
        EmployeeProjection::NAME,
        TrainingBudgetProjection::NAME,
        OfferingProjection::NAME,
    ];
    /// Feedback cycles lead to their subject, in scope by their institution
    /// and manager.
    pub(crate) const FEEDBACK_CYCLES: &[&str] = &[FeedbackCycleProjection::NAME, EmployeeProjection::NAME];
    /// The plan, reference data, with its indicators' values.
    pub(crate) const KPIS: &[&str] = &[PlanProjection::NAME, KpiProjection::NAME];
    /// An institution's scorecard: its budget, learning time, plan coverage
    /// and participation per priority.
    pub(crate) const SCORECARD: &[&str] = &[
        ScorecardProjection::NAME,
        TrainingBudgetProjection::NAME,
        OfferingProjection::NAME,
        EmployeeProjection::NAME,
        DevelopmentPlanProjection::NAME,
    ];
    /// Learning time and activity: places and employment periods, of an
    /// institution or employee that must exist.
    pub(crate) const ACTIVITY: &[&str] = &[
        OfferingProjection::NAME,
        EmployeeProjection::NAME,
        TrainingBudgetProjection::NAME,
    ];
}
