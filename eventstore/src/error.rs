use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    #[error("the append committed but could not be confirmed durable: {0}")]
    NotKnownDurable(String),
    #[error("the event store writer has stopped")]
    WriterStopped,
    #[error("stored event at position {position} cannot be decoded: {reason}")]
    Corrupt { position: i64, reason: String },
}

impl StoreError {
    /// PostgreSQL could not be reached or refused the connection; nothing
    /// about the request itself was wrong.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Database(e) => database_unavailable(e),
            StoreError::WriterStopped => true,
            _ => false,
        }
    }
}

/// Whether `e` says that PostgreSQL is unreachable or refusing connections
/// (too many clients, starting up, shutting down), rather than that a
/// statement failed.
pub fn database_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) | sqlx::Error::Tls(_) => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // Class 08: connection exceptions; 53300 too_many_connections;
            // 57P01-57P03 admin shutdown, crash shutdown, cannot connect now.
            code.starts_with("08") || matches!(&*code, "53300" | "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

#[derive(Debug, Error)]
pub enum AppendError {
    /// The stream moved on since the caller read it.
    #[error("wrong expected version: expected {expected}, actual {actual}")]
    WrongExpectedVersion { expected: String, actual: i64 },
    #[error("invalid append: {0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AppendError {
    fn from(e: sqlx::Error) -> Self {
        AppendError::Store(StoreError::Database(e))
    }
}
