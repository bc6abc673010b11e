//! The KPI dashboard at `/dashboard`: one HTML page, a hand-written script
//! and a style sheet, embedded in the binary like GraphiQL's files
//! (`graphiql.rs`). No framework and no chart library, so there is nothing
//! to fetch from a CDN or to pin and refresh: the page works on a closed
//! network, and its Content-Security-Policy lets it load only this server's
//! files and talk only to this server.
//!
//! It holds no secret and reads nothing by itself: the user pastes a token,
//! which the page keeps in sessionStorage and sends as GraphiQL does (the
//! Authorization header over HTTP, `connection_init` over graphql-ws). So it
//! is served in production too, unlike GraphiQL, which only development
//! mode serves.

use axum::extract::Path;
use axum::response::Response;

use crate::embedded::{self, Asset};

const ASSETS: &[Asset] = &[
    Asset {
        name: "dashboard.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../assets/dashboard/dashboard.js"),
    },
    Asset {
        name: "dashboard.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../assets/dashboard/dashboard.css"),
    },
];

const PAGE: &str = include_str!("../assets/dashboard/index.html");

/// GraphiQL's policy without what only GraphiQL needs: the page sets no
/// inline style (charts are styled by class) and uses no fonts or images.
/// `ws:`/`wss:` are listed because older browsers do not count a WebSocket
/// to the same host as 'self'.
const POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
                      connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

pub(crate) async fn page() -> Response {
    embedded::page(PAGE, POLICY)
}

/// One embedded file. They change with the binary, and a dashboard left
/// open across an upgrade must not mix old and new script: no-cache makes
/// the browser revalidate.
pub(crate) async fn asset(Path(name): Path<String>) -> Response {
    embedded::asset(ASSETS, &name, "no-cache", "no such dashboard file")
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
            let name = reference.strip_prefix("/dashboard/");
            assert!(
                name.is_some_and(|n| ASSETS.iter().any(|a| a.name == n)),
                "{reference} is not an embedded asset"
            );
        }
    }

    #[test]
    fn the_script_names_no_other_origin() {
        // The SVG namespace is a name, not an address the browser loads.
        for asset in ASSETS {
            let body = String::from_utf8_lossy(asset.body).replace("http://www.w3.org/2000/svg", "");
            assert!(
                !body.contains("http://") && !body.contains("https://"),
                "{}",
                asset.name
            );
        }
    }
}
