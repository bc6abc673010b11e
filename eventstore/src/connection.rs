//! A connection of the writer's own, outside any pool.
//!
//! A pool tests a connection when it is handed out and again when it comes
//! back (a Sync round trip each), which would triple the round trips of a
//! batch. The writer owns its connections instead and opens a new one only
//! after the old one failed.

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::Connection;

pub(crate) struct Dedicated {
    options: PgConnectOptions,
    connection: Option<PgConnection>,
}

impl Dedicated {
    pub fn new(options: PgConnectOptions) -> Self {
        Self {
            options,
            connection: None,
        }
    }

    pub async fn get(&mut self) -> Result<&mut PgConnection, sqlx::Error> {
        match self.connection {
            Some(ref mut connection) => Ok(connection),
            None => Ok(self.connection.insert(PgConnection::connect_with(&self.options).await?)),
        }
    }

    /// Passes `result` through, dropping the connection when the error
    /// says it may be broken. A database error (a refused value, a failed
    /// check) leaves it usable.
    pub fn check<T>(&mut self, result: Result<T, sqlx::Error>) -> Result<T, sqlx::Error> {
        if let Err(ref e) = result {
            if !matches!(e, sqlx::Error::Database(_)) {
                self.connection = None;
            }
        }
        result
    }
}
