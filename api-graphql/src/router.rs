use async_graphql::http::GraphiQLSource;
use async_graphql_axum::{GraphQLRequest, GraphQLResponse, GraphQLSubscription};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::Router;

use crate::{schema, Actor, ApiContext, PrasmeSchema};

#[derive(Clone)]
struct AppState {
    schema: PrasmeSchema,
    ctx: ApiContext,
}

/// `/graphql` (POST queries and mutations, GET graphql-ws subscriptions),
/// GraphiQL at `/`, `/healthz` (process up) and `/readyz` (database reachable
/// and migrated).
pub fn router(ctx: ApiContext) -> Router {
    let schema = schema(Some(ctx.clone()));
    Router::new()
        .route("/", get(graphiql))
        .route(
            "/graphql",
            post(graphql).get_service(GraphQLSubscription::new(schema.clone())),
        )
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .with_state(AppState { schema, ctx })
}

async fn graphql(State(state): State<AppState>, headers: HeaderMap, request: GraphQLRequest) -> GraphQLResponse {
    // UTF-8, not just ASCII: actors are people with Latvian names.
    let actor = headers
        .get("x-prasme-actor")
        .and_then(|v| std::str::from_utf8(v.as_bytes()).ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or("anonymous")
        .to_owned();
    state
        .schema
        .execute(request.into_inner().data(Actor(actor)))
        .await
        .into()
}

async fn graphiql() -> impl IntoResponse {
    Html(
        GraphiQLSource::build()
            .endpoint("/graphql")
            .subscription_endpoint("/graphql")
            .title("Prasme")
            .finish(),
    )
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    let reachable = sqlx::query("SELECT 1").execute(&state.ctx.pool).await.is_ok();
    match (reachable, prasme_eventstore::migrations_applied(&state.ctx.pool).await) {
        (true, Ok(true)) => (StatusCode::OK, "ready"),
        (true, _) => (StatusCode::SERVICE_UNAVAILABLE, "migrations not applied"),
        (false, _) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable"),
    }
}
