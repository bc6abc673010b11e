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
