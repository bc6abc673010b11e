//! The real server on a free port, for end-to-end tests.

use std::net::SocketAddr;
use std::time::Duration;

use futures::StreamExt;
use prasme::server::{Application, KeySource, Security, DEFAULT_AUDIENCE, DEFAULT_ISSUER};
use prasme_api_graphql::identity::{mint_development_token, TokenRequest};
use prasme_commands::Role;
use prasme_domain::reference::Resor;
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

use super::{fresh_db, TestDb};

/// The test servers' development secret.
pub const TEST_SECRET: &[u8] = b"prasme tests: a development secret, nothing else";

/// The test servers' JWKS (public halves of `tests/fixtures/jwt/*.pem`).
pub const TEST_JWKS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jwt/jwks.json");

/// Development mode with the test secret and the test JWKS, and limits no
/// test reaches unless it means to.
pub fn test_security() -> Security {
    let mut security = Security::development(TEST_SECRET);
    security.jwks = Some(KeySource::File(TEST_JWKS.into()));
    security.limits.requests_per_second = 100_000;
    security.limits.burst = 100_000;
    security
}

/// A development token for `roles`, for an hour.
pub fn token(subject: &str, roles: &[Role], institution: Option<uuid::Uuid>, resor: Option<Resor>) -> String {
    let request = TokenRequest {
        subject: subject.to_owned(),
        roles: roles.to_vec(),
        institution,
        resor,
        ttl: chrono::Duration::hours(1),
    };
    mint_development_token(TEST_SECRET, DEFAULT_ISSUER, DEFAULT_AUDIENCE, &request).unwrap()
}

/// The token the tests act with unless they test the policy: Prasme's own.
pub fn system_token() -> String {
    token("tests", &[Role::System], None, None)
}

/// A graphql-ws `connection_init` carrying `token`.
pub fn connection_init(token: &str) -> Value {
    json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } })
}

/// A client that sends `token` with every request.
pub fn client_with(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    reqwest::Client::builder().default_headers(headers).build().unwrap()
}

pub struct Server {
    pub addr: SocketAddr,
    /// Sends the SYSTEM token with every request.
    pub http: reqwest::Client,
    stop: oneshot::Sender<()>,
    running: Running,
    pub db: TestDb,
}

type Running = tokio::task::JoinHandle<std::io::Result<()>>;

/// A server on `pool` on a free port, running until `stop` is sent.
async fn serve(pool: &sqlx::PgPool, security: Security) -> (SocketAddr, oneshot::Sender<()>, Running) {
    let app = Application::build(
        pool.clone(),
        "127.0.0.1:0".parse().unwrap(),
        Duration::from_secs(5),
        security,
    )
    .await
    .unwrap();
    let addr = app.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    (addr, stop, running)
}

pub async fn start() -> Server {
    start_with(test_security()).await
}

pub async fn start_with(security: Security) -> Server {
    let db = fresh_db().await;
    let (addr, stop, running) = serve(&db.pool, security).await;
    Server {
        addr,
        http: client_with(&system_token()),
        stop,
        running,
        db,
    }
}

impl Server {
    pub async fn gql(&self, query: &str, variables: Value) -> Value {
        let response = self
            .http
            .post(format!("http://{}/graphql", self.addr))
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Runs `query` with `token` instead of the SYSTEM one: the status, and the body.
    pub async fn gql_as(&self, token: &str, query: &str, variables: Value) -> (u16, Value) {
        let response = reqwest::Client::new()
            .post(format!("http://{}/graphql", self.addr))
            .bearer_auth(token)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// Runs a mutation and returns its payload, failing on GraphQL errors.
    pub async fn mutate(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        let data = body["data"].as_object().unwrap();
        data.values().next().unwrap().clone()
    }

    /// Takes `employee` through `offering` to a passed completion on
    /// `completed_on` (request, approval, attendance, result); the position
    /// of the completion.
    pub async fn pass(&self, offering: &str, employee: &str, completed_on: &str) -> Value {
        let place = json!({ "offeringId": offering, "employeeId": employee });
        let mut at = Value::Null;
        for (mutation, input_type, extra) in [
            ("requestPlace", "PlaceInput", json!({})),
            ("approvePlace", "PlaceInput", json!({})),
            (
                "recordAttendance",
                "RecordAttendanceInput",
                json!({ "attendance": "ATTENDED" }),
            ),
            (
                "recordCompletion",
                "RecordCompletionInput",
                json!({ "passed": true, "minutes": 240, "completedOn": completed_on }),
            ),
        ] {
            let mut input = place.clone();
            for (k, v) in extra.as_object().unwrap() {
                input[k] = v.clone();
            }
            let p = self
                .mutate(
                    &format!("mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ userErrors {{ code field }} position }} }}"),
                    json!({ "i": input }),
                )
                .await;
            assert_eq!(p["userErrors"], json!([]), "{mutation}: {p}");
            at = p["position"].clone();
        }
        at
    }

    /// Stops the server as SIGTERM would, and checks that it stops cleanly
    /// and that whatever the test wrote projects the same in any batches.
    pub async fn shut_down(self) {
        self.stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(15), self.running)
            .await
            .expect("the server stops within its grace period")
            .unwrap()
            .unwrap();
        // What the runner built live is compared too when it had caught up.
        let behind: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM projection_checkpoints
                             WHERE position < (SELECT coalesce(max(position), 0) FROM events))",
        )
        .fetch_one(&self.db.pool)
        .await
        .unwrap();
        let live = if behind {
            None
        } else {
            Some(super::read_models::read_models(&self.db.pool).await)
        };
        super::read_models::assert_batches_change_nothing(&self.db.pool, live.as_deref(), &[1, 7]).await;
        self.db.drop_db().await;
    }
}

/// A second server process on the same database as `first`: its own writer,
/// command queue and projection runner, as another process would have.
pub struct SecondServer {
    pub addr: SocketAddr,
    stop: oneshot::Sender<()>,
    running: Running,
}

impl SecondServer {
    pub async fn start(first: &Server) -> Self {
        let (addr, stop, running) = serve(&first.db.pool, test_security()).await;
        Self { addr, stop, running }
    }

    pub async fn shut_down(self) {
        self.stop.send(()).unwrap();
        self.running.await.unwrap().unwrap();
    }
}

pub async fn next_json<S>(ws: &mut S) -> Value
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    serde_json::from_str(&next_text(ws).await).unwrap()
}

/// The next text message as sent, its keys in the server's order.
pub async fn next_text<S>(ws: &mut S) -> String
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let msg = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a message within 10 s")
            .expect("socket open")
            .unwrap();
        if let Message::Text(t) = msg {
            return t.to_string();
        }
    }
}
