//! The running server: HTTP and WebSocket on one listener, with the
//! projection runner beside it, and a graceful stop.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use prasme_api_graphql::{router, ApiContext};
use prasme_commands::{CommandHandler, UseCases, Vault};
use prasme_eventstore::EventStore;
use prasme_projections::{
    CourseProjection, EmployeeProjection, OfferingProjection, Projection, ProjectionError, ProjectionRunner,
    TrainingBudgetProjection,
};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

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
    ]
}

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    projection_tasks: Vec<JoinHandle<()>>,
    stop: watch::Sender<bool>,
}

impl Application {
    /// Binds `listen` (port 0 picks a free port) and starts the projections.
    pub async fn build(pool: PgPool, listen: SocketAddr, read_wait: Duration) -> Result<Self, BuildError> {
        let listener = TcpListener::bind(listen).await?;
        let store = EventStore::new(pool.clone());
        let (stop, stopped) = watch::channel(false);
        let (runner, projection_tasks) = ProjectionRunner::new(store.clone(), projections())
            .start(stopped)
            .await?;
        let vault = Vault::new(pool.clone());
        let ctx = ApiContext {
            use_cases: UseCases::new(CommandHandler::new(store), vault.clone()),
            vault,
            pool,
            projections: runner,
            read_wait,
        };
        Ok(Self {
            listener,
            router: router(ctx, stop.subscribe()),
            projection_tasks,
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
        for task in self.projection_tasks {
            let _ = task.await;
        }
        tracing::info!("stopped");
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    #[error(transparent)]
    Projection(#[from] ProjectionError),
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
