use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::StoreError;

/// The project's migrations, embedded in every binary that links the store.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

pub async fn connect(url: &str, max_connections: u32) -> Result<PgPool, StoreError> {
    // An append is one autocommit statement that takes the writer lock and
    // then reads the log; only under READ COMMITTED does that read see what
    // the lock's previous holder committed (`events_writer_lock` refuses
    // anything else), so set it whatever the server's default.
    let options = PgConnectOptions::from_str(url)?.options([("default_transaction_isolation", r"read\ committed")]);
    Ok(PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await?)
}

/// The pool's share of a process's `total` connections once the writer has
/// its own, never less than three (the followers' one listener, and a read
/// and a projection both proceed). The
/// writer's come out of the same budget, so that a test suite, a demo and a
/// benchmark on one server can be sized not to exhaust it together.
pub fn pool_share(total: u32) -> u32 {
    total.saturating_sub(crate::WRITER_CONNECTIONS).max(3)
}

pub async fn migrate(pool: &PgPool) -> Result<(), StoreError> {
    MIGRATOR.run(pool).await?;
    Ok(())
}

/// True when every embedded migration has been applied successfully.
pub async fn migrations_applied(pool: &PgPool) -> Result<bool, StoreError> {
    let applied: Vec<i64> =
        match sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(pool)
            .await
        {
            Ok(v) => v,
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42P01") => return Ok(false),
            Err(e) => return Err(e.into()),
        };
    Ok(MIGRATOR.iter().all(|m| applied.binary_search(&m.version).is_ok()))
}
