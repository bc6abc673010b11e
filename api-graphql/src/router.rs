use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLResponse, GraphQLWebSocket};
use axum::body::{Body, Bytes};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{close_code, CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use futures::{SinkExt, StreamExt};
use prasme_domain::validate;
use tokio::sync::watch;

use crate::errors::Code;
use crate::execution;
use crate::{schema, Actor, ApiContext, PrasmeSchema};

/// Largest POST body, and largest WebSocket message. Prasme's inputs are
/// small: a whole course with its description is a few kilobytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
struct AppState {
    schema: PrasmeSchema,
    ctx: ApiContext,
    /// Turns true when the server is asked to stop.
    stopping: watch::Receiver<bool>,
}

/// `/graphql` (POST queries and mutations, GET graphql-ws subscriptions),
/// GraphiQL at `/`, `/healthz` (process up) and `/readyz` (migrated, and
/// the read models caught up). When `stopping` turns true, every open
/// WebSocket is closed with 1001 (going away), so clients reconnect to
/// another server rather than see the connection drop.
pub fn router(ctx: ApiContext, stopping: watch::Receiver<bool>) -> Router {
    let schema = schema(Some(ctx.clone()));
    Router::new()
        .route("/", get(crate::graphiql::page))
        .route("/graphiql/{name}", get(crate::graphiql::asset))
        .route(
            "/graphql",
            post(graphql).get(subscriptions).fallback(|| async {
                refuse(
                    StatusCode::METHOD_NOT_ALLOWED,
                    Code::MethodNotAllowed,
                    "/graphql takes POST (queries and mutations) and GET with a WebSocket upgrade (subscriptions)",
                )
            }),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(AppState { schema, ctx, stopping })
}

/// A refusal of the HTTP request itself, as a GraphQL error body.
fn refuse(status: StatusCode, code: Code, message: impl Into<String>) -> Response {
    let body = serde_json::json!({
        "errors": [{ "message": message.into(), "extensions": { "code": code.as_str() } }]
    });
    (status, Json(body)).into_response()
}

/// Only JSON is executed: a form or text body could be sent cross-site by
/// any web page without a CORS preflight.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
        || essence.eq_ignore_ascii_case("application/graphql-response+json")
}

/// Who is acting, from `X-Prasme-Actor` until sign-in exists. It is stored
/// in every event the request writes, so it is held to a name's rules.
/// The error is the message of a 400 answer.
fn actor(headers: &HeaderMap) -> Result<Actor, String> {
    let Some(value) = headers.get("x-prasme-actor") else {
        return Ok(Actor("anonymous".to_owned()));
    };
    // UTF-8, not just ASCII: actors are people with Latvian names.
    let text = std::str::from_utf8(value.as_bytes()).map_err(|_| "X-Prasme-Actor must be UTF-8".to_owned())?;
    if text.trim().is_empty() {
        return Ok(Actor("anonymous".to_owned()));
    }
    validate::text("X-Prasme-Actor", text, validate::MAX_NAME_CHARS)
        .map(Actor)
        .map_err(|e| e.message)
}

async fn graphql(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    if !is_json(&headers) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::UnsupportedMediaType,
            "POST /graphql takes a body of Content-Type application/json",
        );
    }
    let actor = match actor(&headers) {
        Ok(actor) => actor,
        Err(message) => return refuse(StatusCode::BAD_REQUEST, Code::BadRequest, message),
    };
    let bytes: Bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => {
            return refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                Code::PayloadTooLarge,
                format!("the body must be at most {MAX_BODY_BYTES} bytes"),
            )
        }
    };
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return refuse(
            StatusCode::BAD_REQUEST,
            Code::BadRequest,
            "batched requests are not supported: send one operation per request",
        );
    }
    let request: async_graphql::Request = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(e) => {
            return refuse(
                StatusCode::BAD_REQUEST,
                Code::BadRequest,
                format!("the body is not a GraphQL request in JSON: {e}"),
            )
        }
    };
    let schema = state.schema.clone();
    match execution::run(async move { schema.execute(request.data(actor)).await }).await {
        Ok(response) => GraphQLResponse::from(response).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "a GraphQL operation panicked");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                Code::Internal,
                "the operation failed inside the server",
            )
        }
    }
}

/// graphql-ws (and the older graphql-transport-ws) on the same path, with the
/// same message size limit as a POST body.
///
/// A GET that is not a WebSocket upgrade is refused as a GraphQL error:
/// queries over GET would let any page run them cross-site.
async fn subscriptions(
    State(state): State<AppState>,
    protocol: Result<GraphQLProtocol, <GraphQLProtocol as FromRequestParts<AppState>>::Rejection>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let (Ok(protocol), Ok(upgrade)) = (protocol, upgrade) else {
        return refuse(
            StatusCode::BAD_REQUEST,
            Code::BadRequest,
            "GET /graphql opens a WebSocket for subscriptions (graphql-transport-ws); send queries and mutations as POST with a JSON body",
        );
    };
    upgrade
        .max_message_size(MAX_BODY_BYTES)
        .max_frame_size(MAX_BODY_BYTES)
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve_socket(socket, state, protocol))
}

/// Serves graphql-ws on `socket` until the client leaves or the server stops.
async fn serve_socket(socket: WebSocket, state: AppState, protocol: GraphQLProtocol) {
    let (mut sink, stream) = socket.split();
    // async-graphql writes into a channel rather than the socket, so that the
    // socket is still here to close when the server stops.
    let (outgoing, mut replies) = futures::channel::mpsc::channel::<Message>(16);
    let graphql = GraphQLWebSocket::new_with_pair(outgoing, stream, state.schema, protocol).serve();
    let mut stopping = state.stopping;
    let left = {
        let forward = async {
            while let Some(message) = replies.next().await {
                if sink.send(message).await.is_err() {
                    break;
                }
            }
        };
        tokio::select! {
            _ = futures::future::join(graphql, forward) => true,
            _ = stopping.wait_for(|s| *s) => false,
        }
    };
    if !left {
        let close = CloseFrame {
            code: close_code::AWAY,
            reason: "the server is shutting down".into(),
        };
        let _ = sink.send(Message::Close(Some(close))).await;
        let _ = sink.close().await;
    }
}

/// Prometheus metrics in the text exposition format.
async fn metrics(State(state): State<AppState>) -> Response {
    let text = crate::metrics::render(&state.ctx).await;
    ([(header::CONTENT_TYPE, prometheus::TEXT_FORMAT)], text).into_response()
}

/// A projection this many events behind the head still counts as ready:
/// under steady writes every projection trails by a batch or so.
pub const READY_LAG: i64 = 1_000;

/// Ready when the migrations are applied and every projection is within
/// [`READY_LAG`] events of the head, so that a load balancer does not send
/// dashboards to a server whose read models are still replaying. The body
/// says why, with each projection's lag.
async fn readyz(State(state): State<AppState>) -> Response {
    let not_ready = |reason: &str| {
        let body = serde_json::json!({ "ready": false, "reason": reason });
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    };
    match prasme_eventstore::migrations_applied(&state.ctx.pool).await {
        Ok(true) => {}
        Ok(false) => return not_ready("migrations not applied"),
        Err(_) => return not_ready("database unreachable"),
    }
    let Ok(lags) = state.ctx.projections.lags().await else {
        return not_ready("database unreachable");
    };
    let caught_up = lags.iter().all(|l| l.lag <= READY_LAG);
    let projections: Vec<_> = lags
        .iter()
        .map(|l| serde_json::json!({ "name": l.name, "checkpoint": l.checkpoint, "lag": l.lag }))
        .collect();
    let body = serde_json::json!({
        "ready": caught_up,
        "reason": if caught_up { "" } else { "projections are catching up" },
        "maxLag": READY_LAG,
        "projections": projections,
    });
    let status = if caught_up {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}
