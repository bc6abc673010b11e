//! The writer's appending connection, which can take a batch before it has
//! answered the one before.
//!
//! Every append waits on one PostgreSQL backend (the one holding the store's
//! lock), so each moment that backend waits for its next statement is lost
//! to all of them. sqlx sends a statement only after the previous one has
//! answered, so with it the backend idled for a round trip and the writer's
//! reaction after every batch (a third of its time on a 2-core machine).
//! tokio-postgres pipelines: the batch the writer planned ahead goes out at
//! once, and the backend finds it waiting when it finishes the one before.
//!
//! Only each batch's first attempt goes this way. Whatever does not land as
//! planned (a refusal, an error, a lost connection) is written again through
//! sqlx (`writer::commit_planned`), so retries, the locked fallback and the
//! errors callers see all keep to one path.

use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use futures::future::{self, BoxFuture};
use futures::FutureExt;
use percent_encoding::percent_decode_str;
use serde_json::value::RawValue;
use serde_json::Value;
use sqlx::postgres::{PgConnectOptions, PgSslMode};
use sqlx::ConnectOptions;
use tokio_postgres::config::SslMode;
use tokio_postgres::types::{to_sql_checked, IsNull, Json, ToSql, Type};
use tokio_postgres::{Client, Config, NoTls, Statement};

use crate::plan::Plan;

/// `append_events`' parameter types, in order (migration 0010).
const TYPES: [Type; 22] = [
    Type::INT8,
    Type::BYTEA,
    Type::UUID_ARRAY,
    Type::TEXT_ARRAY,
    Type::INT8_ARRAY,
    Type::BOOL_ARRAY,
    Type::INT8_ARRAY,
    Type::TEXT_ARRAY,
    Type::INT8_ARRAY,
    Type::UUID_ARRAY,
    Type::TEXT_ARRAY,
    Type::INT4_ARRAY,
    Type::JSONB_ARRAY,
    Type::JSONB_ARRAY,
    Type::TEXT_ARRAY,
    Type::UUID_ARRAY,
    Type::UUID_ARRAY,
    Type::UUID_ARRAY,
    Type::TIMESTAMPTZ_ARRAY,
    Type::TIMESTAMPTZ_ARRAY,
    Type::BYTEA_ARRAY,
    Type::BYTEA_ARRAY,
];

const APPEND: &str = "SELECT append_events($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                                           $15, $16, $17, $18, $19, $20, $21, $22)";

pub(crate) type Error = tokio_postgres::Error;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A plan's parameters, already in PostgreSQL's binary format, so that they
/// own their bytes and can be made while the batch before is written.
pub(crate) struct Encoded(Vec<BytesMut>);

impl Encoded {
    pub fn of(p: &Plan<'_>) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let r = &p.rows;
        let values: [&(dyn ToSql + Sync); 22] = [
            &p.assumed_head.position,
            &p.assumed_head.hash,
            &p.new_command_ids,
            &p.stream_ids,
            &p.assumed_versions,
            &p.checked,
            &r.position,
            &r.stream_id,
            &r.stream_version,
            &r.event_id,
            &r.event_type,
            &r.schema_version,
            &jsonb(&r.payload),
            &jsonb(&r.extra),
            &r.actor,
            &r.command_id,
            &r.correlation_id,
            &r.causation_id,
            &r.occurred_at,
            &r.recorded_at,
            &r.prev_hash,
            &r.hash,
        ];
        let mut encoded = Vec::with_capacity(values.len());
        for (value, ty) in values.iter().zip(TYPES.iter()) {
            let mut bytes = BytesMut::new();
            value.to_sql_checked(ty, &mut bytes)?;
            encoded.push(bytes);
        }
        Ok(Encoded(encoded))
    }
}

fn jsonb<'a>(values: &[&'a RawValue]) -> Vec<Json<&'a RawValue>> {
    values.iter().map(|v| Json(*v)).collect()
}

/// One parameter of `Encoded`, written out as it is.
#[derive(Debug)]
struct Raw<'a>(&'a BytesMut);

impl ToSql for Raw<'_> {
    fn to_sql(&self, _: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.extend_from_slice(self.0);
        Ok(IsNull::No)
    }

    fn accepts(_: &Type) -> bool {
        // The statement is prepared with TYPES, and Encoded::of encoded each value as its type.
        true
    }

    to_sql_checked!();
}

/// What a pipelined append answers: `append_events`' result, NULL when the
/// plan was written.
pub(crate) type Reply = BoxFuture<'static, Result<Option<Value>, Error>>;

struct Open {
    client: Arc<Client>,
    append: Statement,
}

pub(crate) struct Pipeline {
    config: Config,
    open: Option<Open>,
}

impl Pipeline {
    pub fn new(options: &PgConnectOptions) -> Self {
        Self {
            config: config(options),
            open: None,
        }
    }

    /// Sends the plan at once, behind whatever is under way, and returns its
    /// answer to come. Opens the connection first if there is none.
    pub async fn send(&mut self, plan: Encoded) -> Result<Reply, Error> {
        let open = match self.open {
            Some(ref open) if !open.client.is_closed() => open,
            _ => self.open.insert(self.connect().await?),
        };
        let client = open.client.clone();
        let statement = open.append.clone();
        let mut reply = async move {
            let raw: Vec<Raw<'_>> = plan.0.iter().map(Raw).collect();
            let params = raw.iter().map(|p| p as &(dyn ToSql + Sync));
            let row = client.query_one(&statement, &params.collect::<Vec<_>>()).await?;
            row.try_get::<_, Option<Value>>(0)
        }
        .boxed();
        // Polled once, the request is queued on the connection now, in order.
        if let Some(done) = (&mut reply).now_or_never() {
            return Ok(future::ready(done).boxed());
        }
        Ok(reply)
    }

    async fn connect(&self) -> Result<Open, Error> {
        let (client, connection) = self.config.connect(NoTls).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "the writer's appending connection ended");
            }
        });
        let append = client.prepare_typed(APPEND, &TYPES).await?;
        Ok(Open {
            client: Arc::new(client),
            append,
        })
    }
}

/// The same server, database, user and options as the pool's. TLS is not
/// offered: Prasme's sqlx is built without it too, so a server that demands
/// it refuses both alike.
fn config(options: &PgConnectOptions) -> Config {
    let mut config = Config::new();
    match options.get_socket() {
        Some(dir) => config.host_path(dir),
        None => config.host(options.get_host()),
    };
    config.port(options.get_port()).user(options.get_username());
    if let Some(database) = options.get_database() {
        config.dbname(database);
    }
    // sqlx has no getter for the password; its URL carries it, percent-encoded.
    let url = options.to_url_lossy();
    if let Some(password) = url.password() {
        config.password(percent_decode_str(password).collect::<Vec<u8>>());
    }
    if let Some(startup) = options.get_options() {
        config.options(startup);
    }
    config.application_name(options.get_application_name().unwrap_or("prasme-writer"));
    // A server that cannot be reached must not hold up the writer for long:
    // every append waits on it, and the careful path answers them meanwhile.
    config.connect_timeout(CONNECT_TIMEOUT);
    config.ssl_mode(match options.get_ssl_mode() {
        PgSslMode::Disable => SslMode::Disable,
        PgSslMode::Allow | PgSslMode::Prefer => SslMode::Prefer,
        PgSslMode::Require | PgSslMode::VerifyCa | PgSslMode::VerifyFull => SslMode::Require,
    });
    config
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::str::FromStr;

    use tokio_postgres::config::Host;

    use super::*;

    #[test]
    fn connects_where_the_pool_does_with_its_credentials_and_options() {
        let options = PgConnectOptions::from_str("postgres://ana:p%40ss%20w@db.example:6543/prasme?sslmode=disable")
            .unwrap()
            .options([("default_transaction_isolation", r"read\ committed")]);
        let c = config(&options);
        assert_eq!(c.get_hosts(), [Host::Tcp("db.example".into())]);
        assert_eq!(c.get_ports(), [6543]);
        assert_eq!(c.get_user(), Some("ana"));
        assert_eq!(c.get_password(), Some(&b"p@ss w"[..]));
        assert_eq!(c.get_dbname(), Some("prasme"));
        assert_eq!(c.get_options(), options.get_options());
        assert_eq!(c.get_ssl_mode(), SslMode::Disable);
        assert_eq!(c.get_connect_timeout(), Some(&CONNECT_TIMEOUT));
    }

    #[test]
    fn connects_through_the_pools_socket_directory() {
        let options = PgConnectOptions::from_str("postgres://postgres@localhost/prasme?host=/var/tmp/pg").unwrap();
        let c = config(&options);
        assert_eq!(c.get_hosts(), [Host::Unix(Path::new("/var/tmp/pg").into())]);
        assert_eq!(c.get_password(), None);
    }
}
