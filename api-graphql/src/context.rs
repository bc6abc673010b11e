use std::time::Duration;

use async_graphql::{Context, ErrorExtensions};
use prasme_commands::{CommandHandler, Vault};
use prasme_projections::Runner;
use sqlx::PgPool;

use crate::errors::internal;

/// What every resolver can reach.
#[derive(Clone)]
pub struct ApiContext {
    pub pool: PgPool,
    pub commands: CommandHandler,
    /// Seals and opens personal data; erasing a key shreds it.
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

pub(crate) fn actor(ctx: &Context<'_>) -> String {
    ctx.data_opt::<Actor>()
        .map(|a| a.0.clone())
        .unwrap_or_else(|| "anonymous".to_owned())
}

impl ApiContext {
    /// Read-your-writes: waits until the read models include `position`.
    pub(crate) async fn reach(&self, position: Option<i64>) -> async_graphql::Result<()> {
        let Some(position) = position else { return Ok(()) };
        self.projections
            .wait_for(position, self.read_wait)
            .await
            .map_err(|lag| {
                async_graphql::Error::new(format!(
                    "the read models reached position {} but not {} within {} ms; retry later",
                    lag.reached,
                    lag.wanted,
                    self.read_wait.as_millis()
                ))
                .extend_with(|_, e| {
                    e.set("code", "READ_MODEL_BEHIND");
                    e.set("wanted", lag.wanted);
                    e.set("reached", lag.reached);
                })
            })
    }
}
