//! Drives the whole request path (HTTP edge, parse, limits, validation and
//! execution against the real schema and a real PostgreSQL database) with
//! arbitrary bytes and with GraphQL built from the schema's own names.
//!
//! Every answer must be a JSON body with a status the API documents, and
//! every error in it must carry `extensions.code`. A panic, a stack overflow,
//! a 500 or a hang is a finding.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use arbitrary::Unstructured;
use axum::body::Body;
use axum::http::Request;
use libfuzzer_sys::fuzz_target;
use prasme::database::{ensure_database, with_database};
use prasme::server::{Application, Security, DEFAULT_AUDIENCE, DEFAULT_ISSUER};
use prasme_api_graphql::identity::{mint_development_token, TokenRequest};
use prasme_commands::Role;
use serde_json::{json, Value};
use tower::ServiceExt;

struct Harness {
    runtime: tokio::runtime::Runtime,
    router: axum::Router,
    vocabulary: Vec<String>,
}

const FUZZ_SECRET: &[u8] = b"prasme fuzz: a development secret of its own";

/// A SYSTEM token, minted once.
fn authorization() -> &'static str {
    static TOKEN: OnceLock<String> = OnceLock::new();
    TOKEN.get_or_init(|| {
        let request = TokenRequest {
            subject: "fuzz".to_owned(),
            roles: vec![Role::System],
            institution: None,
            resor: None,
            ttl: chrono::Duration::days(30),
        };
        let token = mint_development_token(FUZZ_SECRET, DEFAULT_ISSUER, DEFAULT_AUDIENCE, &request).unwrap();
        format!("Bearer {token}")
    })
}

fn harness() -> &'static Harness {
    static HARNESS: OnceLock<Harness> = OnceLock::new();
    HARNESS.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
        let admin = std::env::var("DATABASE_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
        let router = runtime.block_on(async {
            ensure_database(&admin, "prasme_fuzz").await.expect("fuzz database");
            let pool = prasme_eventstore::connect(&with_database(&admin, "prasme_fuzz"), 8).await.unwrap();
            prasme_eventstore::migrate(&pool).await.unwrap();
            // Development mode with the rate limit lifted: every input is a
            // request of one SYSTEM caller, so that it reaches execution.
            let mut security = Security::development(FUZZ_SECRET);
            security.limits.requests_per_second = u32::MAX / 2;
            security.limits.burst = u32::MAX / 2;
            let app = Application::build(pool, "127.0.0.1:0".parse().unwrap(), Duration::from_millis(200), security)
                .await
                .unwrap();
            app.router()
        });
        Harness {
            runtime,
            router,
            vocabulary: vocabulary(&prasme_api_graphql::sdl()),
        }
    })
}

/// Every name in the SDL: fields, arguments, types, enum values.
fn vocabulary(sdl: &str) -> Vec<String> {
    let mut names: Vec<String> = sdl
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_'))
        .map(str::to_owned)
        .collect();
    names.sort();
    names.dedup();
    names
}

const PUNCTUATION: &[&str] = &[
    "{", "}", "(", ")", "[", "]", ":", "...", "@skip(if: true)", "@include(if: $v)", "$v", "\"LV\\u0000\"",
    "\"2026-01-01\"", "\"x\"", "1", "-1", "2147483648", "1e400", "null", "true", "fragment F on QueryRoot",
    "...F", "query($v: Boolean)", "mutation", "subscription", "on", ",", "\"\"\"block\"\"\"", "# c\n",
];

fn token_soup(u: &mut Unstructured<'_>, vocabulary: &[String]) -> arbitrary::Result<String> {
    let mut out = String::new();
    let len = u.int_in_range(0..=200)?;
    for _ in 0..len {
        if u.ratio(1, 2)? {
            out.push_str(u.choose(vocabulary)?);
        } else {
            out.push_str(u.choose(PUNCTUATION)?);
        }
        out.push(' ');
    }
    Ok(out)
}

fn value(u: &mut Unstructured<'_>, vocabulary: &[String], depth: u32) -> arbitrary::Result<String> {
    Ok(match u.int_in_range(0..=7)? {
        0 if depth < 6 => {
            let items = (0..u.int_in_range(0..=3)?)
                .map(|_| value(u, vocabulary, depth + 1))
                .collect::<arbitrary::Result<Vec<_>>>()?;
            format!("[{}]", items.join(", "))
        }
        1 if depth < 6 => {
            let mut fields = Vec::new();
            for _ in 0..u.int_in_range(0..=3)? {
                fields.push(format!("{}: {}", u.choose(vocabulary)?, value(u, vocabulary, depth + 1)?));
            }
            format!("{{{}}}", fields.join(", "))
        }
        2 => {
            let len = u.int_in_range(0..=12)?;
            format!("{:?}", String::from_utf8_lossy(u.bytes(len)?))
        }
        3 => u.arbitrary::<i64>()?.to_string(),
        4 => u.choose(vocabulary)?.clone(),
        5 => "$v".to_owned(),
        6 => format!("\"{}\"", uuid_like(u)?),
        _ => "null".to_owned(),
    })
}

fn uuid_like(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    let n: u128 = u.arbitrary()?;
    let h = format!("{n:032x}");
    Ok(format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32]))
}

fn selection(u: &mut Unstructured<'_>, vocabulary: &[String], depth: u32) -> arbitrary::Result<String> {
    let mut out = String::from("{ ");
    for _ in 0..u.int_in_range(1..=4)? {
        if u.ratio(1, 8)? {
            out.push_str("...F ");
            continue;
        }
        if u.ratio(1, 4)? {
            out.push_str(&format!("{}: ", u.choose(vocabulary)?));
        }
        out.push_str(u.choose(vocabulary)?);
        if u.ratio(1, 2)? {
            let mut args = Vec::new();
            for _ in 0..u.int_in_range(1..=3)? {
                args.push(format!("{}: {}", u.choose(vocabulary)?, value(u, vocabulary, 0)?));
            }
            out.push_str(&format!("({})", args.join(", ")));
        }
        if u.ratio(1, 6)? {
            out.push_str(" @skip(if: $v)");
        }
        if depth < 8 && u.ratio(1, 2)? {
            out.push(' ');
            out.push_str(&selection(u, vocabulary, depth + 1)?);
        }
        out.push(' ');
    }
    out.push('}');
    Ok(out)
}

fn structured(u: &mut Unstructured<'_>, vocabulary: &[String]) -> arbitrary::Result<String> {
    let operation = *u.choose(&["query($v: Boolean = false)", "mutation($v: Boolean = false)", "subscription", ""])?;
    let mut query = format!("{operation} {}", selection(u, vocabulary, 0)?);
    if u.ratio(1, 3)? {
        query.push_str(&format!(" fragment F on {} {}", u.choose(vocabulary)?, selection(u, vocabulary, 1)?));
    }
    Ok(query)
}

fn body(data: &[u8], vocabulary: &[String]) -> arbitrary::Result<(String, Vec<u8>)> {
    let mut u = Unstructured::new(data);
    let json = "application/json".to_owned();
    Ok(match u.int_in_range(0..=4)? {
        0 => (json, u.take_rest().to_vec()),
        1 => {
            let query = String::from_utf8_lossy(u.take_rest()).into_owned();
            (json, serde_json::to_vec(&json!({ "query": query })).unwrap())
        }
        2 => {
            let query = token_soup(&mut u, vocabulary)?;
            let v: bool = u.arbitrary()?;
            (json, serde_json::to_vec(&json!({ "query": query, "variables": { "v": v } })).unwrap())
        }
        3 => {
            let query = structured(&mut u, vocabulary)?;
            (json, serde_json::to_vec(&json!({ "query": query, "variables": { "v": true } })).unwrap())
        }
        _ => {
            let content_type = *u.choose(&["text/plain", "application/x-www-form-urlencoded", "", "application/json; x"])?;
            (content_type.to_owned(), u.take_rest().to_vec())
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let h = harness();
    let Ok((content_type, body)) = body(data, &h.vocabulary) else { return };
    let request = Request::post("/graphql")
        .header("authorization", authorization())
        .header("content-type", content_type)
        .body(Body::from(body))
        .unwrap();
    let router = h.router.clone();
    let (status, answer) = h.runtime.block_on(async move {
        let response = tokio::time::timeout(Duration::from_secs(20), router.oneshot(request))
            .await
            .expect("answered within 20 s")
            .unwrap();
        let status = response.status().as_u16();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX).await.unwrap();
        (status, bytes)
    });
    assert!(matches!(status, 200 | 400 | 413 | 415), "status {status}");
    let answer: Value = serde_json::from_slice(&answer).expect("a JSON body");
    if let Some(errors) = answer.get("errors").and_then(Value::as_array) {
        for e in errors {
            let code = e["extensions"]["code"].as_str();
            assert!(code.is_some(), "an error without a code: {e}");
            assert_ne!(code, Some("INTERNAL"), "an internal error: {e}");
        }
    }
});
