use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use async_graphql::Context;
use prasme_commands::{UseCases, Vault};
use prasme_projections::Runner;
use sqlx::PgPool;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::errors::{internal, ApiError};
use crate::loaders::{loaders, LoadError, Loaders};

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
}

/// Who sent the request; recorded as the actor of every event it causes.
/// Until sign-in exists it comes from the `X-Prasme-Actor` header.
#[derive(Clone, Debug)]
pub struct Actor(pub String);

pub(crate) fn api<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a ApiContext> {
    ctx.data::<ApiContext>()
        .map_err(|_| internal("the API context is missing"))
}

/// How many pool connections one request may use at once. Its fields are
/// resolved concurrently; without a bound, one request with hundreds of
/// aliases takes every connection of the pool and starves everyone else.
pub const READ_CONNECTIONS_PER_REQUEST: usize = 2;

/// One request's share of the pool and its set-based loaders, added to
/// every request (HTTP and WebSocket) by `limits`.
pub(crate) struct ReadBudget {
    permits: Arc<Semaphore>,
    pub(crate) loaders: Loaders,
}

impl ReadBudget {
    pub(crate) fn new(pool: PgPool) -> Self {
        let permits = Arc::new(Semaphore::new(READ_CONNECTIONS_PER_REQUEST));
        Self {
            loaders: loaders(pool, permits.clone()),
            permits,
        }
    }
}

/// The request's loaders.
pub(crate) fn loader<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a Loaders> {
    ctx.data::<ReadBudget>()
        .map(|b| &b.loaders)
        .map_err(|_| internal("the request's read budget is missing"))
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

pub(crate) fn actor(ctx: &Context<'_>) -> String {
    ctx.data_opt::<Actor>()
        .map(|a| a.0.clone())
        .unwrap_or_else(|| "anonymous".to_owned())
}

impl ApiContext {
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
    use prasme_projections::{CourseProjection, EmployeeProjection, OfferingProjection, TrainingBudgetProjection};

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
    /// Learning time and activity: places and employment periods, of an
    /// institution or employee that must exist.
    pub(crate) const ACTIVITY: &[&str] = &[
        OfferingProjection::NAME,
        EmployeeProjection::NAME,
        TrainingBudgetProjection::NAME,
    ];
}
