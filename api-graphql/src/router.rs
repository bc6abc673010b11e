use std::sync::Arc;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQLProtocol, GraphQLResponse};
use axum::body::{Body, Bytes};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{FromRequestParts, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::sync::watch;

use crate::errors::Code;
use crate::execution;
use crate::identity::{bearer, Unauthenticated};
use crate::socket::serve_socket;
use crate::throttle::{RateLimiter, SocketSlots};
use crate::{schema, ApiContext, PrasmeSchema};

/// Largest POST body, and largest WebSocket message. Prasme's inputs are
/// small: a whole course with its description is a few kilobytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

#[derive(Clone)]
pub(crate) struct AppState {
    pub(crate) schema: PrasmeSchema,
    pub(crate) ctx: ApiContext,
    /// Turns true when the server is asked to stop.
    pub(crate) stopping: watch::Receiver<bool>,
    pub(crate) limiter: Arc<RateLimiter>,
    pub(crate) sockets: SocketSlots,
}

/// `/graphql` (POST queries and mutations, GET graphql-ws subscriptions),
/// `/healthz` (process up), `/readyz` (migrated, and the read models caught
/// up), the KPI dashboard at `/dashboard` and its CSV exports under
/// `/export/`, and, in development mode only, GraphiQL at `/`. Every operation needs
/// a verified token (see `identity`); development mode also serves the
/// schema's introspection without one. When `stopping` turns true, every
/// open WebSocket is closed with 1001 (going away), so clients reconnect to
/// another server rather than see the connection drop.
pub fn router(ctx: ApiContext, stopping: watch::Receiver<bool>) -> Router {
    let schema = schema(Some(ctx.clone()));
    let development = ctx.identity.is_development();
    let state = AppState {
        schema,
        limiter: Arc::new(RateLimiter::new(&ctx.limits)),
        sockets: SocketSlots::new(&ctx.limits),
        ctx,
        stopping,
    };
    let routes = Router::new();
    let routes = if development {
        routes
            .route("/", get(crate::graphiql::page))
            .route("/graphiql/{name}", get(crate::graphiql::asset))
    } else {
        routes
    };
    routes
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
        .route("/dashboard", get(crate::dashboard::page))
        .route("/dashboard/{name}", get(crate::dashboard::asset))
        .route("/export/kpis.csv", get(crate::export::kpis))
        .route("/export/kpis/{indicator}/breakdown.csv", get(crate::export::breakdown))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// A refusal of the HTTP request itself, as a GraphQL error body.
pub(crate) fn refuse(status: StatusCode, code: Code, message: impl Into<String>) -> Response {
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

/// A request without a verified token: 401, with the reason.
fn unauthenticated(reason: &Unauthenticated, token_given: bool) -> Response {
    let mut response = refuse(StatusCode::UNAUTHORIZED, Code::Unauthenticated, reason.to_string());
    let challenge = if token_given {
        "Bearer realm=\"prasme\", error=\"invalid_token\""
    } else {
        "Bearer realm=\"prasme\""
    };
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, header::HeaderValue::from_static(challenge));
    response
}

fn no_token() -> Unauthenticated {
    Unauthenticated("send a token: Authorization: Bearer <JWT>".to_owned())
}

/// The bearer token of a request, if it sent one.
pub(crate) fn token_of(headers: &HeaderMap) -> Option<Result<&str, Unauthenticated>> {
    let value = headers.get(header::AUTHORIZATION)?;
    Some(
        value
            .to_str()
            .ok()
            .and_then(bearer)
            .ok_or_else(|| Unauthenticated("the Authorization header must be `Bearer <JWT>`".to_owned())),
    )
}

/// Whether every operation of `query` reads only the schema (`__schema`,
/// `__type`, `__typename`): what development mode serves without a token,
/// so that GraphiQL shows the documentation before a token is pasted.
fn reads_only_the_schema(query: &str) -> bool {
    use async_graphql::parser::types::{OperationType, Selection};
    // Held to the request limits before it is parsed, as every other
    // request's text is (`limits.rs`), so that no anonymous text reaches
    // the parser that a signed-in one could not.
    if query.len() > crate::limits::MAX_QUERY_BYTES || crate::limits::check_nesting(query).is_err() {
        return false;
    }
    let Ok(document) = async_graphql::parser::parse_query(query) else {
        return false;
    };
    document.operations.iter().all(|(_, operation)| {
        operation.node.ty == OperationType::Query
            && operation
                .node
                .selection_set
                .node
                .items
                .iter()
                .all(|item| match &item.node {
                    Selection::Field(field) => field.node.name.node.starts_with("__"),
                    _ => false,
                })
    })
}

async fn graphql(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    if !is_json(&headers) {
        return refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Code::UnsupportedMediaType,
            "POST /graphql takes a body of Content-Type application/json",
        );
    }
    let verified = match token_of(&headers) {
        Some(Ok(token)) => match state.ctx.identity.verify(token) {
            Ok(verified) => Some(verified),
            Err(reason) => return unauthenticated(&reason, true),
        },
        Some(Err(reason)) => return unauthenticated(&reason, true),
        None if state.ctx.identity.is_development() => None,
        None => return unauthenticated(&no_token(), false),
    };
    if let Some(verified) = &verified {
        if let Err(wait) = state.limiter.take(&verified.principal.subject) {
            let mut response = refuse(
                StatusCode::TOO_MANY_REQUESTS,
                Code::RateLimited,
                format!(
                    "over {} requests a second for this subject; retry after the Retry-After seconds",
                    state.ctx.limits.requests_per_second
                ),
            );
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            if let Ok(value) = header::HeaderValue::from_str(&seconds.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
            return response;
        }
    }
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
    let request = match verified {
        Some(verified) => request.data(verified.principal),
        None if reads_only_the_schema(&request.query) => request,
        None => return unauthenticated(&no_token(), false),
    };
    let schema = state.schema.clone();
    match execution::run(async move { schema.execute(request).await }).await {
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
    headers: HeaderMap,
    protocol: Result<GraphQLProtocol, <GraphQLProtocol as FromRequestParts<AppState>>::Rejection>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    // A token on the upgrade request is used when `connection_init` has none.
    let header_token = token_of(&headers).and_then(Result::ok).map(str::to_owned);
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
        .on_upgrade(move |socket| serve_socket(socket, state, protocol, header_token))
}

/// Prometheus metrics in the text exposition format.
/// Operators only: a scraper sends a SYSTEM token like any other caller.
async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let principal = match token_of(&headers) {
        Some(Ok(token)) => match state.ctx.identity.verify(token) {
            Ok(verified) => verified.principal,
            Err(reason) => return unauthenticated(&reason, true),
        },
        Some(Err(reason)) => return unauthenticated(&reason, true),
        None => return unauthenticated(&no_token(), false),
    };
    if !prasme_commands::may_read(&principal, prasme_commands::ReadOf::Operations) {
        return refuse(
            StatusCode::FORBIDDEN,
            Code::Forbidden,
            "the metrics are for operators (SYSTEM)",
        );
    }
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
