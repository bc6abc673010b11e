//! GraphQL operations run on a runtime of their own. However busy they keep
//! it, the server's runtime still accepts connections and answers
//! `/healthz` at once: the operating system shares the cores between the two
//! runtimes' threads, where one tokio runtime would let a health check wait
//! behind every resolver already queued on its workers.

use std::future::Future;
use std::sync::OnceLock;

use tokio::runtime::{Builder, Handle, Runtime};
use tokio::task::{AbortHandle, JoinError};

/// One per process, shared by every server in it and never shut down, so
/// that connections its tasks opened stay usable by everything else.
fn handle() -> Handle {
    static RUNTIME: OnceLock<Option<Runtime>> = OnceLock::new();
    let runtime = RUNTIME.get_or_init(|| {
        Builder::new_multi_thread()
            .thread_name("prasme-graphql")
            .enable_all()
            .build()
            .map_err(|e| tracing::error!(error = %e, "cannot start the GraphQL runtime; operations share the server's"))
            .ok()
    });
    match runtime {
        Some(runtime) => runtime.handle().clone(),
        None => Handle::current(),
    }
}

/// Aborts the operation when the request that asked for it goes away.
struct AbortOnDrop(AbortHandle);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs `operation` on the GraphQL runtime. The error is a panic inside it.
pub(crate) async fn run<T: Send + 'static>(
    operation: impl Future<Output = T> + Send + 'static,
) -> Result<T, JoinError> {
    let task = handle().spawn(operation);
    let _abort = AbortOnDrop(task.abort_handle());
    task.await
}
