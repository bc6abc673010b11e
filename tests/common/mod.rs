//! Test support: every test gets its own fresh, migrated database, cloned
//! from a template that is migrated once per migration set.

#![allow(dead_code)] // each test binary uses its own subset

pub mod process;
pub mod read_models;
pub mod server;

use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use prasme::local_postgres::LocalPostgres;
use prasme_eventstore::{connect, migrate, MIGRATOR};
use sqlx::PgPool;
use uuid::Uuid;

/// Connections one test's database may use in all: the writer's 4, the
/// projections' one listener per server (a test may run two servers on one
/// database), and the rest for reads and commands.
pub const TEST_CONNECTIONS: u32 = 16;

pub struct TestDb {
    pub pool: PgPool,
    pub url: String,
    pub name: String,
}

/// The maintenance URL of the server tests run on: DATABASE_URL when set,
/// else the private cluster (started if it is not running).
fn admin_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| match std::env::var("DATABASE_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => {
            let cluster = LocalPostgres::start(&LocalPostgres::default_data_dir())
                .unwrap_or_else(|e| panic!("tests need PostgreSQL: {e}"));
            cluster.url("postgres")
        }
    })
}

pub fn url_for(database: &str) -> String {
    prasme::database::with_database(admin_url(), database)
}

fn template_name() -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for m in MIGRATOR.iter() {
        for b in m.checksum.iter().chain(m.version.to_be_bytes().iter()) {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("prasme_tpl_{h:016x}")
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// A fresh database with every migration applied.
pub async fn fresh_db() -> TestDb {
    let admin = connect(&url_for("postgres"), 2).await.expect("connect to PostgreSQL");
    let template = template_name();
    // Serialise template creation and cloning across test processes.
    let mut lock = admin.acquire().await.expect("admin connection");
    sqlx::query("SELECT pg_advisory_lock(727001)")
        .execute(&mut *lock)
        .await
        .expect("lock");
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(&template)
        .fetch_one(&mut *lock)
        .await
        .expect("query pg_database");
    if !exists {
        let building = format!("{template}_building");
        sqlx::query(&format!("DROP DATABASE IF EXISTS {building}"))
            .execute(&mut *lock)
            .await
            .expect("drop half-built template");
        sqlx::query(&format!("CREATE DATABASE {building}"))
            .execute(&mut *lock)
            .await
            .expect("create template");
        let pool = connect(&url_for(&building), 1).await.expect("connect template");
        migrate(&pool).await.expect("migrate template");
        pool.close().await;
        sqlx::query(&format!("ALTER DATABASE {building} RENAME TO {template}"))
            .execute(&mut *lock)
            .await
            .expect("publish template");
        sweep_old_databases(&mut lock).await;
    }
    let name = format!("prasme_test_{}_{}", now_secs(), Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
        .execute(&mut *lock)
        .await
        .expect("clone template");
    sqlx::query("SELECT pg_advisory_unlock(727001)")
        .execute(&mut *lock)
        .await
        .expect("unlock");
    drop(lock);
    admin.close().await;
    let url = url_for(&name);
    // Each test's server stays within TEST_CONNECTIONS, its writer's included,
    // so two tests at a time stay far below PostgreSQL's 100 with room for a
    // demo and a benchmark beside the suite.
    let pool = connect(&url, prasme_eventstore::pool_share(TEST_CONNECTIONS))
        .await
        .expect("connect test database");
    TestDb { pool, url, name }
}

/// Test databases from runs more than two hours old (crashed or cancelled
/// runs leave theirs behind).
async fn sweep_old_databases(conn: &mut sqlx::PgConnection) {
    let names: Vec<String> = sqlx::query_scalar("SELECT datname FROM pg_database WHERE datname LIKE 'prasme_test_%'")
        .fetch_all(&mut *conn)
        .await
        .unwrap_or_default();
    let cutoff = now_secs().saturating_sub(7200);
    for name in names {
        let created = name.split('_').nth(2).and_then(|s| s.parse::<u64>().ok());
        if created.is_some_and(|t| t < cutoff) {
            let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut *conn)
                .await;
        }
    }
}

impl TestDb {
    /// Drops the database. Tests call it last; a failed test leaves its
    /// database for inspection until the next sweep.
    pub async fn drop_db(self) {
        self.pool.close().await;
        let admin = connect(&url_for("postgres"), 1).await.expect("connect");
        sqlx::query(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name))
            .execute(&admin)
            .await
            .expect("drop test database");
        admin.close().await;
    }
}
