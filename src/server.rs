//! The running server: HTTP and WebSocket on one listener, with the
//! projection runner beside it, and a graceful stop.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use prasme_api_graphql::identity::KeySetError;
use prasme_api_graphql::{router, AccessLimits, ApiContext, Identity, KpiUpdates};
use prasme_commands::{CommandContext, CommandHandler, FeedbackKeys, Principal, UseCases, Vault, VaultError};
use prasme_eventstore::EventStore;
use prasme_projections::{
    CompetencyProjection, CourseProjection, DevelopmentPlanProjection, EmployeeProjection, FeedbackCycleProjection,
    KpiProjection, OfferingProjection, PlanProjection, Projection, ProjectionError, ProjectionRunner,
    ScorecardProjection, TrainingBudgetProjection,
};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use uuid::Uuid;

/// How long in-flight requests get after a stop signal. Open subscriptions
/// never end by themselves, so the server does not wait for them past this.
const GRACE: Duration = Duration::from_secs(10);

/// Every projection the server runs, by name.
pub fn projections() -> Vec<Arc<dyn Projection>> {
    vec![
        Arc::new(TrainingBudgetProjection),
        Arc::new(EmployeeProjection),
        Arc::new(CourseProjection),
        Arc::new(OfferingProjection),
        Arc::new(CompetencyProjection),
        Arc::new(DevelopmentPlanProjection),
        Arc::new(FeedbackCycleProjection),
        Arc::new(PlanProjection),
        Arc::new(KpiProjection::new()),
        Arc::new(ScorecardProjection),
    ]
}

/// Who may call, and how much.
#[derive(Clone)]
pub struct Security {
    pub identity: Identity,
    /// Where the JWKS comes from (production); a URL is fetched again every
    /// [`JWKS_REFRESH`].
    pub jwks: Option<KeySource>,
    pub limits: AccessLimits,
}

/// The issuer and audience Prasme expects unless told otherwise.
pub const DEFAULT_ISSUER: &str = "prasme";
pub const DEFAULT_AUDIENCE: &str = "prasme";

/// How often a JWKS fetched from a URL is fetched again, so that an
/// identity provider's key rotation reaches the server without a restart.
pub const JWKS_REFRESH: Duration = Duration::from_secs(300);

#[derive(Debug, Clone)]
pub enum KeySource {
    File(std::path::PathBuf),
    Url(String),
}

impl KeySource {
    /// A path, or an `http://` / `https://` URL.
    pub fn parse(source: &str) -> Self {
        if source.starts_with("http://") || source.starts_with("https://") {
            KeySource::Url(source.to_owned())
        } else {
            KeySource::File(source.into())
        }
    }

    async fn read(&self) -> Result<String, BuildError> {
        match self {
            KeySource::File(path) => tokio::fs::read_to_string(path)
                .await
                .map_err(|e| BuildError::Keys(format!("cannot read the JWKS {}: {e}", path.display()))),
            KeySource::Url(url) => {
                let fetch = async {
                    reqwest::Client::builder()
                        .timeout(Duration::from_secs(10))
                        .build()?
                        .get(url)
                        .send()
                        .await?
                        .error_for_status()?
                        .text()
                        .await
                };
                fetch
                    .await
                    .map_err(|e| BuildError::Keys(format!("cannot fetch the JWKS {url}: {e}")))
            }
        }
    }
}

impl Security {
    /// Development mode: HS256 tokens with `secret` (see `prasme token`),
    /// GraphiQL and introspection served.
    pub fn development(secret: &[u8]) -> Self {
        Self {
            identity: Identity::development(DEFAULT_ISSUER, DEFAULT_AUDIENCE, secret),
            jwks: None,
            limits: AccessLimits::default(),
        }
    }

    async fn load_keys(&self) -> Result<(), BuildError> {
        let Some(source) = &self.jwks else { return Ok(()) };
        let text = source.read().await?;
        let count = self
            .identity
            .set_keys(&text)
            .map_err(|e: KeySetError| BuildError::Keys(e.to_string()))?;
        tracing::info!(keys = count, ?source, "JWKS loaded");
        Ok(())
    }
}

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    background_tasks: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
}

impl Application {
    /// Binds `listen` (port 0 picks a free port) and starts the projections.
    pub async fn build(
        pool: PgPool,
        listen: SocketAddr,
        read_wait: Duration,
        security: Security,
    ) -> Result<Self, BuildError> {
        security.load_keys().await?;
        let listener = TcpListener::bind(listen).await?;
        // A close or cancel that stopped between its append and its delete
        // left a key behind: destroy it before anything else runs.
        FeedbackKeys::destroy_leftovers(&pool).await?;
        let store = EventStore::new(pool.clone());
        let vault = Vault::new(pool.clone());
        let use_cases = UseCases::new(CommandHandler::new(store.clone()), vault.clone());
        // The plan is reference data of the log: on first start, Prasme
        // publishes it as the annexes state it, before the projections
        // start, so that being ready includes it.
        use_cases
            .publish_plan(&CommandContext::new(Uuid::now_v7(), Principal::system("prasme")))
            .await
            .map_err(|e| BuildError::Plan(e.to_string()))?;
        let (stop, stopped) = watch::channel(false);
        let (runner, background_tasks) = ProjectionRunner::new(store, projections()).start(stopped).await?;
        let ctx = ApiContext {
            use_cases,
            vault,
            pool,
            projections: runner,
            read_wait,
            identity: security.identity.clone(),
            limits: security.limits,
            kpi_updates: KpiUpdates::default(),
        };
        let mut background_tasks = background_tasks;
        background_tasks.push(tokio::spawn(sweep_feedback_keys(ctx.pool.clone(), stop.subscribe())));
        if let Some(KeySource::Url(_)) = &security.jwks {
            background_tasks.push(tokio::spawn(refresh_keys(security, stop.subscribe())));
        }
        Ok(Self {
            listener,
            router: router(ctx, stop.subscribe()),
            background_tasks,
            stop,
        })
    }

    /// The routes alone, to drive in-process (the fuzz target does).
    pub fn router(&self) -> axum::Router {
        self.router.clone()
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `signal` completes, then lets in-flight requests finish
    /// and the projections stop at a checkpoint.
    pub async fn run_until(self, signal: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let stop = self.stop;
        let mut stopping = stop.subscribe();
        tokio::spawn(async move {
            signal.await;
            tracing::info!("stop requested: finishing in-flight requests");
            stop.send_replace(true);
        });
        let graceful = {
            let mut stopping = stopping.clone();
            async move {
                let _ = stopping.wait_for(|s| *s).await;
            }
        };
        let server = axum::serve(self.listener, self.router)
            .with_graceful_shutdown(graceful)
            .into_future();
        let deadline = async move {
            let _ = stopping.wait_for(|s| *s).await;
            tokio::time::sleep(GRACE).await;
        };
        tokio::select! {
            served = server => served?,
            _ = deadline => tracing::warn!("connections still open after {GRACE:?}; closing them"),
        }
        for task in self.background_tasks {
            let _ = task.await;
        }
        tracing::info!("stopped");
        Ok(())
    }
}

/// Fetches the JWKS again every [`JWKS_REFRESH`] until the server stops; a
/// failed fetch keeps the keys in use.
/// How often the keys a close or cancel failed to destroy are looked for
/// while the server runs (it also looks once at start).
pub const FEEDBACK_KEY_SWEEP: Duration = Duration::from_secs(60);

/// A close or cancel deletes its cycle's key after its append commits, in a
/// transaction of its own; a database error between the two would leave
/// the key readable until the next start. This bounds that to a minute.
async fn sweep_feedback_keys(pool: PgPool, mut stopping: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(FEEDBACK_KEY_SWEEP) => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
        match FeedbackKeys::destroy_leftovers(&pool).await {
            Ok(0) => {}
            Ok(keys) => tracing::warn!(keys, "destroyed the keys of feedback cycles that had ended"),
            Err(e) => tracing::warn!(error = %e, "cannot sweep the keys of ended feedback cycles; trying again later"),
        }
    }
}

async fn refresh_keys(security: Security, mut stopping: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(JWKS_REFRESH) => {}
            _ = stopping.wait_for(|s| *s) => return,
        }
        if let Err(e) = security.load_keys().await {
            tracing::warn!(error = %e, "JWKS refresh failed; keeping the keys in use");
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("{0}")]
    Keys(String),
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
    #[error("cannot destroy the keys of ended feedback cycles: {0}")]
    FeedbackKeys(#[from] VaultError),
    #[error("cannot publish the plan: {0}")]
    Plan(String),
}

/// Completes on SIGINT or SIGTERM.
pub async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => {
                let _ = interrupt.await;
                return;
            }
        };
        tokio::select! {
            _ = interrupt => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
