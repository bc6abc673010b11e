//! The real server on a free port, for end-to-end tests.

use std::net::SocketAddr;
use std::time::Duration;

use futures::StreamExt;
use prasme::server::Application;
use serde_json::{json, Value};
use tokio::sync::oneshot;
use tokio_tungstenite::tungstenite::Message;

use super::{fresh_db, TestDb};

pub struct Server {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
    stop: oneshot::Sender<()>,
    running: Running,
    pub db: TestDb,
}

type Running = tokio::task::JoinHandle<std::io::Result<()>>;

/// A server on `pool` on a free port, running until `stop` is sent.
async fn serve(pool: &sqlx::PgPool) -> (SocketAddr, oneshot::Sender<()>, Running) {
    let app = Application::build(pool.clone(), "127.0.0.1:0".parse().unwrap(), Duration::from_secs(5))
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
    let db = fresh_db().await;
    let (addr, stop, running) = serve(&db.pool).await;
    Server {
        addr,
        http: reqwest::Client::new(),
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
            .header("x-prasme-actor", "hr@example.lv")
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.json().await.unwrap()
    }

    /// Runs a mutation and returns its payload, failing on GraphQL errors.
    pub async fn mutate(&self, query: &str, variables: Value) -> Value {
        let body = self.gql(query, variables).await;
        assert!(body.get("errors").is_none(), "unexpected errors: {body}");
        let data = body["data"].as_object().unwrap();
        data.values().next().unwrap().clone()
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
        let (addr, stop, running) = serve(&first.db.pool).await;
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
