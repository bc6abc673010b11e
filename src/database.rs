//! Which database Prasme runs on: the one `DATABASE_URL` names, or a private
//! cluster it starts itself.

use prasme_eventstore::{connect, migrate, StoreError};
use sqlx::PgPool;
use thiserror::Error;

use crate::local_postgres::{LocalPostgres, LocalPostgresError};

/// The database created in a private cluster.
pub const LOCAL_DATABASE: &str = "prasme";

#[derive(Debug, Error)]
pub enum DatabaseError {
    #[error(transparent)]
    Local(#[from] LocalPostgresError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
}

/// A migrated pool, and the private cluster if one had to be started.
pub struct Database {
    pub pool: PgPool,
    pub url: String,
    pub local: Option<LocalPostgres>,
}

impl Database {
    pub async fn open(url: Option<&str>, max_connections: u32) -> Result<Self, DatabaseError> {
        match url {
            Some(url) => Ok(Self {
                pool: connect_and_migrate(url, max_connections).await?,
                url: url.to_owned(),
                local: None,
            }),
            None => {
                let cluster = LocalPostgres::start(&LocalPostgres::default_data_dir())?;
                tracing::info!(data_dir = %cluster.data_dir().display(), "using a private PostgreSQL cluster");
                let url = cluster.url(LOCAL_DATABASE);
                match connect_and_migrate(&url, max_connections).await {
                    Ok(pool) => Ok(Self {
                        pool,
                        url,
                        local: Some(cluster),
                    }),
                    Err(e) => {
                        // Do not leave behind a cluster nobody will use.
                        if let Err(stop) = cluster.stop() {
                            tracing::warn!(error = %stop, "could not stop the private cluster");
                        }
                        Err(e)
                    }
                }
            }
        }
    }

    /// Closes the pool and stops the private cluster if this process started it.
    pub async fn close(self) -> Result<(), DatabaseError> {
        self.pool.close().await;
        if let Some(local) = self.local {
            local.stop()?;
        }
        Ok(())
    }
}

/// Connects to `url`, creating its database if it does not exist yet (the
/// server owns its database), and applies the migrations.
async fn connect_and_migrate(url: &str, max_connections: u32) -> Result<PgPool, DatabaseError> {
    let pool = match connect(url, max_connections).await {
        Err(StoreError::Database(sqlx::Error::Database(e))) if e.code().as_deref() == Some("3D000") => {
            let name = database_name(url).unwrap_or(LOCAL_DATABASE).to_owned();
            ensure_database(&with_database(url, "postgres"), &name).await?;
            connect(url, max_connections).await?
        }
        other => other?,
    };
    migrate(&pool).await?;
    Ok(pool)
}

/// Creates `name` through the maintenance database at `admin_url` unless it exists.
pub async fn ensure_database(admin_url: &str, name: &str) -> Result<(), DatabaseError> {
    let admin = connect(admin_url, 1).await?;
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&admin)
        .await?;
    if !exists {
        let created = sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&admin)
            .await;
        match created {
            Ok(_) => {}
            // Another process created it first.
            Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42P04" | "23505")) => {}
            Err(e) => return Err(e.into()),
        }
    }
    admin.close().await;
    Ok(())
}

/// A fresh, migrated database `name` beside the maintenance database at
/// `admin_url`, for a benchmark; `drop_scratch` removes it.
pub async fn open_scratch(admin_url: &str, name: &str, connections: u32) -> Result<PgPool, DatabaseError> {
    ensure_database(admin_url, name).await?;
    let pool = connect(&with_database(admin_url, name), connections).await?;
    migrate(&pool).await?;
    Ok(pool)
}

/// Drops the scratch database `name`, closing `pool` first.
pub async fn drop_scratch(admin_url: &str, name: &str, pool: PgPool) -> Result<(), DatabaseError> {
    pool.close().await;
    let admin = connect(admin_url, 1).await?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
        .execute(&admin)
        .await?;
    admin.close().await;
    Ok(())
}

/// The database a URL names, if it names one.
fn database_name(url: &str) -> Option<&str> {
    let base = url.split('?').next()?;
    let authority = base.find("://")? + 3;
    let path = base[authority..].find('/')? + authority + 1;
    Some(&base[path..]).filter(|n| !n.is_empty())
}

/// The same server, credentials and options as `url`, another database.
pub fn with_database(url: &str, database: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let authority = base.find("://").map_or(0, |i| i + 3);
    let path = base[authority..].find('/').map_or(base.len(), |i| authority + i);
    match query {
        Some(q) => format!("{}/{database}?{q}", &base[..path]),
        None => format!("{}/{database}", &base[..path]),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn swaps_only_the_database() {
        assert_eq!(with_database("postgres://u@h:5432/a", "b"), "postgres://u@h:5432/b");
        assert_eq!(with_database("postgres://u@h", "b"), "postgres://u@h/b");
        assert_eq!(
            with_database("postgres://postgres@localhost/postgres?host=/var/tmp/x/pg", "prasme"),
            "postgres://postgres@localhost/prasme?host=/var/tmp/x/pg"
        );
    }

    #[test]
    fn finds_the_database_name() {
        assert_eq!(super::database_name("postgres://u@h:5432/a?x=1"), Some("a"));
        assert_eq!(super::database_name("postgres://u@h:5432"), None);
    }
}
