//! Hostile and odd requests against the real server: each one is answered
//! with a typed error or a correct result, and the server stays up and
//! responsive while it is handled and after.

mod common;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::server::{start, SecondServer, Server};
use serde_json::{json, Value};

/// The test process's resident memory may not grow past this while hostile
/// requests run: one of them once took 17 GB.
const RSS_BOUND_BYTES: u64 = 1024 * 1024 * 1024;
/// `/healthz` must answer within this during and after each request.
const HEALTHZ_WITHIN: Duration = Duration::from_millis(100);

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Polls `/healthz` until stopped and records the slowest answer and the
/// highest RSS seen.
struct Watchdog {
    stop: Arc<AtomicBool>,
    slowest_micros: Arc<AtomicU64>,
    peak_rss: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Watchdog {
    fn start(s: &Server) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let slowest_micros = Arc::new(AtomicU64::new(0));
        let peak_rss = Arc::new(AtomicU64::new(0));
        let url = format!("http://{}/healthz", s.addr);
        let http = reqwest::Client::new();
        let task = tokio::spawn({
            let (stop, slowest, peak) = (stop.clone(), slowest_micros.clone(), peak_rss.clone());
            async move {
                while !stop.load(Ordering::Relaxed) {
                    let started = Instant::now();
                    let answered = tokio::time::timeout(Duration::from_secs(30), http.get(&url).send()).await;
                    let took = started.elapsed().as_micros() as u64;
                    let ok = matches!(answered, Ok(Ok(ref r)) if r.status() == 200);
                    slowest.fetch_max(if ok { took } else { u64::MAX }, Ordering::Relaxed);
                    peak.fetch_max(rss_bytes(), Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        });
        Self {
            stop,
            slowest_micros,
            peak_rss,
            task,
        }
    }

    async fn finish(self, what: &str) {
        self.stop.store(true, Ordering::Relaxed);
        self.task.await.unwrap();
        let slowest = Duration::from_micros(self.slowest_micros.load(Ordering::Relaxed));
        assert!(slowest <= HEALTHZ_WITHIN, "{what}: /healthz took {slowest:?}");
        let peak = self.peak_rss.load(Ordering::Relaxed);
        assert!(peak < RSS_BOUND_BYTES, "{what}: RSS reached {peak} bytes");
    }
}

/// POSTs a raw body, returning the status and the JSON answer.
async fn post_raw(s: &Server, content_type: Option<&str>, body: Vec<u8>) -> (u16, Value) {
    let mut request = s.http.post(format!("http://{}/graphql", s.addr)).body(body);
    if let Some(ct) = content_type {
        request = request.header("content-type", ct);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, body)
}

async fn post_query(s: &Server, query: &str) -> (u16, Value) {
    post_raw(
        s,
        Some("application/json"),
        serde_json::to_vec(&json!({ "query": query })).unwrap(),
    )
    .await
}

fn first_code(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("a typed error: {body}"))
        .to_owned()
}

/// Sends `query` with the watchdog running and expects the error `code`.
async fn refused_with(s: &Server, what: &str, query: &str, code: &str) {
    let dog = Watchdog::start(s);
    let (status, body) = post_query(s, query).await;
    dog.finish(what).await;
    assert_eq!(status, 200, "{what}: {body}");
    assert_eq!(first_code(&body), code, "{what}: {body}");
    assert!(body["data"].is_null(), "{what}: nothing runs: {body}");
}

fn nest(open: &str, inner: &str, close: &str, depth: usize) -> String {
    format!("{}{inner}{}", open.repeat(depth), close.repeat(depth))
}

#[tokio::test]
async fn deeply_nested_literals_are_refused_before_they_can_overflow_the_stack() {
    let s = start().await;
    let object = nest("{a: ", "1", "}", 1_500);
    let list = nest("[", "1", "]", 3_000);
    let cases = [
        (
            "object in an argument",
            format!("{{ institution(id: {object}) {{ id }} }}"),
        ),
        ("list in an argument", format!("{{ institution(id: {list}) {{ id }} }}")),
        (
            "mutation input",
            format!("mutation {{ registerInstitution(input: {object}) {{ institutionId }} }}"),
        ),
        (
            "variable default",
            format!("query($v: UUID = {object}) {{ institution(id: $v) {{ id }} }}"),
        ),
        ("directive argument", format!("{{ __typename @skip(if: {object}) }}")),
        (
            "unused fragment on an unknown type",
            format!("fragment F on Nothing {{ x(a: {object}) }} {{ __typename }}"),
        ),
        ("selections", format!("{{ {} }}", nest("a { ", "b", " }", 1_500))),
    ];
    for (what, query) in cases {
        refused_with(&s, what, &query, "QUERY_TOO_DEEP").await;
    }
    // A normal depth still gets a normal answer.
    let (_, body) = post_query(
        &s,
        &format!("{{ institution(id: {}) {{ id }} }}", nest("{a: ", "1", "}", 10)),
    )
    .await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT", "{body}");
    s.shut_down().await;
}

/// `fragment L1 on QueryRoot { a1: __typename ...L0 ...L0 }` and so on.
fn doubling_fragments(levels: usize, aliases: bool) -> String {
    let mut query = String::from("fragment L0 on QueryRoot { __typename }\n");
    for level in 1..=levels {
        let below = level - 1;
        let field = if aliases {
            format!("a{level}: __typename")
        } else {
            "__typename".to_owned()
        };
        query.push_str(&format!(
            "fragment L{level} on QueryRoot {{ {field} ...L{below} ...L{below} }}\n"
        ));
    }
    query.push_str(&format!("{{ ...L{levels} }}"));
    query
}

#[tokio::test]
async fn fragments_that_expand_exponentially_are_refused_without_expanding_them() {
    let s = start().await;
    for levels in [22, 30] {
        for aliases in [true, false] {
            let what = format!("{levels} levels, aliases {aliases}");
            refused_with(&s, &what, &doubling_fragments(levels, aliases), "QUERY_TOO_LARGE").await;
        }
    }
    // Five thousand aliases in one selection are within the limit, and answered.
    let many: String = (0..4_000).map(|i| format!("a{i}: __typename ")).collect();
    let dog = Watchdog::start(&s);
    let (_, body) = post_query(&s, &format!("{{ {many} }}")).await;
    dog.finish("4 000 aliases").await;
    assert_eq!(body["data"]["a3999"], "QueryRoot", "{body}");
    s.shut_down().await;
}

async fn register(s: &Server, name: &str) -> String {
    let p = s
        .mutate(
            "mutation($input: RegisterInstitutionInput!) { registerInstitution(input: $input) { institutionId userErrors { code } } }",
            json!({ "input": { "name": name, "kind": "STATE", "resor": "FM" } }),
        )
        .await;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    p["institutionId"].as_str().unwrap().to_owned()
}

const BREAKDOWNS: &str =
    "trainingBudget(year: 2031) { institutions { byFundingSource { amountCents } byPriority { amountCents } } }";

#[tokio::test]
async fn a_report_aliased_many_times_is_too_complex_and_one_report_cannot_starve_others() {
    let s = start().await;
    let mut ids = Vec::new();
    for i in 0..40 {
        ids.push(register(&s, &format!("Iestāde {i:02}")).await);
    }
    let mut position = 0;
    for id in &ids {
        let p = s
            .mutate(
                "mutation($input: AllocateTrainingBudgetInput!) { allocateTrainingBudget(input: $input) { position userErrors { code } } }",
                json!({ "input": { "institutionId": id, "year": 2031, "amountCents": 1000, "fundingSource": "ESF", "priority": "INTEGRITY" } }),
            )
            .await;
        assert_eq!(p["userErrors"], json!([]), "{p}");
        position = p["position"].as_i64().unwrap();
    }

    // 300 aliases of the report: refused on its cost, before any SQL.
    let aliased: String = (0..300).map(|i| format!("r{i}: {BREAKDOWNS} ")).collect();
    refused_with(
        &s,
        "300 aliased reports",
        &format!("{{ {aliased} }}"),
        "QUERY_TOO_COMPLEX",
    )
    .await;

    // One report is answered in full, from set-based reads.
    let report = BREAKDOWNS.replace("(year: 2031)", &format!("(year: 2031, atLeastPosition: {position})"));
    let (_, body) = post_query(&s, &format!("{{ {report} }}")).await;
    assert!(body.get("errors").is_none(), "{body}");
    let rows = body["data"]["trainingBudget"]["institutions"].as_array().unwrap();
    assert_eq!(rows.len(), 40);
    assert!(rows
        .iter()
        .all(|r| r["byFundingSource"] == json!([{ "amountCents": 1000 }])));

    // The heaviest queries the limits allow, many at once, each within its
    // connection budget: a small query beside them is answered, and none of
    // them fails for want of a connection.
    let lookups: String = ids
        .iter()
        .cycle()
        .take(300)
        .enumerate()
        .map(|(i, id)| {
            format!("i{i}: institution(id: \"{id}\") {{ name trainingBudget(year: 2031) {{ allocatedCents }} }} ")
        })
        .collect();
    let heavy = format!("{{ {lookups} }}");
    let dog = Watchdog::start(&s);
    let crowd: Vec<_> = (0..8)
        .map(|_| {
            let url = format!("http://{}/graphql", s.addr);
            let http = s.http.clone();
            let body = json!({ "query": heavy });
            tokio::spawn(async move {
                http.post(url)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .json::<Value>()
                    .await
                    .unwrap()
            })
        })
        .collect();
    let small = s
        .gql("{ institutions(first: 1) { edges { node { name } } } }", json!({}))
        .await;
    assert!(small.get("errors").is_none(), "{small}");
    for answer in crowd {
        let answer = answer.await.unwrap();
        assert!(
            answer.get("errors").is_none(),
            "{}",
            &answer.to_string()[..500.min(answer.to_string().len())]
        );
    }
    dog.finish("8 heavy queries at once").await;
    s.shut_down().await;
}

#[tokio::test]
async fn a_nul_character_in_a_query_argument_is_a_typed_refusal() {
    let s = start().await;
    for query in [
        r#"{ certificate(number: "LV\u0000") { status } }"#,
        r#"{ courses(measure: "1.1\u0000") { edges { node { id } } } }"#,
        r#"{ courses(competency: "\u0000") { edges { node { id } } } }"#,
    ] {
        let (status, body) = post_query(&s, query).await;
        assert_eq!(status, 200);
        assert_eq!(first_code(&body), "BAD_USER_INPUT", "{query}: {body}");
    }
    s.shut_down().await;
}

#[tokio::test]
async fn only_json_bodies_of_bounded_size_are_executed() {
    let s = start().await;
    let query = serde_json::to_vec(&json!({ "query": "{ __typename }" })).unwrap();
    for content_type in [
        None,
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("application/xml"),
        Some("multipart/form-data; boundary=x"),
    ] {
        let (status, body) = post_raw(&s, content_type, query.clone()).await;
        assert_eq!(status, 415, "{content_type:?}: {body}");
        assert_eq!(first_code(&body), "UNSUPPORTED_MEDIA_TYPE");
    }
    for content_type in [
        "application/json",
        "application/json; charset=utf-8",
        "application/graphql-response+json",
    ] {
        let (status, body) = post_raw(&s, Some(content_type), query.clone()).await;
        assert_eq!(status, 200, "{content_type}");
        assert_eq!(body["data"]["__typename"], "QueryRoot");
    }
    let huge = "x".repeat(prasme_api_graphql::MAX_BODY_BYTES + 1);
    let body = serde_json::to_vec(&json!({ "query": "query($v: String) { __typename }", "variables": { "v": huge } }))
        .unwrap();
    let dog = Watchdog::start(&s);
    let (status, answer) = post_raw(&s, Some("application/json"), body).await;
    dog.finish("a body over the limit").await;
    assert_eq!(status, 413);
    assert_eq!(first_code(&answer), "PAYLOAD_TOO_LARGE");
    for (raw, what) in [
        (&b"{\"query\": "[..], "truncated JSON"),
        (&b"[{\"query\": \"{ __typename }\"}]"[..], "a batch"),
    ] {
        let (status, answer) = post_raw(&s, Some("application/json"), raw.to_vec()).await;
        assert_eq!(status, 400, "{what}");
        assert_eq!(first_code(&answer), "BAD_REQUEST", "{what}");
    }
    s.shut_down().await;
}

#[tokio::test]
async fn parsing_is_as_strict_as_the_spec() {
    let s = start().await;
    let (_, body) = post_query(&s, r#"{ institutions(kind: "STATE") { edges { node { id } } } }"#).await;
    assert_eq!(first_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");
    let (_, body) = post_query(&s, "{ institutions(kind: STATE) { edges { node { id } } } }").await;
    assert!(body.get("errors").is_none(), "{body}");

    let skips = " @skip(if: false)".repeat(5_000);
    let (_, body) = post_query(&s, &format!("{{ __typename{skips} }}")).await;
    assert_eq!(first_code(&body), "GRAPHQL_VALIDATION_FAILED", "{body}");

    let id = register(&s, "Datumu iestāde").await;
    let hire = "mutation($input: HireEmployeeInput!) { hireEmployee(input: $input) { userErrors { code } } }";
    let input = |date: &str| json!({ "input": { "institutionId": id, "name": "Anna Ozola", "jobGroups": ["HR_SPECIALIST"], "hiredOn": date } });
    let body = s.gql(hire, input("2026-1-1")).await;
    assert_eq!(first_code(&body), "BAD_USER_INPUT", "{body}");
    assert!(
        body["errors"][0]["message"].as_str().unwrap().contains("YYYY-MM-DD"),
        "{body}"
    );

    // A 60 000-character token is refused as a token, not echoed back.
    let huge = "a".repeat(60_000);
    let response = reqwest::Client::new()
        .post(format!("http://{}/graphql", s.addr))
        .bearer_auth(&huge)
        .json(&json!({ "query": "{ __typename }" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.unwrap();
    assert_eq!(first_code(&body), "UNAUTHENTICATED");
    assert!(!body.to_string().contains(&huge[..100]), "the token is echoed: {body}");
    s.shut_down().await;
}

#[tokio::test]
async fn commands_without_an_expected_version_succeed_beside_a_second_server_on_the_same_stream() {
    let s = start().await;
    let second = SecondServer::start(&s).await;
    let second_addr = second.addr;
    let id = register(&s, "Divu procesu iestāde").await;
    const CLIENTS: usize = 16;
    const EACH: usize = 25;
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let addr = if c % 2 == 0 { s.addr } else { second_addr };
            let http = s.http.clone();
            let id = id.clone();
            tokio::spawn(async move {
                let mut refused = Vec::new();
                for _ in 0..EACH {
                    let body = json!({
                        "query": "mutation($input: AllocateTrainingBudgetInput!) { allocateTrainingBudget(input: $input) { userErrors { code field message } } }",
                        "variables": { "input": { "institutionId": id, "year": 2027, "amountCents": 100, "fundingSource": "STATE_BUDGET" } }
                    });
                    let answer: Value = http
                        .post(format!("http://{addr}/graphql"))
                        .json(&body)
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    if answer.get("errors").is_some() || answer["data"]["allocateTrainingBudget"]["userErrors"] != json!([]) {
                        refused.push(answer);
                    }
                }
                refused
            })
        })
        .collect();
    for client in clients {
        let refused = client.await.unwrap();
        assert!(refused.is_empty(), "refused: {refused:?}");
    }
    let body = s
        .gql(
            "query($id: UUID!) { institution(id: $id) { trainingBudget(year: 2027) { allocatedCents } } }",
            json!({ "id": id }),
        )
        .await;
    let wanted = (CLIENTS * EACH * 100) as i64;
    // Read through the projection: wait until it has caught up.
    let mut allocated = body["data"]["institution"]["trainingBudget"]["allocatedCents"].as_i64();
    for _ in 0..50 {
        if allocated == Some(wanted) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let body = s
            .gql(
                "query($id: UUID!) { institution(id: $id) { trainingBudget(year: 2027) { allocatedCents } } }",
                json!({ "id": id }),
            )
            .await;
        allocated = body["data"]["institution"]["trainingBudget"]["allocatedCents"].as_i64();
    }
    assert_eq!(allocated, Some(wanted));
    second.shut_down().await;
    s.shut_down().await;
}
