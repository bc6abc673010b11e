//! graphql-ws on one WebSocket: the token in `connection_init` (or on the
//! upgrade request), a slot among the subject's sockets, a bound on its
//! subscriptions, and the close codes that say why it ended.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket};
use chrono::{DateTime, Utc};
use futures::channel::mpsc;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::errors::Code;
use crate::identity::bearer;
use crate::router::AppState;
use crate::throttle::SocketSlot;

/// No token, or one that does not verify; also a token that expired while
/// the socket was open. (graphql-ws leaves 4400–4499 to applications; 4401
/// mirrors HTTP 401.)
pub const CLOSE_UNAUTHENTICATED: u16 = 4401;
/// The subject already holds as many sockets as it may (mirrors HTTP 429).
pub const CLOSE_TOO_MANY_SOCKETS: u16 = 4429;

/// What this socket's `connection_init` decided, for the close frame and
/// the expiry timer.
#[derive(Default)]
struct Session {
    refusal: Option<(u16, String)>,
    _slot: Option<SocketSlot>,
}

/// Serves graphql-ws on `socket` until the client leaves, its token
/// expires, or the server stops.
pub(crate) async fn serve_socket(
    socket: WebSocket,
    state: AppState,
    protocol: GraphQLProtocol,
    header_token: Option<String>,
) {
    let (mut sink, incoming) = socket.split();
    // async-graphql writes into a channel rather than the socket, so that the
    // socket is still here to close when the server stops or a token expires.
    let (outgoing, mut replies) = mpsc::channel::<Message>(16);
    let session = Arc::new(Mutex::new(Session::default()));
    let (expiry_tx, mut expiry) = watch::channel::<Option<DateTime<Utc>>>(None);
    let on_init = {
        let session = session.clone();
        let identity = state.ctx.identity.clone();
        let sockets = state.sockets.clone();
        move |payload: Value| async move {
            let refuse = |code: u16, reason: String| {
                let mut s = session.lock().unwrap_or_else(|p| p.into_inner());
                s.refusal = Some((code, reason.clone()));
                async_graphql::Error::new(reason)
            };
            let Some(token) = init_token(&payload).or(header_token) else {
                return Err(refuse(
                    CLOSE_UNAUTHENTICATED,
                    "send a token in connection_init: {\"Authorization\": \"Bearer <JWT>\"}".to_owned(),
                ));
            };
            let verified = identity
                .verify(&token)
                .map_err(|reason| refuse(CLOSE_UNAUTHENTICATED, reason.0))?;
            let Some(slot) = sockets.take(&verified.principal.subject) else {
                return Err(refuse(
                    CLOSE_TOO_MANY_SOCKETS,
                    "this subject has as many WebSockets open as it may".to_owned(),
                ));
            };
            session.lock().unwrap_or_else(|p| p.into_inner())._slot = Some(slot);
            expiry_tx.send_replace(Some(verified.expires_at));
            let mut data = Data::default();
            data.insert(verified.principal);
            Ok(data)
        }
    };
    let active = Arc::new(Mutex::new(HashSet::<String>::new()));
    let incoming = bound_subscriptions(
        incoming,
        active.clone(),
        outgoing.clone(),
        state.ctx.limits.subscriptions_per_socket,
    );
    let graphql = GraphQLWebSocket::new_with_pair(outgoing, incoming, state.schema, protocol)
        .on_connection_init(on_init)
        .serve();
    let mut stopping = state.stopping;
    let ended = {
        let forward = async {
            while let Some(message) = replies.next().await {
                let message = match message {
                    // A refused connection_init closes with the library's
                    // generic code; say why instead.
                    Message::Close(frame) => {
                        let refusal = session.lock().unwrap_or_else(|p| p.into_inner()).refusal.clone();
                        Message::Close(match refusal {
                            Some((code, reason)) => Some(CloseFrame {
                                code,
                                reason: reason.into(),
                            }),
                            None => frame,
                        })
                    }
                    Message::Text(text) => {
                        forget_finished(text.as_str(), &active);
                        Message::Text(text)
                    }
                    other => other,
                };
                if sink.send(message).await.is_err() {
                    break;
                }
            }
        };
        let expired = async {
            let Ok(at) = expiry.wait_for(Option::is_some).await.map(|at| *at) else {
                return std::future::pending().await;
            };
            let left = at.map_or(0, |at| (at - Utc::now()).num_milliseconds().max(0));
            tokio::time::sleep(std::time::Duration::from_millis(left as u64)).await;
        };
        tokio::select! {
            _ = futures::future::join(graphql, forward) => None,
            _ = stopping.wait_for(|s| *s) => Some((close_code::AWAY, "the server is shutting down")),
            _ = expired => Some((CLOSE_UNAUTHENTICATED, "the token has expired; reconnect with a new one")),
        }
    };
    if let Some((code, reason)) = ended {
        let close = CloseFrame {
            code,
            reason: reason.into(),
        };
        let _ = sink.send(Message::Close(Some(close))).await;
        let _ = sink.close().await;
    }
}

/// The token of a `connection_init` payload: `Authorization` (any case) as
/// `Bearer <JWT>`, as GraphiQL and graphql-ws clients send headers-like
/// connection params.
fn init_token(payload: &Value) -> Option<String> {
    let object = payload.as_object()?;
    object
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case("authorization"))
        .and_then(|(_, value)| value.as_str())
        .and_then(bearer)
        .map(str::to_owned)
}

type Incoming = futures::stream::SplitStream<WebSocket>;

/// The client's messages, with each `subscribe` past `max` active ones
/// answered by an error instead of reaching the schema.
fn bound_subscriptions(
    incoming: Incoming,
    active: Arc<Mutex<HashSet<String>>>,
    outgoing: mpsc::Sender<Message>,
    max: usize,
) -> impl futures::Stream<Item = Result<Message, axum::Error>> + Send + 'static {
    incoming.filter_map(move |message| {
        let verdict = match &message {
            Ok(Message::Text(text)) => admit(text.as_str(), &active, max),
            _ => Verdict::Pass,
        };
        let mut outgoing = outgoing.clone();
        async move {
            match verdict {
                Verdict::Pass => Some(message),
                Verdict::Refuse(id) => {
                    let error = json!({
                        "type": "error",
                        "id": id,
                        "payload": [{
                            "message": format!("a WebSocket may hold {max} subscriptions at once"),
                            "extensions": { "code": Code::TooManySubscriptions.as_str() },
                        }],
                    });
                    let _ = outgoing.send(Message::Text(error.to_string().into())).await;
                    None
                }
            }
        }
    })
}

enum Verdict {
    Pass,
    Refuse(String),
}

/// Counts a `subscribe` (`start` in the older protocol) in, a `complete`
/// (`stop`) out.
fn admit(text: &str, active: &Mutex<HashSet<String>>, max: usize) -> Verdict {
    let Ok(message) = serde_json::from_str::<Value>(text) else {
        return Verdict::Pass;
    };
    let (Some(kind), Some(id)) = (message["type"].as_str(), message["id"].as_str()) else {
        return Verdict::Pass;
    };
    let mut active = active.lock().unwrap_or_else(|p| p.into_inner());
    match kind {
        "subscribe" | "start" if !active.contains(id) => {
            if active.len() >= max {
                return Verdict::Refuse(id.to_owned());
            }
            active.insert(id.to_owned());
        }
        "complete" | "stop" => {
            active.remove(id);
        }
        _ => {}
    }
    Verdict::Pass
}

/// A subscription the server finished (its stream ended, or failed) no
/// longer counts.
fn forget_finished(text: &str, active: &Mutex<HashSet<String>>) {
    if !(text.starts_with("{\"type\":\"complete\"") || text.starts_with("{\"type\":\"error\"")) {
        return;
    }
    if let Ok(message) = serde_json::from_str::<Value>(text) {
        if let Some(id) = message["id"].as_str() {
            active.lock().unwrap_or_else(|p| p.into_inner()).remove(id);
        }
    }
}
