//! End to end: the real server on a free port, over HTTP and WebSocket.

mod common;

use std::time::Duration;

use common::server::{
    client_with, connection_init, next_json, next_text, start, system_token, token, SecondServer, Server,
};
use futures::{SinkExt, StreamExt};
use prasme_commands::Role;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const REGISTER: &str = "mutation($input: RegisterInstitutionInput!) {
  registerInstitution(input: $input) {
    institutionId position streamVersion duplicate
    userErrors { code field message }
    institution { id name kind resor }
  }
}";

const DECLARE: &str = "mutation($input: DeclareRemunerationBudgetInput!) {
  declareRemunerationBudget(input: $input) {
    position streamVersion duplicate
    userErrors { code field message expectedVersion actualVersion }
    budget { remunerationCents allocatedCents status }
  }
}";

const ALLOCATE: &str = "mutation($input: AllocateTrainingBudgetInput!) {
  allocateTrainingBudget(input: $input) {
    allocationId position streamVersion duplicate year
    userErrors { code field message expectedVersion actualVersion }
    budget { remunerationCents allocatedCents shareOfPayrollPercent status exemptionReason }
  }
}";

const CORRECT: &str = "mutation($input: CorrectTrainingAllocationInput!) {
  correctTrainingAllocation(input: $input) {
    position year
    userErrors { code field message }
    budget { allocatedCents shareOfPayrollPercent status
             byFundingSource { fundingSource amountCents }
             byPriority { priority amountCents } }
  }
}";

async fn register(s: &Server, name: &str, kind: &str, resor: Option<&str>) -> String {
    let p = s
        .mutate(
            REGISTER,
            json!({ "input": { "name": name, "kind": kind, "resor": resor } }),
        )
        .await;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    p["institutionId"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn health_and_readiness() {
    let s = start().await;
    let get = |path: &'static str| {
        let (http, addr) = (s.http.clone(), s.addr);
        async move { http.get(format!("http://{addr}{path}")).send().await.unwrap() }
    };
    assert_eq!(get("/healthz").await.status(), 200);
    let ready = get("/readyz").await;
    assert_eq!(ready.status(), 200);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["ready"], true, "{body}");
    let names: Vec<_> = body["projections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].clone())
        .collect();
    assert_eq!(
        names,
        [
            json!("training_budget"),
            json!("employees"),
            json!("courses"),
            json!("offerings"),
            json!("competencies"),
            json!("development_plans"),
            json!("feedback_cycles"),
            json!("plan"),
            json!("kpi"),
            json!("scorecard")
        ]
    );
    let graphiql = get("/").await.text().await.unwrap();
    assert!(graphiql.contains("graphiql"), "GraphiQL is served at /");
    s.shut_down().await;
}

#[tokio::test]
async fn a_training_budget_from_registration_to_compliance() {
    let s = start().await;
    let registered = s
        .mutate(
            REGISTER,
            json!({ "input": { "name": "Valsts ieņēmumu dienests", "kind": "STATE", "resor": "FM" } }),
        )
        .await;
    assert_eq!(registered["institution"]["name"], "Valsts ieņēmumu dienests");
    assert_eq!(registered["streamVersion"], 1);
    let id = registered["institutionId"].as_str().unwrap().to_owned();

    let declared = s
        .mutate(
            DECLARE,
            json!({ "input": { "institutionId": id, "year": 2026, "amountCents": 10_000_000_000i64 } }),
        )
        .await;
    assert_eq!(
        declared["budget"],
        json!({ "remunerationCents": 10_000_000_000i64, "allocatedCents": 0, "status": "BELOW_FLOOR" })
    );

    let first = s
        .mutate(
            ALLOCATE,
            json!({ "input": { "institutionId": id, "year": 2026, "amountCents": 300_000_000i64,
                               "fundingSource": "ESF", "priority": "DIGITAL_TRANSFORMATION" } }),
        )
        .await;
    assert_eq!(first["budget"]["status"], "BELOW_TARGET");
    assert_eq!(first["budget"]["shareOfPayrollPercent"], "3.0000");
    let allocation = first["allocationId"].as_str().unwrap().to_owned();

    let second = s
        .mutate(
            ALLOCATE,
            json!({ "input": { "institutionId": id, "year": 2026, "amountCents": "2500000.00".replace('.', ""),
                               "fundingSource": "STATE_BUDGET" } }),
        )
        .await;
    assert_eq!(second["budget"]["status"], "MEETS_TARGET", "{second}");
    assert_eq!(second["budget"]["shareOfPayrollPercent"], "5.5000");

    let corrected = s
        .mutate(
            CORRECT,
            json!({ "input": { "institutionId": id, "allocationId": allocation, "amountCents": 249_999_999i64,
                               "fundingSource": "ESF", "priority": "DIGITAL_TRANSFORMATION",
                               "reason": "Līgums noslēgts par mazāku summu" } }),
        )
        .await;
    assert_eq!(corrected["year"], 2026);
    assert_eq!(
        corrected["budget"]["status"], "BELOW_TARGET",
        "one cent under 5 %: {corrected}"
    );
    assert_eq!(
        corrected["budget"]["shareOfPayrollPercent"], "5.0000",
        "rounded share, exact status"
    );
    assert_eq!(
        corrected["budget"]["byFundingSource"],
        json!([{ "fundingSource": "ESF", "amountCents": 249_999_999i64 },
               { "fundingSource": "STATE_BUDGET", "amountCents": 250_000_000i64 }])
    );
    assert_eq!(
        corrected["budget"]["byPriority"],
        json!([{ "priority": "DIGITAL_TRANSFORMATION", "amountCents": 249_999_999i64 },
               { "priority": null, "amountCents": 250_000_000i64 }])
    );

    // The whole administration, by resor, with an exempt municipality beside it.
    let riga = register(&s, "Rīgas valstspilsētas pašvaldība", "MUNICIPAL", None).await;
    let p = s
        .mutate(
            DECLARE,
            json!({ "input": { "institutionId": riga, "year": 2026, "amountCents": 5_000_000 } }),
        )
        .await;
    let report = s
        .gql(
            "query($p: Position) { trainingBudget(year: 2026, atLeastPosition: $p) {
                institutions { institution { name } status exemptionReason shareOfPayrollPercent }
                byResor { resor summary { institutionCount status shareOfPayrollPercent } }
                municipalities { institutionCount allocatedAllCents reportedRemunerationCents reportedShareOfPayrollPercent }
                total { institutionCount remunerationCents allocatedCents
                        statusCounts { status institutions } } } }",
            json!({ "p": p["position"] }),
        )
        .await;
    let r = &report["data"]["trainingBudget"];
    assert_eq!(
        r["institutions"][0]["institution"]["name"],
        "Rīgas valstspilsētas pašvaldība"
    );
    assert_eq!(r["institutions"][0]["status"], "EXEMPT");
    assert_eq!(r["institutions"][0]["exemptionReason"], "MUNICIPALITY");
    assert_eq!(r["institutions"][0]["shareOfPayrollPercent"], "0.0000");
    assert_eq!(
        r["byResor"],
        json!([{ "resor": "FM", "summary": { "institutionCount": 1, "status": "BELOW_TARGET", "shareOfPayrollPercent": "5.0000" } }])
    );
    assert_eq!(r["municipalities"]["institutionCount"], 1);
    assert_eq!(r["municipalities"]["reportedRemunerationCents"], 5_000_000);
    assert_eq!(r["municipalities"]["reportedShareOfPayrollPercent"], "0.0000");
    assert_eq!(
        r["total"]["remunerationCents"], 10_000_000_000i64,
        "exempt payroll is not in the rule's total"
    );
    assert_eq!(
        r["total"]["statusCounts"],
        json!([{ "status": "BELOW_TARGET", "institutions": 1 }, { "status": "EXEMPT", "institutions": 1 }])
    );
    s.shut_down().await;
}

#[tokio::test]
async fn bad_input_gets_a_typed_error_naming_the_field() {
    let s = start().await;
    let id = register(&s, "Valsts kase", "STATE", Some("FM")).await;
    let unknown = uuid::Uuid::now_v7().to_string();
    let allocate = |institution: &str, year: i64, amount: i64| json!({ "input": { "institutionId": institution, "year": year, "amountCents": amount, "fundingSource": "OTHER" } });
    let cases: Vec<(&str, Value, &str, Value)> = vec![
        (
            ALLOCATE,
            allocate(&id, 2026, 0),
            "OUT_OF_RANGE",
            json!(["input", "amountCents"]),
        ),
        (
            ALLOCATE,
            allocate(&id, 2026, -500),
            "OUT_OF_RANGE",
            json!(["input", "amountCents"]),
        ),
        (
            ALLOCATE,
            allocate(&id, 2020, 500),
            "OUT_OF_RANGE",
            json!(["input", "year"]),
        ),
        (
            ALLOCATE,
            allocate(&id, 2036, 500),
            "OUT_OF_RANGE",
            json!(["input", "year"]),
        ),
        (
            ALLOCATE,
            allocate(&unknown, 2026, 500),
            "NOT_FOUND",
            json!(["input", "institutionId"]),
        ),
        (
            DECLARE,
            json!({ "input": { "institutionId": unknown, "year": 2026, "amountCents": 1 } }),
            "NOT_FOUND",
            json!(["input", "institutionId"]),
        ),
        (
            REGISTER,
            json!({ "input": { "name": "  ", "kind": "STATE", "resor": "FM" } }),
            "REQUIRED",
            json!(["input", "name"]),
        ),
        (
            REGISTER,
            json!({ "input": { "name": "x".repeat(201), "kind": "STATE", "resor": "FM" } }),
            "TOO_LONG",
            json!(["input", "name"]),
        ),
        (
            REGISTER,
            json!({ "input": { "name": "Bez resora", "kind": "STATE" } }),
            "REQUIRED",
            json!(["input", "resor"]),
        ),
        (
            CORRECT,
            json!({ "input": { "institutionId": id, "allocationId": unknown, "amountCents": 1,
                               "fundingSource": "OTHER", "reason": "typo" } }),
            "NOT_FOUND",
            json!(["input", "allocationId"]),
        ),
    ];
    for (mutation, variables, code, field) in cases {
        let p = s.mutate(mutation, variables.clone()).await;
        let errors = p["userErrors"].as_array().unwrap();
        assert_eq!(errors.len(), 1, "{variables}: {p}");
        assert_eq!(errors[0]["code"], code, "{variables}");
        assert_eq!(errors[0]["field"], field, "{variables}");
        assert!(p["position"].is_null(), "nothing was written for {variables}");
    }
    // Malformed values never reach a resolver: GraphQL itself names the argument.
    let body = s
        .gql(ALLOCATE, json!({ "input": { "institutionId": "not-a-uuid", "year": 2026, "amountCents": 1.5, "fundingSource": "OTHER" } }))
        .await;
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("UUID") && message.contains("AllocateTrainingBudgetInput"),
        "{message}"
    );
    assert!(body["data"].is_null());
    s.shut_down().await;
}

#[tokio::test]
async fn a_repeated_command_id_answers_as_the_first_time() {
    let s = start().await;
    let command_id = uuid::Uuid::now_v7();
    let input = json!({ "input": { "commandId": command_id, "name": "Iepirkumu uzraudzības birojs", "kind": "STATE", "resor": "FM" } });
    let first = s.mutate(REGISTER, input.clone()).await;
    let again = s.mutate(REGISTER, input).await;
    assert_eq!(first["duplicate"], false);
    assert_eq!(again["duplicate"], true);
    assert_eq!(again["userErrors"], json!([]), "not 'already registered'");
    for key in ["institutionId", "position", "streamVersion"] {
        assert_eq!(first[key], again[key], "{key}");
    }
    let id = first["institutionId"].as_str().unwrap();
    let alloc = json!({ "input": { "commandId": uuid::Uuid::now_v7(), "institutionId": id, "year": 2025,
                                   "amountCents": 10_000, "fundingSource": "RRF" } });
    let a1 = s.mutate(ALLOCATE, alloc.clone()).await;
    let a2 = s.mutate(ALLOCATE, alloc).await;
    assert_eq!(
        (a1["allocationId"].clone(), a1["position"].clone()),
        (a2["allocationId"].clone(), a2["position"].clone())
    );
    assert_eq!(a2["budget"]["allocatedCents"], 10_000, "the money was allocated once");
    s.shut_down().await;
}

#[tokio::test]
async fn a_command_id_reused_with_another_input_is_refused_with_idempotency_key_reused() {
    let s = start().await;
    let id = register(&s, "Valsts ieņēmumu dienests", "STATE", Some("FM")).await;
    let command_id = uuid::Uuid::now_v7();
    let alloc = |amount: i64| {
        json!({ "input": { "commandId": command_id, "institutionId": id, "year": 2026,
                           "amountCents": amount, "fundingSource": "RRF" } })
    };
    let first = s.mutate(ALLOCATE, alloc(10_000)).await;
    assert_eq!(first["userErrors"], json!([]));
    let other = s.mutate(ALLOCATE, alloc(20_000)).await;
    assert_eq!(other["userErrors"][0]["code"], "IDEMPOTENCY_KEY_REUSED", "{other}");
    assert_eq!(other["userErrors"][0]["field"], json!(["input", "commandId"]));
    assert!(other["position"].is_null(), "nothing was written: {other}");
    let again = s.mutate(ALLOCATE, alloc(10_000)).await;
    assert_eq!(
        (again["duplicate"].clone(), again["position"].clone()),
        (json!(true), first["position"].clone())
    );
    assert_eq!(again["budget"]["allocatedCents"], 10_000, "the first amount, once");
    s.shut_down().await;
}

#[tokio::test]
async fn a_stale_expected_version_is_a_typed_conflict() {
    let s = start().await;
    let id = register(&s, "Valsts darba inspekcija", "STATE", Some("LM")).await;
    let ok = s
        .mutate(
            DECLARE,
            json!({ "input": { "institutionId": id, "year": 2026, "amountCents": 1000, "expectedVersion": 1 } }),
        )
        .await;
    assert_eq!(ok["streamVersion"], 2);
    let stale = s
        .mutate(
            DECLARE,
            json!({ "input": { "institutionId": id, "year": 2026, "amountCents": 2000, "expectedVersion": 1 } }),
        )
        .await;
    assert_eq!(
        stale["userErrors"],
        json!([{ "code": "WRONG_EXPECTED_VERSION", "field": ["input", "expectedVersion"],
                 "message": "expected version 1, but the stream is at version 2",
                 "expectedVersion": 1, "actualVersion": 2 }])
    );
    s.shut_down().await;
}

#[tokio::test]
async fn concurrent_allocations_all_count() {
    let s = start().await;
    let id = register(&s, "Valsts policija", "STATE", Some("IEM")).await;
    let tasks: Vec<_> = (0..24)
        .map(|i| {
            let (http, addr, id) = (s.http.clone(), s.addr, id.clone());
            tokio::spawn(async move {
                let body = json!({ "query": ALLOCATE, "variables": { "input": {
                    "institutionId": id, "year": 2027, "amountCents": 100 + i, "fundingSource": "STATE_BUDGET" } } });
                let r: Value = http
                    .post(format!("http://{addr}/graphql"))
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                r["data"]["allocateTrainingBudget"]["position"]
                    .as_i64()
                    .expect("accepted")
            })
        })
        .collect();
    let mut last = 0;
    for t in tasks {
        last = last.max(t.await.unwrap());
    }
    let q = s
        .gql(
            "query($id: UUID!, $p: Position) { institution(id: $id, atLeastPosition: $p) { trainingBudget(year: 2027) { allocatedCents } } }",
            json!({ "id": id, "p": last }),
        )
        .await;
    let expected: i64 = (0..24).map(|i| 100 + i).sum();
    assert_eq!(q["data"]["institution"]["trainingBudget"]["allocatedCents"], expected);
    s.shut_down().await;
}

#[tokio::test]
async fn institutions_page_as_a_relay_connection() {
    let s = start().await;
    for name in [
        "Cēsu novada pašvaldība",
        "Aizsardzības ministrija",
        "Kultūras ministrija",
        "Zemkopības ministrija",
    ] {
        let (kind, resor) = match name {
            "Cēsu novada pašvaldība" => ("MUNICIPAL", None),
            "Aizsardzības ministrija" => ("STATE", Some("AM")),
            "Kultūras ministrija" => ("STATE", Some("KM")),
            _ => ("STATE", Some("ZM")),
        };
        register(&s, name, kind, resor).await;
    }
    let page = |after: Value| {
        s.gql(
            "query($after: String) { institutions(first: 3, after: $after, atLeastPosition: 4) {
                edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }",
            json!({ "after": after }),
        )
    };
    let first = page(Value::Null).await;
    let c = &first["data"]["institutions"];
    let names: Vec<_> = c["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].clone())
        .collect();
    assert_eq!(
        names,
        vec![
            "Aizsardzības ministrija",
            "Cēsu novada pašvaldība",
            "Kultūras ministrija"
        ]
    );
    assert_eq!(c["pageInfo"]["hasNextPage"], true);
    let second = page(c["pageInfo"]["endCursor"].clone()).await;
    let c2 = &second["data"]["institutions"];
    assert_eq!(c2["edges"][0]["node"]["name"], "Zemkopības ministrija");
    assert_eq!(c2["pageInfo"]["hasNextPage"], false);
    let state_only = s
        .gql(
            "{ institutions(kind: MUNICIPAL) { edges { node { name } } } }",
            json!({}),
        )
        .await;
    assert_eq!(state_only["data"]["institutions"]["edges"].as_array().unwrap().len(), 1);
    s.shut_down().await;
}

#[tokio::test]
async fn reading_ahead_of_the_read_models_is_a_bounded_typed_error() {
    let s = start().await;
    let body = s
        .gql(
            "{ institution(id: \"00000000-0000-0000-0000-000000000000\", atLeastPosition: 999999) { name } }",
            json!({}),
        )
        .await;
    // The server waits its bounded 5 s, then says how far the read models got.
    assert_eq!(body["errors"][0]["extensions"]["code"], "READ_MODEL_BEHIND", "{body}");
    assert_eq!(body["errors"][0]["extensions"]["wanted"], 999999);
    s.shut_down().await;
}

#[tokio::test]
async fn budget_subscription_fires_after_the_projection_commits() {
    let s = start().await;
    let id = register(&s, "Valsts kanceleja", "STATE", Some("VK")).await;
    let mut request = format!("ws://{}/graphql", s.addr).into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = |v: Value| Message::Text(v.to_string().into());
    ws.send(send(connection_init(&system_token()))).await.unwrap();
    let ack = next_json(&mut ws).await;
    assert_eq!(ack["type"], "connection_ack");
    ws.send(send(json!({ "id": "1", "type": "subscribe", "payload": { "query":
        format!("subscription {{ trainingBudgetUpdated(institutionId: \"{id}\") {{ budget {{ institution {{ name }} byFundingSource {{ fundingSource }} year remunerationCents allocatedCents status }} position }} }}") } })))
        .await
        .unwrap();
    // Give the server a moment to register the subscription before writing.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let declared = s
        .mutate(
            DECLARE,
            json!({ "input": { "institutionId": id, "year": 2027, "amountCents": 1_000_000 } }),
        )
        .await;
    let allocated = s
        .mutate(
            ALLOCATE,
            json!({ "input": { "institutionId": id, "year": 2027, "amountCents": 60_000, "fundingSource": "ESF" } }),
        )
        .await;
    let first = next_json(&mut ws).await;
    assert_eq!(first["type"], "next", "{first}");
    assert_eq!(
        first["payload"]["data"]["trainingBudgetUpdated"]["position"],
        declared["position"]
    );
    let text = next_text(&mut ws).await;
    // Fields come in selection order in events too, not as they completed.
    let at = |key: &str| {
        text.find(&format!("\"{key}\":"))
            .unwrap_or_else(|| panic!("{key} in {text}"))
    };
    let order = [
        at("budget"),
        at("institution"),
        at("byFundingSource"),
        at("year"),
        at("remunerationCents"),
        at("status"),
        at("position"),
    ];
    assert!(order.windows(2).all(|p| p[0] < p[1]), "{text}");
    let second: Value = serde_json::from_str(&text).unwrap();
    let update = &second["payload"]["data"]["trainingBudgetUpdated"];
    assert_eq!(update["position"], allocated["position"]);
    assert_eq!(
        update["budget"],
        json!({ "year": 2027, "remunerationCents": 1_000_000, "allocatedCents": 60_000, "status": "MEETS_TARGET",
                "institution": { "name": "Valsts kanceleja" }, "byFundingSource": [{ "fundingSource": "ESF" }] })
    );
    ws.close(None).await.unwrap();
    s.shut_down().await;
}

#[test]
fn committed_schema_matches_the_code() {
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    assert!(
        committed == prasme_api_graphql::sdl(),
        "schema.graphql is out of date: run `cargo run -- schema > schema.graphql` and commit it"
    );
    for scalar in ["Date", "DateTime", "UUID"] {
        assert!(
            committed.contains(&format!("scalar {scalar} @specifiedBy(url: ")),
            "{scalar} keeps its @specifiedBy in the SDL"
        );
    }
}

#[tokio::test]
async fn allocation_ids_belong_to_their_institution() {
    let s = start().await;
    let a = register(&s, "Valsts zemes dienests", "STATE", Some("TM")).await;
    let b = register(&s, "Uzņēmumu reģistrs", "STATE", Some("TM")).await;
    let allocation = uuid::Uuid::now_v7();
    for (id, amount) in [(&a, 700), (&b, 900)] {
        let p = s
            .mutate(
                ALLOCATE,
                json!({ "input": { "institutionId": id, "allocationId": allocation, "year": 2026,
                                   "amountCents": amount, "fundingSource": "OTHER" } }),
            )
            .await;
        // The same id in another institution is another allocation, and the
        // projection keeps up with both.
        assert_eq!(p["budget"]["allocatedCents"], amount, "{p}");
    }
    let p = s
        .mutate(
            CORRECT,
            json!({ "input": { "institutionId": b, "allocationId": allocation, "amountCents": 100,
                               "fundingSource": "OTHER", "reason": "partly returned" } }),
        )
        .await;
    assert_eq!(p["budget"]["allocatedCents"], 100);
    let q = s
        .gql(
            "query($id: UUID!, $p: Position) { institution(id: $id, atLeastPosition: $p) { trainingBudget(year: 2026) { allocatedCents } } }",
            json!({ "id": a, "p": p["position"] }),
        )
        .await;
    assert_eq!(
        q["data"]["institution"]["trainingBudget"]["allocatedCents"], 700,
        "the other is untouched"
    );
    s.shut_down().await;
}

#[tokio::test]
async fn concurrent_retries_of_one_command_all_get_its_first_result() {
    let s = start().await;
    let input = json!({ "input": { "commandId": uuid::Uuid::now_v7(), "institutionId": uuid::Uuid::now_v7(),
                                   "name": "Valsts meža dienests", "kind": "STATE", "resor": "ZM" } });
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (http, addr, input) = (s.http.clone(), s.addr, input.clone());
            tokio::spawn(async move {
                let r: Value = http
                    .post(format!("http://{addr}/graphql"))
                    .json(&json!({ "query": REGISTER, "variables": input }))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                r["data"]["registerInstitution"].clone()
            })
        })
        .collect();
    let mut originals = 0;
    let mut positions = std::collections::BTreeSet::new();
    for t in tasks {
        let p = t.await.unwrap();
        assert_eq!(p["userErrors"], json!([]), "a retry is never refused: {p}");
        positions.insert(p["position"].to_string());
        originals += usize::from(p["duplicate"] == false);
    }
    assert_eq!(originals, 1);
    assert_eq!(
        positions.len(),
        1,
        "every retry answers the one position: {positions:?}"
    );
    s.shut_down().await;
}

#[tokio::test]
async fn the_actor_of_every_event_is_the_token_subject_whatever_a_header_claims() {
    let s = start().await;
    let response: Value = client_with(&token("Jānis Bērziņš", &[Role::System], None, None))
        .post(format!("http://{}/graphql", s.addr))
        .header("x-prasme-actor", "someone else")
        .json(&json!({ "query": REGISTER, "variables": { "input": { "name": "Valsts valodas centrs", "kind": "STATE", "resor": "IZM" } } }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(response["data"]["registerInstitution"]["userErrors"], json!([]));
    let actor: String = sqlx::query_scalar("SELECT actor FROM events WHERE event_type = 'InstitutionRegistered'")
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    assert_eq!(actor, "Jānis Bērziņš");
    s.shut_down().await;
}

#[tokio::test]
async fn a_cursor_from_nowhere_is_a_typed_error() {
    let s = start().await;
    for cursor in ["garbage", "00000000-0000-0000-0000-000000000001"] {
        let body = s
            .gql(
                "query($a: String) { institutions(after: $a) { edges { cursor } } }",
                json!({ "a": cursor }),
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT", "{body}");
    }
    let body = s
        .gql("{ institutions(first: 0) { edges { cursor } } }", json!({}))
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");
    s.shut_down().await;
}

#[tokio::test]
async fn subscribers_hear_of_changes_that_another_server_projected() {
    let s = start().await;
    // A second server process on the same database, racing for the projection.
    let other = SecondServer::start(&s).await;
    let other_addr = other.addr;
    let id = register(&s, "Patērētāju tiesību aizsardzības centrs", "STATE", Some("EM")).await;
    let mut request = format!("ws://{}/graphql", s.addr).into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    ws.send(Message::Text(connection_init(&system_token()).to_string().into()))
        .await
        .unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "connection_ack");
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query":
        format!("subscription {{ trainingBudgetUpdated(institutionId: \"{id}\") {{ position }} }}") } });
    ws.send(Message::Text(subscribe.to_string().into())).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    const N: usize = 20;
    let mut positions = Vec::new();
    for i in 0..N {
        // Alternate between the two servers, so either runner may apply any event.
        let addr = if i % 2 == 0 { s.addr } else { other_addr };
        let r: Value = s
            .http
            .post(format!("http://{addr}/graphql"))
            .json(&json!({ "query": ALLOCATE, "variables": { "input": {
                "institutionId": id, "year": 2026, "amountCents": 10 + i, "fundingSource": "OTHER" } } }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        positions.push(r["data"]["allocateTrainingBudget"]["position"].as_i64().unwrap());
    }
    let mut heard = Vec::new();
    while heard.len() < N {
        let msg = next_json(&mut ws).await;
        heard.push(
            msg["payload"]["data"]["trainingBudgetUpdated"]["position"]
                .as_i64()
                .unwrap(),
        );
    }
    heard.sort();
    assert_eq!(heard, positions, "every change, whichever server projected it");
    ws.close(None).await.unwrap();
    other.shut_down().await;
    s.shut_down().await;
}

/// The query graphql-js sends (GraphiQL, graphql-codegen, Relay, Apollo),
/// as `getIntrospectionQuery` of graphql 16 writes it with every option on.
const INTROSPECTION: &str = include_str!("fixtures/introspection.graphql");

/// `[Type!]!` from an introspection type reference.
fn type_ref(t: &Value) -> String {
    match t["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", type_ref(&t["ofType"])),
        Some("LIST") => format!("[{}]", type_ref(&t["ofType"])),
        _ => t["name"].as_str().unwrap().to_owned(),
    }
}

/// Each type's members as `name(args): Type`, sorted, from introspection.
fn introspected(schema: &Value) -> std::collections::BTreeMap<String, Vec<String>> {
    let inputs = |values: &Value| -> Vec<String> {
        values
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| format!("{}: {}", v["name"].as_str().unwrap(), type_ref(&v["type"])))
                    .collect()
            })
            .unwrap_or_default()
    };
    schema["types"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| !t["name"].as_str().unwrap().starts_with("__"))
        .map(|t| {
            let mut members: Vec<String> = Vec::new();
            for f in t["fields"].as_array().into_iter().flatten() {
                let args = inputs(&f["args"]).join(", ");
                members.push(format!(
                    "{}({args}): {}",
                    f["name"].as_str().unwrap(),
                    type_ref(&f["type"])
                ));
            }
            members.extend(inputs(&t["inputFields"]));
            for v in t["enumValues"].as_array().into_iter().flatten() {
                members.push(v["name"].as_str().unwrap().to_owned());
            }
            members.sort();
            (t["name"].as_str().unwrap().to_owned(), members)
        })
        .collect()
}

/// The same, from the committed SDL.
fn committed_types() -> std::collections::BTreeMap<String, Vec<String>> {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    let sdl = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql")).unwrap();
    let document = async_graphql::parser::parse_schema(&sdl).unwrap();
    let mut types = std::collections::BTreeMap::new();
    for definition in document.definitions {
        let TypeSystemDefinition::Type(t) = definition else {
            continue;
        };
        let t = t.node;
        let input = |v: &async_graphql::parser::types::InputValueDefinition| format!("{}: {}", v.name.node, v.ty.node);
        let mut members: Vec<String> = match &t.kind {
            TypeKind::Object(o) => o
                .fields
                .iter()
                .map(|f| &f.node)
                .map(|f| {
                    let args: Vec<_> = f.arguments.iter().map(|a| input(&a.node)).collect();
                    format!("{}({}): {}", f.name.node, args.join(", "), f.ty.node)
                })
                .collect(),
            TypeKind::Interface(o) => o
                .fields
                .iter()
                .map(|f| &f.node)
                .map(|f| {
                    let args: Vec<_> = f.arguments.iter().map(|a| input(&a.node)).collect();
                    format!("{}({}): {}", f.name.node, args.join(", "), f.ty.node)
                })
                .collect(),
            TypeKind::InputObject(o) => o.fields.iter().map(|f| input(&f.node)).collect(),
            TypeKind::Enum(e) => e.values.iter().map(|v| v.node.value.node.to_string()).collect(),
            TypeKind::Scalar | TypeKind::Union(_) => Vec::new(),
        };
        members.sort();
        types.insert(t.name.node.to_string(), members);
    }
    // Built-in scalars are implied in SDL and listed by introspection.
    for builtin in ["Boolean", "Float", "ID", "Int", "String"] {
        types.entry(builtin.to_owned()).or_default();
    }
    types
}

#[tokio::test]
async fn the_standard_introspection_query_is_answered_and_matches_the_committed_schema() {
    let s = start().await;
    let body = s.gql(INTROSPECTION, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let schema = &body["data"]["__schema"];
    assert_eq!(schema["queryType"]["name"], "QueryRoot");
    assert_eq!(introspected(schema), committed_types());
    let date = schema["types"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "Date")
        .unwrap();
    assert!(date["specifiedByURL"].as_str().unwrap().contains("rfc3339"), "{date}");
    // Lifting the depth limit for introspection lifts it for nothing else.
    let deep = format!(
        "{{ institutions(first: 1) {{ edges {{ node {} {{ id }} {} }} }} }}",
        "{ trainingBudgets { institution ".repeat(5),
        "} }".repeat(5)
    );
    let refused = s.gql(&deep, json!({})).await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "QUERY_TOO_DEEP",
        "{refused}"
    );
    s.shut_down().await;
}

#[tokio::test]
async fn readiness_waits_until_every_projection_has_caught_up() {
    let s = start().await;
    // Hold the budget projection's checkpoint, as a long replay would.
    let mut holder = s.db.pool.begin().await.unwrap();
    sqlx::query("INSERT INTO projection_checkpoints (name) VALUES ('training_budget') ON CONFLICT DO NOTHING")
        .execute(&mut *holder)
        .await
        .unwrap();
    sqlx::query("SELECT position FROM projection_checkpoints WHERE name = 'training_budget' FOR UPDATE")
        .execute(&mut *holder)
        .await
        .unwrap();
    let behind = prasme_api_graphql::READY_LAG as usize + 20;
    let register =
        "mutation($input: RegisterInstitutionInput!) { registerInstitution(input: $input) { institutionId } }";
    futures::stream::iter(0..behind)
        .for_each_concurrent(16, |i| {
            let s = &s;
            async move {
                s.mutate(
                    register,
                    json!({ "input": { "name": format!("Iestāde {i}"), "kind": "MUNICIPAL" } }),
                )
                .await;
            }
        })
        .await;
    let readyz = || {
        let (http, addr) = (s.http.clone(), s.addr);
        async move {
            let r = http.get(format!("http://{addr}/readyz")).send().await.unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let (status, body) = readyz().await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["ready"], false);
    let budget = body["projections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "training_budget")
        .unwrap();
    assert!(budget["lag"].as_i64().unwrap() >= behind as i64, "{body}");
    holder.rollback().await.unwrap();
    let mut last = (0, Value::Null);
    for _ in 0..200 {
        last = readyz().await;
        if last.0 == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(last.0, 200, "ready once caught up: {}", last.1);
    assert_eq!(last.1["ready"], true);
    s.shut_down().await;
}

#[tokio::test]
async fn open_websockets_are_closed_with_going_away_when_the_server_stops() {
    let s = start().await;
    let second = SecondServer::start(&s).await;
    let mut request = format!("ws://{}/graphql", second.addr).into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    ws.send(Message::Text(connection_init(&system_token()).to_string().into()))
        .await
        .unwrap();
    assert_eq!(next_json(&mut ws).await["type"], "connection_ack");
    let subscribe = json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { trainingBudgetUpdated { position } }" } });
    ws.send(Message::Text(subscribe.to_string().into())).await.unwrap();
    let closed = tokio::spawn(async move {
        while let Some(message) = ws.next().await {
            if let Ok(Message::Close(frame)) = message {
                return frame.map(|f| u16::from(f.code));
            }
        }
        None
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    tokio::time::timeout(Duration::from_secs(15), second.shut_down())
        .await
        .expect("stops");
    let code = tokio::time::timeout(Duration::from_secs(5), closed)
        .await
        .expect("closed")
        .unwrap();
    assert_eq!(code, Some(1001));
    s.shut_down().await;
}

/// A TCP proxy to the test's PostgreSQL that can be cut, as a network
/// partition or a stopped database would cut it.
async fn cuttable_proxy(db_url: &str) -> (String, tokio::sync::watch::Sender<bool>) {
    use std::str::FromStr;
    let options = sqlx::postgres::PgConnectOptions::from_str(db_url).unwrap();
    // The private cluster is reached on a Unix socket, a running server on TCP.
    let port = options.get_port();
    let host = match options.get_socket() {
        Some(dir) => dir.display().to_string(),
        None => options.get_host().to_owned(),
    };
    let database = options.get_database().unwrap().to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (cut, is_cut) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        let mut stop_accepting = is_cut.clone();
        loop {
            let (mut inbound, _) = tokio::select! {
                accepted = listener.accept() => accepted.unwrap(),
                _ = stop_accepting.wait_for(|c| *c) => return, // drops the listener: refused
            };
            let (host, mut is_cut) = (host.clone(), is_cut.clone());
            tokio::spawn(async move {
                if host.starts_with('/') {
                    let path = format!("{host}/.s.PGSQL.{port}");
                    let mut upstream = tokio::net::UnixStream::connect(path).await.unwrap();
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut upstream) => {}
                        _ = is_cut.wait_for(|c| *c) => {}
                    }
                } else {
                    let mut upstream = tokio::net::TcpStream::connect((host.as_str(), port)).await.unwrap();
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut upstream) => {}
                        _ = is_cut.wait_for(|c| *c) => {}
                    }
                }
            });
        }
    });
    (format!("postgres://postgres@{addr}/{database}"), cut)
}

#[tokio::test]
async fn an_unreachable_database_is_reported_as_database_unavailable() {
    let db = common::fresh_db().await;
    let (url, cut) = cuttable_proxy(&db.url).await;
    let pool = prasme_eventstore::connect(&url, 8).await.unwrap();
    let app = prasme::server::Application::build(
        pool,
        "127.0.0.1:0".parse().unwrap(),
        Duration::from_secs(2),
        common::server::test_security(),
    )
    .await
    .unwrap();
    let addr = app.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let http = common::server::client_with(&common::server::system_token());
    let post = |query: &'static str, variables: Value| {
        let http = http.clone();
        async move {
            let r = http
                .post(format!("http://{addr}/graphql"))
                .json(&json!({ "query": query, "variables": variables }))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.json::<Value>().await.unwrap())
        }
    };
    let register =
        "mutation($input: RegisterInstitutionInput!) { registerInstitution(input: $input) { institutionId } }";
    let input = |name: &str| json!({ "input": { "name": name, "kind": "STATE", "resor": "FM" } });
    let (_, before) = post(register, input("Valsts kase")).await;
    assert!(before.get("errors").is_none(), "{before}");
    cut.send_replace(true);
    let (status, read) = post("{ institutions(first: 5) { edges { node { id } } } }", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(
        read["errors"][0]["extensions"]["code"], "DATABASE_UNAVAILABLE",
        "{read}"
    );
    let (_, write) = post(register, input("Valsts ieņēmumu dienests")).await;
    assert_eq!(
        write["errors"][0]["extensions"]["code"], "DATABASE_UNAVAILABLE",
        "{write}"
    );
    stop.send(()).unwrap();
    let _ = tokio::time::timeout(Duration::from_secs(20), running).await;
    db.drop_db().await;
}

#[tokio::test]
async fn every_operation_is_logged_and_counted_and_the_log_has_no_colour_off_a_terminal() {
    let db = common::fresh_db().await;
    let server = common::process::ServerProcess::spawn_logging(&db.url, false);
    let http = common::server::client_with(&common::server::system_token());
    let post = |query: &'static str| {
        let (http, addr) = (http.clone(), server.addr);
        async move {
            http.post(format!("http://{addr}/graphql"))
                .json(&json!({ "query": query }))
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let registered = post(
        "mutation Register { registerInstitution(input: { name: \"Valsts kase\", kind: STATE, resor: FM }) { institutionId } }",
    )
    .await;
    assert!(registered.get("errors").is_none(), "{registered}");
    post("query Budgets { institutions(first: 1) { edges { node { id } } } }").await;
    post("query Broken { nope }").await;
    let metrics = http
        .get(format!("http://{}/metrics", server.addr))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let sample = |name: &str, labels: &[&str]| -> Option<f64> {
        metrics
            .lines()
            .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
            .find(|l| labels.iter().all(|label| l.contains(label)))
            .and_then(|l| l.rsplit(' ').next()?.parse().ok())
    };
    let operations = "prasme_graphql_operations_total";
    assert_eq!(
        sample(
            operations,
            &["operation=\"Budgets\"", "kind=\"query\"", "outcome=\"ok\""]
        ),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(
        sample(
            operations,
            &["operation=\"Register\"", "kind=\"mutation\"", "outcome=\"ok\""]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            operations,
            &["operation=\"Broken\"", "outcome=\"GRAPHQL_VALIDATION_FAILED\""]
        ),
        Some(1.0)
    );
    assert_eq!(
        sample("prasme_graphql_operation_seconds_count", &["kind=\"query\""]),
        Some(2.0)
    );
    assert!(
        sample("prasme_append_batch_appends_count", &[]).unwrap_or(0.0) >= 1.0,
        "{metrics}"
    );
    for projection in ["training_budget", "employees", "courses", "offerings"] {
        assert!(
            sample(
                "prasme_projection_lag_events",
                &[&format!("projection=\"{projection}\"")]
            )
            .is_some(),
            "{metrics}"
        );
    }
    assert_eq!(
        sample("prasme_db_connections", &["state=\"writer\""]),
        Some(f64::from(prasme_eventstore::WRITER_CONNECTIONS))
    );
    assert!(sample("prasme_db_connections", &["state=\"pool_in_use\""]).is_some());

    let mut logged = Vec::new();
    for _ in 0..100 {
        logged = server.log();
        if logged
            .iter()
            .any(|l| l.contains("graphql operation") && l.contains("Broken"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let lines = |name: &str| {
        logged
            .iter()
            .filter(|l| l.contains("graphql operation") && l.contains(name))
            .count()
    };
    assert_eq!(
        (lines("Register"), lines("Budgets"), lines("Broken")),
        (1, 1, 1),
        "{logged:#?}"
    );
    assert!(
        logged.iter().all(|l| !l.contains('\u{1b}')),
        "no ANSI escapes in a piped log: {logged:#?}"
    );
    drop(server);
    db.drop_db().await;
}

#[tokio::test]
async fn fields_come_back_in_the_order_they_were_selected() {
    let s = start().await;
    for name in [
        "Valsts kase",
        "Valsts ieņēmumu dienests",
        "Iepirkumu uzraudzības birojs",
    ] {
        register(&s, name, "STATE", Some("FM")).await;
    }
    // Siblings that read different read models finish at different times.
    let query = "{ z: trainingBudget(year: 2026) { total { status institutionCount } }
                   y: institutions(first: 3) { edges { node { resor name id kind } } }
                   x: __typename
                   w: trainingBudget(year: 2025) { byResor { summary { status } resor } } }";
    for _ in 0..20 {
        let body = s
            .http
            .post(format!("http://{}/graphql", s.addr))
            .json(&json!({ "query": query }))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let at = |key: &str| {
            body.find(&format!("\"{key}\":"))
                .unwrap_or_else(|| panic!("{key} in {body}"))
        };
        let root = [at("z"), at("y"), at("x"), at("w")];
        assert!(root.windows(2).all(|p| p[0] < p[1]), "{body}");
        let node = [at("resor"), at("name"), at("id"), at("kind")];
        assert!(node.windows(2).all(|p| p[0] < p[1]), "{body}");
        assert!(at("status") < at("institutionCount"), "{body}");
    }
    s.shut_down().await;
}

#[tokio::test]
async fn every_operation_accepts_the_same_range_of_years() {
    let s = start().await;
    let id = register(&s, "Valsts kanceleja", "STATE", Some("VK")).await;
    let queries = [
        "query($id: UUID!, $year: Int!) { trainingBudget(year: $year, institutionId: $id) { total { status } } }",
        "query($id: UUID!, $year: Int!) { institution(id: $id) { trainingBudget(year: $year) { year } } }",
        "query($id: UUID!, $year: Int!) { institutionLearningHours(institutionId: $id, year: $year) { month } }",
        "query($id: UUID!, $year: Int!) { trainingActivity(institutionId: $id, year: $year) { year } }",
    ];
    for query in queries {
        for year in [2020, 2036] {
            let body = s.gql(query, json!({ "id": id, "year": year })).await;
            assert_eq!(
                body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
                "{query} {year}: {body}"
            );
            assert!(
                body["errors"][0]["message"]
                    .as_str()
                    .unwrap()
                    .contains("between 2021 and 2035"),
                "{body}"
            );
        }
        for year in [2021, 2035] {
            let body = s.gql(query, json!({ "id": id, "year": year })).await;
            assert!(body.get("errors").is_none(), "{query} {year}: {body}");
        }
    }
    for year in [2020, 2036] {
        let refused = s
            .mutate(
                ALLOCATE,
                json!({ "input": { "institutionId": id, "year": year, "amountCents": 100, "fundingSource": "ESF" } }),
            )
            .await;
        assert_eq!(refused["userErrors"][0]["code"], "OUT_OF_RANGE", "{refused}");
        assert!(refused["userErrors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("between 2021 and 2035"));
    }
    s.shut_down().await;
}

#[tokio::test]
async fn every_non_2xx_answer_of_graphql_is_a_graphql_error_with_a_code() {
    let s = start().await;
    let url = format!("http://{}/graphql", s.addr);
    let json_body = |b: &'static str| s.http.post(&url).header("content-type", "application/json").body(b);
    let cases = [
        ("GET without an upgrade", s.http.get(&url), 400, "BAD_REQUEST"),
        (
            "GET with a query",
            s.http.get(format!("{url}?query=%7B__typename%7D")),
            400,
            "BAD_REQUEST",
        ),
        ("PUT", s.http.put(&url).body("{}"), 405, "METHOD_NOT_ALLOWED"),
        ("DELETE", s.http.delete(&url), 405, "METHOD_NOT_ALLOWED"),
        ("malformed JSON", json_body("{\"query\": "), 400, "BAD_REQUEST"),
        (
            "a batch",
            json_body("[{\"query\": \"{ __typename }\"}]"),
            400,
            "BAD_REQUEST",
        ),
        (
            "a form",
            s.http
                .post(&url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body("query=%7B__typename%7D"),
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        ),
    ];
    for (what, request, status, code) in cases {
        let response = request.send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "{what}");
        let body: Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{what}: not JSON: {e}"));
        assert_eq!(body["errors"][0]["extensions"]["code"], code, "{what}: {body}");
        assert!(
            body["errors"][0]["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{what}"
        );
        assert!(
            !body["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("InvalidRequest("),
            "{what}: no Rust debug text"
        );
    }
    s.shut_down().await;
}

#[tokio::test]
async fn unknown_ids_in_queries_are_null_with_not_found() {
    let s = start().await;
    let nobody = uuid::Uuid::now_v7();
    let queries = [
        ("institution", "query($id: UUID!) { institution(id: $id) { name } }"),
        ("employee", "query($id: UUID!) { employee(id: $id) { id } }"),
        ("course", "query($id: UUID!) { course(id: $id) { id } }"),
        ("offering", "query($id: UUID!) { offering(id: $id) { id } }"),
        ("certificate", "{ certificate(number: \"NO-SUCH\") { __typename } }"),
        (
            "employees",
            "query($id: UUID!) { employees(institutionId: $id) { edges { node { id } } } }",
        ),
        (
            "transcript",
            "query($id: UUID!) { transcript(employeeId: $id) { totalMinutes } }",
        ),
        (
            "trainingBudget",
            "query($id: UUID!) { trainingBudget(year: 2026, institutionId: $id) { total { institutionCount } } }",
        ),
        (
            "institutionLearningHours",
            "query($id: UUID!) { institutionLearningHours(institutionId: $id, year: 2026) { month } }",
        ),
        (
            "employeeLearningHours",
            "query($id: UUID!) { employeeLearningHours(employeeId: $id, year: 2026) { month } }",
        ),
        (
            "trainingActivity",
            "query($id: UUID!) { trainingActivity(institutionId: $id, year: 2026) { requests } }",
        ),
    ];
    for (field, query) in queries {
        let body = s.gql(query, json!({ "id": nobody })).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND", "{field}: {body}");
        assert_eq!(body["errors"][0]["path"][0], field, "{field}: {body}");
        let data = &body["data"];
        assert!(data.is_null() || data[field].is_null(), "{field}: {body}");
    }
    s.shut_down().await;
}

/// GraphiQL in headless Chromium, with every address but 127.0.0.1 refused
/// (as on a closed network): the page loads from files embedded in the
/// binary, reads the schema, runs a query typed into its editor, and shows
/// a subscription's event over graphql-ws.
/// `scripts/test` installs Chromium and playwright-core (`tests/browser`).
#[tokio::test]
async fn graphiql_loads_the_schema_and_runs_a_query_with_no_network_but_the_server() {
    let s = start().await;
    let registered = s
        .mutate(
            REGISTER,
            json!({ "input": { "name": "Valsts kanceleja", "kind": "STATE", "resor": "VK" } }),
        )
        .await;
    let browser = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        browser.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: scripts/test installs it, and Chromium, before the tests"
    );
    let query = format!(
        "{{ institutions(first: 5, atLeastPosition: {}) {{ totalCount edges {{ node {{ name }} }} }} }}",
        registered["position"]
    );
    let id = registered["institutionId"].as_str().unwrap();
    let subscription = format!(
        "subscription {{ trainingBudgetUpdated(institutionId: \"{id}\") {{ position budget {{ allocatedCents }} }} }}"
    );
    let allocate = json!({ "query": ALLOCATE, "variables": { "input": {
        "institutionId": id, "year": 2026, "amountCents": 12_345, "fundingSource": "STATE_BUDGET" } } });
    let run = tokio::process::Command::new("node")
        .arg("graphiql.mjs")
        .arg(format!("http://{}", s.addr))
        .arg(query)
        .arg(subscription)
        .arg(allocate.to_string())
        .arg(system_token())
        .current_dir(&browser)
        .output()
        .await
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let seen: Value = serde_json::from_str(stdout.lines().last().unwrap_or_default()).expect("one JSON line");
    assert_eq!(seen["outside"], json!([]), "nothing but the server was asked for");
    assert_eq!(seen["failures"], json!([]));
    assert_eq!(seen["schemaErrors"], Value::Null);
    assert!(seen["schemaTypes"].as_u64().unwrap_or(0) > 50, "{seen}");
    let shown = &seen["shown"]["data"]["institutions"];
    assert_eq!(shown["totalCount"], 1, "{seen}");
    assert_eq!(shown["edges"][0]["node"]["name"], "Valsts kanceleja");
    assert_eq!(seen["posted"], 200);
    let allocated = seen["pushed"]["data"]["trainingBudgetUpdated"]["budget"]["allocatedCents"].as_i64();
    assert!(
        allocated.is_some_and(|cents| cents >= 12_345 && cents % 12_345 == 0),
        "the subscription showed an allocation: {seen}"
    );
    s.shut_down().await;
}

#[tokio::test]
async fn every_mutation_answers_with_a_payload_type_of_its_own() {
    let s = start().await;
    let body = s
        .gql(
            "{ __schema { mutationType { fields { name type { name kind ofType { name } } } } } }",
            json!({}),
        )
        .await;
    let fields = body["data"]["__schema"]["mutationType"]["fields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(fields.len() >= 25, "{body}");
    for f in &fields {
        let name = f["name"].as_str().unwrap();
        let ty = f["type"]["name"]
            .as_str()
            .or(f["type"]["ofType"]["name"].as_str())
            .unwrap_or_default();
        let mut expected = name[..1].to_uppercase();
        expected.push_str(&name[1..]);
        expected.push_str("Payload");
        assert_eq!(ty, expected, "{name}");
    }
    s.shut_down().await;
}

#[tokio::test]
async fn node_finds_any_record_by_its_id_and_an_id_names_one_record() {
    let s = start().await;
    let institution = register(&s, "Valsts kanceleja", "STATE", Some("VK")).await;
    let hired = s
        .mutate(
            "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { employeeId userErrors { code } } }",
            json!({ "i": { "institutionId": institution, "name": "Anna Liepa", "jobGroups": ["NEW_EMPLOYEE"],
                           "hiredOn": "2024-01-01" } }),
        )
        .await;
    let employee = hired["employeeId"].clone();
    let course = s
        .mutate(
            "mutation($i: CatalogueCourseInput!) { catalogueCourse(input: $i) { courseId position } }",
            json!({ "i": { "description": { "title": "Ētika", "owner": { "level": "PUBLIC_ADMINISTRATION" },
                "priority": "INTEGRITY", "measures": ["1.1"], "courseType": "CORPORATE", "knowledgeTest": false,
                "durationMinutes": 90, "language": "lv" } } }),
        )
        .await;
    let offering = s
        .mutate(
            "mutation($i: ScheduleOfferingInput!) { scheduleOffering(input: $i) { offeringId position } }",
            json!({ "i": { "courseId": course["courseId"], "startsOn": "2035-03-01", "endsOn": "2035-03-01",
                           "format": "ONLINE", "capacity": 10, "costPerParticipantCents": 0, "organiser": "VAS" } }),
        )
        .await;
    let at = offering["position"].clone();
    let node = |id: Value| {
        let (s, at) = (&s, at.clone());
        async move {
            s.gql(
                "query($id: ID!, $p: Position) { node(id: $id, atLeastPosition: $p) { __typename id
                    ... on Institution { name } ... on Course { title } } }",
                json!({ "id": id, "p": at }),
            )
            .await
        }
    };
    for (id, typename) in [
        (json!(institution), "Institution"),
        (employee.clone(), "Employee"),
        (course["courseId"].clone(), "Course"),
        (offering["offeringId"].clone(), "Offering"),
    ] {
        let body = node(id.clone()).await;
        assert_eq!(body["data"]["node"]["__typename"], typename, "{body}");
        assert_eq!(body["data"]["node"]["id"], id, "the id it was asked for");
    }
    assert_eq!(
        node(json!(institution)).await["data"]["node"]["name"],
        "Valsts kanceleja"
    );

    let unknown = node(json!(uuid::Uuid::now_v7())).await;
    assert!(unknown["data"]["node"].is_null());
    assert_eq!(unknown["errors"][0]["extensions"]["code"], "NOT_FOUND");
    let malformed = node(json!("Institution:1")).await;
    assert_eq!(malformed["errors"][0]["extensions"]["code"], "BAD_USER_INPUT");

    // An id names one record: a create command may not give an employee's id to an institution.
    let taken = s
        .mutate(
            REGISTER,
            json!({ "input": { "institutionId": employee, "name": "Cita iestāde", "kind": "STATE", "resor": "FM" } }),
        )
        .await;
    assert_eq!(taken["userErrors"][0]["code"], "ALREADY_EXISTS", "{taken}");
    assert_eq!(taken["userErrors"][0]["field"], json!(["input", "institutionId"]));
    s.shut_down().await;
}
