//! Pages and files embedded in the binary (GraphiQL, the dashboard):
//! nothing is fetched from a CDN, so they work on a closed network, and
//! each page's Content-Security-Policy lets it load only this server's
//! files.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

pub(crate) struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

/// An HTML page under its policy; revalidated on every load, so a page
/// left open across an upgrade never mixes old and new files.
pub(crate) fn page(body: &'static str, policy: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, policy),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// The file of `assets` named `name`, with the caching the caller allows;
/// `missing` names what was looked for in a 404.
pub(crate) fn asset(assets: &[Asset], name: &str, cache_control: &'static str, missing: &'static str) -> Response {
    match assets.iter().find(|a| a.name == name) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, cache_control),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            a.body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, missing).into_response(),
    }
}
