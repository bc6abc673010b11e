//! GraphiQL at `/`, from assets embedded in the binary: pinned production
//! builds of GraphiQL 4.0.3, React 18.3.1 and graphql-ws 5.16.2 (their
//! licences in `assets/graphiql/THIRD_PARTY_LICENSES`, refreshed with
//! `scripts/graphiql-assets`). Nothing is fetched from a CDN, so the page
//! works on a closed network, and the page's Content-Security-Policy keeps
//! it from loading anything but this server's own files.

use axum::extract::Path;
use axum::response::Response;

use crate::embedded::{self, Asset};

macro_rules! asset {
    ($name:literal, $content_type:literal) => {
        Asset {
            name: $name,
            content_type: $content_type,
            body: include_bytes!(concat!("../assets/graphiql/", $name)),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("graphiql.min.js", "text/javascript; charset=utf-8"),
    asset!("graphiql.min.css", "text/css; charset=utf-8"),
    asset!("react.production.min.js", "text/javascript; charset=utf-8"),
    asset!("react-dom.production.min.js", "text/javascript; charset=utf-8"),
    asset!("graphql-ws.min.js", "text/javascript; charset=utf-8"),
    asset!("start.js", "text/javascript; charset=utf-8"),
    asset!("page.css", "text/css; charset=utf-8"),
];

const PAGE: &str = include_str!("../assets/graphiql/index.html");

/// GraphiQL's editors set inline styles and its fonts and icons are data
/// URLs; scripts come only from this server, and requests go only back to it.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                      img-src 'self' data:; font-src 'self' data:; connect-src 'self' ws: wss:; \
                      base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub(crate) async fn page() -> Response {
    embedded::page(PAGE, POLICY)
}

/// One embedded file. They change only with the binary, so browsers may
/// keep them for a day.
pub(crate) async fn asset(Path(name): Path<String>) -> Response {
    embedded::asset(ASSETS, &name, "public, max-age=86400", "no such GraphiQL file")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_loads_only_embedded_files() {
        for reference in PAGE
            .split(['"', '\''])
            .filter(|s| s.starts_with('/') || s.contains("://"))
        {
            let name = reference.strip_prefix("/graphiql/");
            assert!(
                name.is_some_and(|n| ASSETS.iter().any(|a| a.name == n)),
                "{reference} is not an embedded asset"
            );
        }
    }
}
