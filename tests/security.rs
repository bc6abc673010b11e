//! Who may do and see what (issue 19), end to end against the real server
//! with the test JWKS: tokens that do not verify, the role matrix over a
//! query, a mutation and a subscription each, cross-tenant attempts through
//! every path, small cells, and the per-subject limits.

mod common;

use std::time::Duration;

use common::server::{connection_init, start, start_with, system_token, test_security, token, Server, TEST_JWKS};
use futures::{SinkExt, StreamExt};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use prasme::server::{KeySource, Security};
use prasme_api_graphql::{Identity, CLOSE_TOO_MANY_SOCKETS, CLOSE_UNAUTHENTICATED};
use prasme_commands::Role;
use prasme_domain::reference::Resor;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

const RS256_KEY: &str = include_str!("fixtures/jwt/rs256.pem");
const ES256_KEY: &str = include_str!("fixtures/jwt/es256.pem");

/// Claims as an identity provider would issue them, `exp` seconds from now.
fn claims(roles: &[&str], exp: i64) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({ "sub": "svc-importer", "roles": roles, "iss": "prasme", "aud": "prasme", "exp": now + exp, "nbf": now - 1 })
}

fn signed(alg: Algorithm, kid: &str, claims: &Value) -> String {
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(RS256_KEY.as_bytes()).unwrap(),
        Algorithm::ES256 => EncodingKey::from_ec_pem(ES256_KEY.as_bytes()).unwrap(),
        _ => unreachable!("the fixtures hold RS256 and ES256 keys"),
    };
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_owned());
    encode(&header, claims, &key).unwrap()
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"].as_str().unwrap_or("")
}

/// Runs `mutation` with `input` (of GraphQL type `input_type`) as SYSTEM
/// and returns the payload's `id` field, failing on any refusal.
async fn mutate_id(s: &Server, mutation: &str, input_type: &str, input: Value, id: &str) -> String {
    let p = s
        .mutate(
            &format!(
                "mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ {id} userErrors {{ code message }} }} }}"
            ),
            json!({ "i": input }),
        )
        .await;
    assert_eq!(p["userErrors"], json!([]), "{mutation}: {p}");
    p[id].as_str().unwrap().to_owned()
}

/// Two institutions in two resors, people in each, a course of VAS's
/// catalogue and one of institution A, an offering of each with places.
struct World {
    a: String,
    b: String,
    a_manager: String,
    a_employee: String,
    b_employee: String,
    public_course: String,
    a_course: String,
    public_offering: String,
    a_offering: String,
}

impl World {
    /// A token of HR of institution A.
    fn hr_of_a(&self) -> String {
        token(
            "hr@kase.gov.lv",
            &[Role::InstitutionHr],
            Some(Uuid::parse_str(&self.a).unwrap()),
            None,
        )
    }
}

async fn world(s: &Server) -> World {
    let register = |name: &'static str, resor: &'static str| async move {
        mutate_id(
            s,
            "registerInstitution",
            "RegisterInstitutionInput",
            json!({ "name": name, "kind": "STATE", "resor": resor }),
            "institutionId",
        )
        .await
    };
    let a = register("Valsts kase", "FM").await;
    let b = register("Nacionālais veselības dienests", "VM").await;
    let hire = |institution: String, name: &'static str| async move {
        mutate_id(
            s,
            "hireEmployee",
            "HireEmployeeInput",
            json!({ "institutionId": institution, "name": name, "jobGroups": ["NEW_EMPLOYEE"], "hiredOn": "2024-01-01" }),
            "employeeId",
        )
        .await
    };
    let a_manager = hire(a.clone(), "Ilze Kalniņa").await;
    let a_employee = hire(a.clone(), "Anna Liepa").await;
    let b_employee = hire(b.clone(), "Jānis Ozols").await;
    s.mutate(
        "mutation($i: AssignManagerInput!) { assignManager(input: $i) { userErrors { code } } }",
        json!({ "i": { "employeeId": a_employee, "managerId": a_manager } }),
    )
    .await;
    let course = |owner: Value| async move {
        mutate_id(
            s,
            "catalogueCourse",
            "CatalogueCourseInput",
            json!({ "description": { "title": "Ētika valsts pārvaldē", "owner": owner, "priority": "INTEGRITY",
                "measures": ["1.1"], "courseType": "E_LEARNING", "knowledgeTest": false, "durationMinutes": 120, "language": "lv" } }),
            "courseId",
        )
        .await
    };
    let public_course = course(json!({ "level": "PUBLIC_ADMINISTRATION" })).await;
    let a_course = course(json!({ "level": "INSTITUTION", "institutionId": a })).await;
    let schedule = |course: String| async move {
        mutate_id(
            s,
            "scheduleOffering",
            "ScheduleOfferingInput",
            json!({ "courseId": course, "startsOn": "2035-03-01", "endsOn": "2035-03-02", "format": "ONLINE",
                    "capacity": 10, "costPerParticipantCents": 0, "organiser": "Valsts administrācijas skola" }),
            "offeringId",
        )
        .await
    };
    let public_offering = schedule(public_course.clone()).await;
    let a_offering = schedule(a_course.clone()).await;
    for (offering, employee) in [
        (&public_offering, &a_employee),
        (&public_offering, &b_employee),
        (&a_offering, &a_manager),
    ] {
        s.mutate(
            "mutation($i: PlaceInput!) { requestPlace(input: $i) { userErrors { code } } }",
            json!({ "i": { "offeringId": offering, "employeeId": employee } }),
        )
        .await;
    }
    settle(s).await;
    World {
        a,
        b,
        a_manager,
        a_employee,
        b_employee,
        public_course,
        a_course,
        public_offering,
        a_offering,
    }
}

/// Waits until every read model has projected the whole log (the offering
/// list reads all four).
async fn settle(s: &Server) {
    let head: i64 = sqlx::query_scalar("SELECT coalesce(max(position), 0) FROM events")
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    let body = s
        .gql(
            "query($p: Position) { offerings(first: 1, atLeastPosition: $p) { totalCount } }",
            json!({ "p": head }),
        )
        .await;
    assert!(body.get("errors").is_none(), "the read models did not catch up: {body}");
}

async fn socket(
    s: &Server,
) -> impl futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>>
       + futures::Sink<Message, Error = tokio_tungstenite::tungstenite::Error>
       + Unpin {
    let mut request = format!("ws://{}/graphql", s.addr).into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

/// What a subscription answers first: `Ok(())` when it is accepted (no error
/// within a moment), or the error code it was refused with.
async fn subscribe(s: &Server, token: &str, subscription: &str) -> Result<(), String> {
    let mut ws = socket(s).await;
    ws.send(Message::Text(connection_init(token).to_string().into()))
        .await
        .unwrap();
    assert_eq!(common::server::next_json(&mut ws).await["type"], "connection_ack");
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": subscription } });
    ws.send(Message::Text(subscribe.to_string().into())).await.unwrap();
    match tokio::time::timeout(Duration::from_millis(800), common::server::next_json(&mut ws)).await {
        Err(_) => Ok(()),
        // Refused before it starts (validation), or by its resolver (the
        // first `next` carries the error and the subscription completes).
        Ok(message) if message["type"] == "error" => Err(message["payload"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()),
        Ok(message) if message["type"] == "next" && message["payload"]["errors"].is_array() => Err(message["payload"]
            ["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or("")
            .to_owned()),
        Ok(message) => panic!("unexpected first message: {message}"),
    }
}

/// The close frame a socket ends with.
async fn close_code<S>(ws: &mut S) -> u16
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("the socket closes within 10 s")
        {
            Some(Ok(Message::Close(Some(frame)))) => return frame.code.into(),
            Some(Ok(_)) => {}
            other => panic!("the socket ended without a close frame: {other:?}"),
        }
    }
}

#[tokio::test]
async fn tokens_that_do_not_verify_are_refused_with_401_and_the_server_stays_up() {
    let s = start().await;
    let url = format!("http://{}/graphql", s.addr);
    let good = signed(Algorithm::RS256, "test-rs256", &claims(&["SYSTEM"], 600));
    let mut bad: Vec<(String, String)> = vec![
        ("garbage".into(), "not a token".into()),
        ("empty parts".into(), "..".into()),
        ("alg none".into(), {
            use base64::Engine;
            let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
            format!(
                "{}.{}.",
                b64(&json!({ "alg": "none", "typ": "JWT" })),
                b64(&claims(&["SYSTEM"], 600))
            )
        }),
        (
            "expired".into(),
            signed(Algorithm::RS256, "test-rs256", &claims(&["SYSTEM"], -3600)),
        ),
        ("not yet valid".into(), {
            let mut c = claims(&["SYSTEM"], 7200);
            c["nbf"] = json!(chrono::Utc::now().timestamp() + 3600);
            signed(Algorithm::ES256, "test-es256", &c)
        }),
        ("wrong audience".into(), {
            let mut c = claims(&["SYSTEM"], 600);
            c["aud"] = json!("elsewhere");
            signed(Algorithm::RS256, "test-rs256", &c)
        }),
        ("wrong issuer".into(), {
            let mut c = claims(&["SYSTEM"], 600);
            c["iss"] = json!("elsewhere");
            signed(Algorithm::ES256, "test-es256", &c)
        }),
        (
            "unknown role".into(),
            signed(Algorithm::RS256, "test-rs256", &claims(&["ROOT"], 600)),
        ),
        ("wrong secret".into(), {
            encode(
                &Header::new(Algorithm::HS256),
                &claims(&["SYSTEM"], 600),
                &EncodingKey::from_secret(b"guess"),
            )
            .unwrap()
        }),
        (
            "RS256 key named for ES256".into(),
            signed(Algorithm::RS256, "test-es256", &claims(&["SYSTEM"], 600)),
        ),
    ];
    // Every single-character change of a good token.
    for i in (0..good.len()).step_by(7) {
        let mut bytes = good.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let mutated = String::from_utf8(bytes).unwrap();
        if mutated != good {
            bad.push((format!("changed at {i}"), mutated));
        }
    }
    let http = reqwest::Client::new();
    for (what, token) in &bad {
        let response = http
            .post(&url)
            .bearer_auth(token)
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap();
        // A change inside the signature's base64 padding bits may decode to
        // the same signature; such a token is the good one.
        if status == 200 && what.starts_with("changed") {
            continue;
        }
        assert_eq!(status, 401, "{what}: {body}");
        assert_eq!(code(&body), "UNAUTHENTICATED", "{what}: {body}");
        assert!(
            !body.to_string().contains(token.as_str()),
            "{what}: the token is echoed"
        );
    }
    // No token, and a header that is not a bearer token.
    for request in [
        http.post(&url),
        http.post(&url).header("authorization", "Basic dXNlcjpwYXNz"),
    ] {
        let response = request
            .json(&json!({ "query": "{ resors { code } }" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401);
        assert!(response.headers().get("www-authenticate").is_some());
    }
    // The good ones: RS256 and ES256 from the JWKS, HS256 in development.
    for token in [
        good.clone(),
        signed(Algorithm::ES256, "test-es256", &claims(&["SYSTEM"], 600)),
        system_token(),
    ] {
        let (status, body) = s.gql_as(&token, "{ resors { code } }", json!({})).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.get("errors").is_none(), "{body}");
    }
    // Over graphql-ws: no token, and a bad one, close with 4401.
    for init in [json!({ "type": "connection_init" }), connection_init("not a token")] {
        let mut ws = socket(&s).await;
        ws.send(Message::Text(init.to_string().into())).await.unwrap();
        assert_eq!(close_code(&mut ws).await, CLOSE_UNAUTHENTICATED);
    }
    assert_eq!(
        http.get(format!("http://{}/healthz", s.addr))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    s.shut_down().await;
}

#[tokio::test]
async fn a_token_that_expires_during_a_subscription_closes_the_socket_with_4401() {
    let s = start().await;
    let world = world(&s).await;
    // Expires in 2 s; verification allows a minute of skew, the socket none.
    let mut c = claims(&["SYSTEM"], 2);
    c["sub"] = json!("short-lived");
    let token = signed(Algorithm::ES256, "test-es256", &c);
    let mut ws = socket(&s).await;
    ws.send(Message::Text(connection_init(&token).to_string().into()))
        .await
        .unwrap();
    assert_eq!(common::server::next_json(&mut ws).await["type"], "connection_ack");
    let query = format!(
        "subscription {{ trainingBudgetUpdated(institutionId: \"{}\") {{ position }} }}",
        world.a
    );
    ws.send(Message::Text(
        json!({ "id": "1", "type": "subscribe", "payload": { "query": query } })
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    assert_eq!(close_code(&mut ws).await, CLOSE_UNAUTHENTICATED);
    s.shut_down().await;
}

#[tokio::test]
async fn production_mode_serves_no_graphiql_nor_introspection_and_nothing_without_a_token() {
    let security = Security {
        identity: Identity::production("prasme", "prasme"),
        jwks: Some(KeySource::File(TEST_JWKS.into())),
        limits: test_security().limits,
    };
    let s = start_with(security).await;
    let base = format!("http://{}", s.addr);
    let http = reqwest::Client::new();
    assert_eq!(http.get(format!("{base}/")).send().await.unwrap().status(), 404);
    assert_eq!(http.get(format!("{base}/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(http.get(format!("{base}/metrics")).send().await.unwrap().status(), 401);
    let introspection = json!({ "query": "{ __schema { types { name } } }" });
    let anonymous = http
        .post(format!("{base}/graphql"))
        .json(&introspection)
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let token = signed(Algorithm::RS256, "test-rs256", &claims(&["SYSTEM"], 600));
    let (status, body) = s.gql_as(&token, "{ __schema { types { name } } }", json!({})).await;
    assert_eq!(status, 200);
    assert!(body["data"]["__schema"].is_null(), "introspection answered: {body}");
    // HS256 is development's: refused here even when signed with the test secret.
    let (status, _) = s.gql_as(&system_token(), "{ resors { code } }", json!({})).await;
    assert_eq!(status, 401);
    let (status, body) = s.gql_as(&token, "{ resors { code } }", json!({})).await;
    assert_eq!((status, body.get("errors")), (200, None), "{body}");
    s.shut_down().await;
}

#[tokio::test]
async fn development_mode_serves_the_schema_without_a_token_but_nothing_else() {
    let s = start().await;
    let url = format!("http://{}/graphql", s.addr);
    let http = reqwest::Client::new();
    let schema: Value = http
        .post(&url)
        .json(&json!({ "query": "{ __schema { queryType { name } } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(schema["data"]["__schema"]["queryType"]["name"], "QueryRoot");
    for query in [
        "{ __typename resors { code } }",
        "{ resors { code } }",
        "mutation { __typename }",
    ] {
        let response = http.post(&url).json(&json!({ "query": query })).send().await.unwrap();
        assert_eq!(response.status(), 401, "{query}");
    }
    assert_eq!(
        http.get(format!("http://{}/", s.addr)).send().await.unwrap().status(),
        200
    );
    s.shut_down().await;
}

#[tokio::test]
async fn each_subject_is_rate_limited_with_retry_after_and_others_are_still_served() {
    let mut security = test_security();
    security.limits.requests_per_second = 1;
    security.limits.burst = 3;
    let s = start_with(security).await;
    let greedy = token("greedy", &[Role::Auditor], None, None);
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let response = reqwest::Client::new()
            .post(format!("http://{}/graphql", s.addr))
            .bearer_auth(&greedy)
            .json(&json!({ "query": "{ resors { code } }" }))
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            let wait: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
            assert!((1..=2).contains(&wait), "Retry-After {wait}");
            assert_eq!(code(&response.json().await.unwrap()), "RATE_LIMITED");
        }
    }
    assert_eq!(&statuses[..3], &[200, 200, 200]);
    assert_eq!(statuses[4], 429, "{statuses:?}");
    let (status, _) = s
        .gql_as(
            &token("patient", &[Role::Auditor], None, None),
            "{ resors { code } }",
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    s.shut_down().await;
}

#[tokio::test]
async fn sockets_per_subject_and_subscriptions_per_socket_are_bounded() {
    let mut security = test_security();
    security.limits.sockets_per_subject = 2;
    security.limits.subscriptions_per_socket = 2;
    let s = start_with(security).await;
    let world = world(&s).await;
    let who = token("watcher", &[Role::Auditor], None, None);
    let mut open = Vec::new();
    for _ in 0..2 {
        let mut ws = socket(&s).await;
        ws.send(Message::Text(connection_init(&who).to_string().into()))
            .await
            .unwrap();
        assert_eq!(common::server::next_json(&mut ws).await["type"], "connection_ack");
        open.push(ws);
    }
    let mut third = socket(&s).await;
    third
        .send(Message::Text(connection_init(&who).to_string().into()))
        .await
        .unwrap();
    assert_eq!(close_code(&mut third).await, CLOSE_TOO_MANY_SOCKETS);
    let query = format!(
        "subscription {{ trainingBudgetUpdated(institutionId: \"{}\") {{ position }} }}",
        world.a
    );
    let ws = &mut open[0];
    for id in ["1", "2", "3"] {
        let subscribe = json!({ "id": id, "type": "subscribe", "payload": { "query": query } });
        ws.send(Message::Text(subscribe.to_string().into())).await.unwrap();
    }
    let refused = common::server::next_json(ws).await;
    assert_eq!(
        (refused["type"].as_str(), refused["id"].as_str()),
        (Some("error"), Some("3")),
        "{refused}"
    );
    assert_eq!(refused["payload"][0]["extensions"]["code"], "TOO_MANY_SUBSCRIPTIONS");
    // Closing one socket frees its slot.
    drop(open.pop());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut again = socket(&s).await;
    again
        .send(Message::Text(connection_init(&who).to_string().into()))
        .await
        .unwrap();
    assert_eq!(common::server::next_json(&mut again).await["type"], "connection_ack");
    s.shut_down().await;
}

/// For each role: a representative query, mutation and subscription, each
/// allowed and denied (VK_ANALYST and AUDITOR may run no mutation at all,
/// VK_ADMIN only the plan's).
#[tokio::test]
async fn every_role_is_allowed_and_denied_a_query_a_mutation_and_a_subscription() {
    let s = start().await;
    let w = world(&s).await;
    let a = Uuid::parse_str(&w.a).unwrap();
    let employee = token(&w.a_employee, &[Role::Employee], Some(a), None);
    let manager = token(&w.a_manager, &[Role::Manager], Some(a), None);
    let hr = w.hr_of_a();
    let coordinator = token("fm", &[Role::ResorCoordinator], None, Some(Resor::Fm));
    let vas = token("vas", &[Role::VasAdmin], None, None);
    let analyst = token("vk", &[Role::VkAnalyst], None, None);
    let auditor = token("auditor", &[Role::Auditor], None, None);
    let keeper = token("vk-plan", &[Role::VkAdmin], None, None);

    let transcript = |id: &str| format!("{{ transcript(employeeId: \"{id}\") {{ totalMinutes }} }}");
    let employee_q = |id: &str| format!("{{ employee(id: \"{id}\") {{ id }} }}");
    let budget_q =
        |id: &str| format!("{{ trainingBudget(year: 2035, institutionId: \"{id}\") {{ institutions {{ year }} }} }}");
    let query = |t: String, q: String| {
        let s = &s;
        async move {
            let (status, body) = s.gql_as(&t, &q, json!({})).await;
            assert_eq!(status, 200, "{body}");
            body
        }
    };
    let allowed = |body: &Value| assert!(body.get("errors").is_none(), "{body}");
    let hidden = |body: &Value| assert_eq!(code(body), "NOT_FOUND", "{body}");

    // Queries.
    allowed(&query(employee.clone(), transcript(&w.a_employee)).await);
    hidden(&query(employee.clone(), transcript(&w.b_employee)).await);
    allowed(&query(manager.clone(), employee_q(&w.a_employee)).await);
    hidden(&query(manager.clone(), employee_q(&w.b_employee)).await);
    allowed(&query(hr.clone(), employee_q(&w.a_employee)).await);
    hidden(&query(hr.clone(), employee_q(&w.b_employee)).await);
    allowed(&query(coordinator.clone(), budget_q(&w.a)).await);
    hidden(&query(coordinator.clone(), budget_q(&w.b)).await);
    let roster = |o: &str| format!("{{ offering(id: \"{o}\") {{ roster {{ totalCount }} }} }}");
    assert_eq!(
        query(vas.clone(), roster(&w.public_offering)).await["data"]["offering"]["roster"]["totalCount"],
        2
    );
    // VAS sees who holds a place in its catalogue, and no one else.
    allowed(&query(vas.clone(), employee_q(&w.b_employee)).await);
    hidden(&query(vas.clone(), employee_q(&w.a_manager)).await);
    assert_eq!(
        query(vas.clone(), roster(&w.a_offering)).await["data"]["offering"]["roster"]["totalCount"],
        0
    );
    allowed(&query(analyst.clone(), budget_q(&w.b)).await);
    hidden(&query(analyst.clone(), employee_q(&w.a_employee)).await);
    allowed(&query(auditor.clone(), employee_q(&w.b_employee)).await);
    allowed(&query(keeper.clone(), budget_q(&w.b)).await);
    hidden(&query(keeper.clone(), employee_q(&w.a_employee)).await);
    let metrics = reqwest::Client::new()
        .get(format!("http://{}/metrics", s.addr))
        .bearer_auth(&auditor)
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 403, "metrics are for operators");

    // Mutations: the refusal is FORBIDDEN, whatever the role.
    let request = |o: &str, e: &str| {
        (
            "mutation($i: PlaceInput!) { requestPlace(input: $i) { userErrors { code } place { status } } }",
            json!({ "i": { "offeringId": o, "employeeId": e } }),
        )
    };
    let run = |t: String, (m, v): (&'static str, Value)| {
        let s = &s;
        async move { s.gql_as(&t, m, v).await.1 }
    };
    let forbidden = |body: &Value| assert_eq!(code(body), "FORBIDDEN", "{body}");
    let ok = |body: &Value| {
        assert!(body.get("errors").is_none(), "{body}");
        let payload = body["data"].as_object().unwrap().values().next().unwrap();
        assert_eq!(payload["userErrors"], json!([]), "{body}");
    };
    ok(&run(employee.clone(), request(&w.a_offering, &w.a_employee)).await);
    forbidden(&run(employee.clone(), request(&w.a_offering, &w.b_employee)).await);
    let approve = |e: &str| {
        (
            "mutation($i: PlaceInput!) { approvePlace(input: $i) { userErrors { code } } }",
            json!({ "i": { "offeringId": w.public_offering, "employeeId": e } }),
        )
    };
    ok(&run(manager.clone(), approve(&w.a_employee)).await);
    forbidden(&run(manager.clone(), approve(&w.b_employee)).await);
    let hire = |i: &str| {
        (
            "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { userErrors { code } } }",
            json!({ "i": { "institutionId": i, "name": "Pēteris Sils", "jobGroups": ["NEW_EMPLOYEE"], "hiredOn": "2025-01-01" } }),
        )
    };
    ok(&run(hr.clone(), hire(&w.a)).await);
    forbidden(&run(hr.clone(), hire(&w.b)).await);
    let allocate = |i: &str| {
        (
            "mutation($i: AllocateTrainingBudgetInput!) { allocateTrainingBudget(input: $i) { userErrors { code } } }",
            json!({ "i": { "institutionId": i, "year": 2035, "amountCents": 100, "fundingSource": "STATE_BUDGET" } }),
        )
    };
    ok(&run(coordinator.clone(), allocate(&w.a)).await);
    forbidden(&run(coordinator.clone(), allocate(&w.b)).await);
    let schedule = |c: &str| {
        (
            "mutation($i: ScheduleOfferingInput!) { scheduleOffering(input: $i) { userErrors { code } } }",
            json!({ "i": { "courseId": c, "startsOn": "2035-05-01", "endsOn": "2035-05-01", "format": "ONLINE",
                           "capacity": 5, "costPerParticipantCents": 0, "organiser": "VAS" } }),
        )
    };
    ok(&run(vas.clone(), schedule(&w.public_course)).await);
    forbidden(&run(vas.clone(), schedule(&w.a_course)).await);
    forbidden(&run(analyst.clone(), allocate(&w.a)).await);
    forbidden(&run(auditor.clone(), request(&w.a_offering, &w.a_employee)).await);
    let retire = (
        "mutation($i: RetireIndicatorInput!) { retireIndicator(input: $i) { userErrors { code } } }",
        json!({ "i": { "indicatorId": "5.5.2", "reason": "Apvienots ar 5.5.1" } }),
    );
    ok(&run(keeper.clone(), retire.clone()).await);
    forbidden(&run(keeper.clone(), allocate(&w.a)).await);
    forbidden(&run(analyst.clone(), retire).await);

    // Subscriptions.
    let transcript_s =
        |e: &str| format!("subscription {{ employeeTranscriptUpdated(employeeId: \"{e}\") {{ position }} }}");
    let budget_s = |i: &str| format!("subscription {{ trainingBudgetUpdated(institutionId: \"{i}\") {{ position }} }}");
    let hidden_s = Err("NOT_FOUND".to_owned());
    assert_eq!(subscribe(&s, &employee, &transcript_s(&w.a_employee)).await, Ok(()));
    assert_eq!(subscribe(&s, &employee, &transcript_s(&w.b_employee)).await, hidden_s);
    assert_eq!(subscribe(&s, &manager, &transcript_s(&w.a_employee)).await, Ok(()));
    assert_eq!(subscribe(&s, &manager, &transcript_s(&w.b_employee)).await, hidden_s);
    assert_eq!(subscribe(&s, &hr, &budget_s(&w.a)).await, Ok(()));
    assert_eq!(subscribe(&s, &hr, &budget_s(&w.b)).await, hidden_s);
    assert_eq!(subscribe(&s, &coordinator, &budget_s(&w.a)).await, Ok(()));
    assert_eq!(subscribe(&s, &coordinator, &budget_s(&w.b)).await, hidden_s);
    assert_eq!(subscribe(&s, &vas, &transcript_s(&w.a_employee)).await, Ok(()));
    assert_eq!(subscribe(&s, &vas, &transcript_s(&w.a_manager)).await, hidden_s);
    assert_eq!(subscribe(&s, &analyst, &budget_s(&w.b)).await, Ok(()));
    assert_eq!(subscribe(&s, &analyst, &transcript_s(&w.a_employee)).await, hidden_s);
    assert_eq!(subscribe(&s, &auditor, &transcript_s(&w.b_employee)).await, Ok(()));
    assert_eq!(subscribe(&s, &keeper, &budget_s(&w.b)).await, Ok(()));
    assert_eq!(subscribe(&s, &keeper, &transcript_s(&w.a_employee)).await, hidden_s);
    s.shut_down().await;
}

/// HR of institution A reaches for B's people through ids, filters,
/// connections, nested fields and subscriptions, and gets what it would
/// get for ids that exist nowhere.
#[tokio::test]
async fn hr_of_one_institution_cannot_reach_another_by_any_path() {
    let s = start().await;
    let w = world(&s).await;
    let hr = token(
        "hr@kase.gov.lv",
        &[Role::InstitutionHr],
        Some(Uuid::parse_str(&w.a).unwrap()),
        None,
    );
    let nowhere = Uuid::now_v7().to_string();
    let ask = |q: String| {
        let (s, hr) = (&s, hr.clone());
        async move { s.gql_as(&hr, &q, json!({})).await.1 }
    };
    // By id: the same answer as an id that does not exist.
    for q in [
        |id: &str| format!("{{ employee(id: \"{id}\") {{ id }} }}"),
        |id: &str| format!("{{ transcript(employeeId: \"{id}\") {{ totalMinutes }} }}"),
        |id: &str| format!("{{ employeeLearningHours(employeeId: \"{id}\", year: 2035) {{ minutes }} }}"),
    ] {
        let theirs = ask(q(&w.b_employee)).await;
        let missing = ask(q(&nowhere)).await;
        assert_eq!(code(&theirs), "NOT_FOUND", "{theirs}");
        assert_eq!(theirs["errors"][0]["message"], missing["errors"][0]["message"]);
    }
    let node = ask(format!("{{ node(id: \"{}\") {{ id }} }}", w.b_employee)).await;
    assert!(node["data"]["node"].is_null(), "{node}");
    // Filters and connections.
    let listed = ask(format!(
        "{{ employees(institutionId: \"{}\") {{ totalCount edges {{ node {{ id }} }} }} }}",
        w.b
    ))
    .await;
    assert_eq!(listed["data"]["employees"]["totalCount"], 0, "{listed}");
    let report = ask("{ trainingBudget(year: 2035) { institutions { institution { id } } } }".to_owned()).await;
    assert_eq!(
        report["data"]["trainingBudget"]["institutions"],
        json!([{ "institution": { "id": w.a } }])
    );
    let budget = ask(format!(
        "{{ trainingBudget(year: 2035, institutionId: \"{}\") {{ year }} }}",
        w.b
    ))
    .await;
    assert_eq!(code(&budget), "NOT_FOUND");
    let activity = ask(format!(
        "{{ trainingActivity(institutionId: \"{}\", year: 2035) {{ requests }} }}",
        w.b
    ))
    .await;
    assert_eq!(code(&activity), "NOT_FOUND");
    // Nested: offering → roster → employee → transcript shows A's place only.
    let nested = ask(format!(
        "{{ offering(id: \"{}\") {{ roster {{ totalCount edges {{ node {{ employee {{ id places {{ totalCount }} }} }} }} }} }} }}",
        w.public_offering
    ))
    .await;
    let roster = &nested["data"]["offering"]["roster"];
    assert_eq!(roster["totalCount"], 1, "{nested}");
    assert_eq!(roster["edges"][0]["node"]["employee"]["id"], w.a_employee);
    // A's employee's places: the one they have.
    let places = ask(format!(
        "{{ employee(id: \"{}\") {{ places {{ totalCount }} }} }}",
        w.a_employee
    ))
    .await;
    assert_eq!(places["data"]["employee"]["places"]["totalCount"], 1);
    // Subscriptions.
    let transcript = format!(
        "subscription {{ employeeTranscriptUpdated(employeeId: \"{}\") {{ position }} }}",
        w.b_employee
    );
    assert_eq!(subscribe(&s, &hr, &transcript).await, Err("NOT_FOUND".to_owned()));
    // Mutations: B's employee and a missing one are refused alike, nothing
    // is written to them, and the attempt is on the security stream.
    let transfer = |e: &str| json!({ "i": { "employeeId": e, "toInstitutionId": w.a, "effectiveOn": "2035-01-01" } });
    const TRANSFER: &str =
        "mutation($i: TransferEmployeeInput!) { transferEmployee(input: $i) { userErrors { code } } }";
    let theirs = s.gql_as(&hr, TRANSFER, transfer(&w.b_employee)).await.1;
    let missing = s.gql_as(&hr, TRANSFER, transfer(&nowhere)).await.1;
    assert_eq!(code(&theirs), "FORBIDDEN", "{theirs}");
    assert_eq!(theirs["errors"][0]["message"], missing["errors"][0]["message"]);
    let written: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE stream_id = $1")
        .bind(format!("employee-{}", w.b_employee))
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    assert_eq!(written, 1, "only the hire");
    let denied: Vec<Value> = sqlx::query_scalar(
        "SELECT payload FROM events WHERE stream_id LIKE 'security-%' AND event_type = 'AccessDenied' ORDER BY position",
    )
    .fetch_all(&s.db.pool)
    .await
    .unwrap();
    assert_eq!(denied.len(), 2, "{denied:?}");
    assert_eq!(denied[0]["actor"], "hr@kase.gov.lv");
    assert_eq!(denied[0]["useCase"], "TransferEmployee");
    assert_eq!(denied[0]["targetId"], w.b_employee);
    s.shut_down().await;
}

#[tokio::test]
async fn aggregates_over_fewer_than_five_people_are_suppressed_for_those_who_may_not_read_them() {
    let s = start().await;
    let w = world(&s).await;
    let q = format!(
        "{{ trainingActivity(institutionId: \"{}\", year: 2035) {{ requests enrolments learners }} }}",
        w.a
    );
    let analyst = token("vk", &[Role::VkAnalyst], None, None);
    let (_, shown_to_analyst) = s.gql_as(&analyst, &q, json!({})).await;
    let activity = &shown_to_analyst["data"]["trainingActivity"];
    assert_eq!(activity["requests"], Value::Null, "{shown_to_analyst}");
    let hr = w.hr_of_a();
    let (_, shown_to_hr) = s.gql_as(&hr, &q, json!({})).await;
    assert_eq!(shown_to_hr["data"]["trainingActivity"]["requests"], 2, "{shown_to_hr}");
    s.shut_down().await;
}

/// `prasme token` mints what a development server (`prasme serve` with the
/// same secret, as `scripts/demo` starts it) takes, and says what is missing.
#[tokio::test]
async fn prasme_token_mints_a_token_the_served_binary_takes() {
    let db = common::fresh_db().await;
    let server = common::process::ServerProcess::spawn(&db.url);
    let secret = std::str::from_utf8(common::server::TEST_SECRET).unwrap();
    let mint = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_prasme"))
            .arg("token")
            .args(args)
            .env("PRASME_AUTH_SECRET", secret)
            .output()
            .unwrap()
    };
    let minted = mint(&["--role", "auditor", "--subject", "auditor@vk.gov.lv", "--ttl", "10m"]);
    assert!(minted.status.success(), "{}", String::from_utf8_lossy(&minted.stderr));
    let token = String::from_utf8(minted.stdout).unwrap().trim().to_owned();
    let body: Value = common::server::client_with(&token)
        .post(format!("http://{}/graphql", server.addr))
        .json(&json!({ "query": "{ resors { code } }" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(body.get("errors").is_none(), "{body}");
    let nobody = mint(&["--role", "auditor"]);
    assert!(!nobody.status.success());
    assert!(String::from_utf8_lossy(&nobody.stderr).contains("--subject"));
    let bad_ttl = mint(&["--role", "auditor", "--subject", "a", "--ttl", "forever"]);
    assert!(!bad_ttl.status.success());
    drop(server);
    db.drop_db().await;
}

/// A JWKS at a URL is fetched when the server starts.
#[tokio::test]
async fn a_jwks_url_is_fetched_at_start() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let jwks_addr = listener.local_addr().unwrap();
    let jwks = std::fs::read_to_string(TEST_JWKS).unwrap();
    let app = axum::Router::new().route("/jwks.json", axum::routing::get(move || async move { jwks }));
    tokio::spawn(async move { axum::serve(listener, app).await });
    let security = Security {
        identity: Identity::production("prasme", "prasme"),
        jwks: Some(KeySource::Url(format!("http://{jwks_addr}/jwks.json"))),
        limits: test_security().limits,
    };
    let s = start_with(security).await;
    let token = signed(Algorithm::ES256, "test-es256", &claims(&["SYSTEM"], 600));
    let (status, body) = s.gql_as(&token, "{ resors { code } }", json!({})).await;
    assert_eq!((status, body.get("errors")), (200, None), "{body}");
    s.shut_down().await;
}

/// Input the domain refuses on its face is refused as such for every role,
/// before the policy judges what it names: HR hears which field is missing,
/// not FORBIDDEN.
#[tokio::test]
async fn an_owner_the_input_cannot_name_is_a_user_error_not_forbidden() {
    let s = start().await;
    let w = world(&s).await;
    let hr = w.hr_of_a();
    let (_, body) = s
        .gql_as(
            &hr,
            "mutation($i: CatalogueCourseInput!) { catalogueCourse(input: $i) { userErrors { code field } } }",
            json!({ "i": { "description": { "title": "Iepirkumi", "owner": { "level": "INSTITUTION" }, "priority": "PROFESSIONALISATION",
                "measures": ["5.1"], "courseType": "E_LEARNING", "knowledgeTest": false, "durationMinutes": 60, "language": "lv" } } }),
        )
        .await;
    assert_eq!(
        body["data"]["catalogueCourse"]["userErrors"],
        json!([{ "code": "REQUIRED", "field": ["input", "description", "owner", "institutionId"] }]),
        "{body}"
    );
    s.shut_down().await;
}

/// HR cannot hand one of its people to a manager elsewhere, who would then
/// read them as a direct report.
#[tokio::test]
async fn hr_assigns_only_a_manager_of_its_own_institution() {
    let s = start().await;
    let w = world(&s).await;
    let hr = w.hr_of_a();
    const ASSIGN: &str = "mutation($i: AssignManagerInput!) { assignManager(input: $i) { userErrors { code } } }";
    let assign = |employee: &str, manager: &str| json!({ "i": { "employeeId": employee, "managerId": manager } });
    let (_, elsewhere) = s.gql_as(&hr, ASSIGN, assign(&w.a_employee, &w.b_employee)).await;
    assert_eq!(code(&elsewhere), "FORBIDDEN", "{elsewhere}");
    let (_, own) = s.gql_as(&hr, ASSIGN, assign(&w.a_manager, &w.a_employee)).await;
    assert_eq!(own["data"]["assignManager"]["userErrors"], json!([]), "{own}");
    s.shut_down().await;
}

/// The anonymous path of development mode parses the query to see whether
/// it reads only the schema; a query nested past every limit is refused
/// there as it is everywhere, and the server stays up.
#[tokio::test]
async fn a_deeply_nested_anonymous_query_is_refused_without_harm() {
    let s = start().await;
    let deep = format!("{{ __schema {}{} }}", "{ a ".repeat(20_000), "}".repeat(20_000));
    let response = reqwest::Client::new()
        .post(format!("http://{}/graphql", s.addr))
        .json(&json!({ "query": deep }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    let health = reqwest::get(format!("http://{}/healthz", s.addr)).await.unwrap();
    assert_eq!(health.status(), 200);
    s.shut_down().await;
}
