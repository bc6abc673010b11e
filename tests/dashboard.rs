//! The KPI dashboard (`/dashboard`) in headless Chromium, and the CSV
//! exports (`/export/…`) over HTTP, against the real server.

mod common;

use std::time::Duration;

use common::server::{connection_init, next_json, start, system_token, token, Server};
use futures::SinkExt;
use prasme_commands::Role;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

const CATALOGUE: &str = "mutation($i: CatalogueCourseInput!) {
  catalogueCourse(input: $i) { courseId position userErrors { code field message } }
}";

/// A course 5.1.4 counts: measure 5.1, with a knowledge test.
fn tested_course(title: &str) -> Value {
    json!({ "i": { "description": { "title": title, "owner": { "level": "PUBLIC_ADMINISTRATION" },
        "priority": "PROFESSIONALISATION", "measures": ["5.1"], "courseType": "SPECIALISED",
        "knowledgeTest": true, "durationMinutes": 240, "language": "lv" } } })
}

async fn catalogue(s: &Server, title: &str) -> i64 {
    let p = s.mutate(CATALOGUE, tested_course(title)).await;
    assert_eq!(p["userErrors"], json!([]), "{p}");
    p["position"].as_i64().unwrap()
}

/// A CSV text as records of fields (RFC 4180: quoted fields, doubled
/// quotes, CRLF between records).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut records, mut record, mut field) = (vec![], vec![], String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') => {
                assert_eq!(chars.next(), Some('\n'), "records end in CRLF");
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    assert!(record.is_empty() && field.is_empty(), "the last record ends in CRLF");
    records
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn get(s: &Server, path: &str, bearer: Option<&str>) -> reqwest::Response {
    let request = reqwest::Client::new().get(format!("http://{}{path}", s.addr));
    let request = match bearer {
        Some(t) => request.bearer_auth(t),
        None => request,
    };
    request.send().await.unwrap()
}

#[tokio::test]
async fn the_dashboard_shows_the_plan_and_an_event_moves_a_number_over_graphql_ws() {
    let s = start().await;
    let first = catalogue(&s, "Zināšanu pārbaude 0").await;
    let browser = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser");
    assert!(
        browser.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: scripts/test installs it, and Chromium, before the tests"
    );
    // The page reads with an analyst's token: any signed-in role may.
    let analyst = token("analyst", &[Role::VkAnalyst], None, None);
    let known = s
        .gql(
            "query($at: Position) { kpis(atLeastPosition: $at, indicator: \"5.1.4\") { count } }",
            json!({ "at": first }),
        )
        .await;
    assert_eq!(known["data"]["kpis"][0]["count"], 1, "{known}");
    let mutation = json!({ "query": CATALOGUE, "variables": tested_course("Zināšanu pārbaude") });
    let run = tokio::process::Command::new("node")
        .arg("dashboard.mjs")
        .arg(format!("http://{}", s.addr))
        .arg(&analyst)
        .arg(mutation.to_string())
        .arg("5.1.4/1")
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
    assert_eq!(
        seen["outside"],
        json!([]),
        "nothing but the server was asked for: {seen}"
    );
    assert_eq!(
        seen["origins"],
        json!([format!("http://{}", s.addr)]),
        "every request went to the server: {seen}"
    );
    assert_eq!(seen["failures"], json!([]), "{seen}");
    // Every indicator of the plan, those not computed among them.
    let plan = s
        .gql(
            "{ plan { priorities { measures { indicators { indicatorId notComputableReason } } } } }",
            json!({}),
        )
        .await;
    let indicators: Vec<Value> = plan["data"]["plan"]["priorities"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["measures"].as_array().unwrap().clone())
        .flat_map(|m| m["indicators"].as_array().unwrap().clone())
        .collect();
    assert!(indicators.len() >= 71, "{plan}");
    assert_eq!(seen["indicators"], indicators.len(), "{seen}");
    let not_computed = indicators
        .iter()
        .filter(|i| !i["notComputableReason"].is_null())
        .count();
    assert!(not_computed > 0);
    assert_eq!(seen["notComputable"], not_computed, "{seen}");
    assert_eq!(seen["before"], 1, "{seen}");
    let after = seen["after"].as_i64().unwrap();
    let posted = seen["posted"].as_i64().unwrap();
    assert!(after > 1 && after <= 1 + posted, "the number moved: {seen}");
    // Moved without a reload and without reading the plan again: the value came over graphql-ws.
    assert_eq!(seen["samePage"], true, "{seen}");
    assert_eq!(seen["navigations"], 1, "{seen}");
    assert!(seen["planReadsBefore"].as_i64().unwrap() >= 1, "{seen}");
    assert_eq!(seen["planReadsAfter"], seen["planReadsBefore"], "{seen}");
    assert!(seen["pushed"].as_i64().unwrap() >= 1, "{seen}");
    assert!(
        seen["pointsAfter"].as_i64().unwrap() > seen["pointsBefore"].as_i64().unwrap(),
        "the chart got a point: {seen}"
    );
    // The page's CSV link downloads the export with the pasted token.
    assert_eq!(seen["csvName"], "kpis-plan.csv", "{seen}");
    assert_eq!(
        seen["csvHeader"],
        "priority,measure,indicator,ordinal,label,unit,count,denominator,share_percent,target,status"
    );
    assert!(seen["csvRows"].as_i64().unwrap() > 60, "{seen}");
    let now = s.gql("{ kpis(indicator: \"5.1.4\") { count } }", json!({})).await;
    assert_eq!(now["data"]["kpis"][0]["count"], 1 + posted, "{now}");
    s.shut_down().await;
}

/// `kpiUpdated` over graphql-ws without a browser: the server reads each
/// change once for all subscribers (`kpi_updates.rs`), and each still gets
/// its own message, filtered by what it watches.
#[tokio::test]
async fn every_kpi_subscriber_gets_the_change_it_watches() {
    let s = start().await;
    let first = catalogue(&s, "Zināšanu pārbaude 0").await;
    let known = s
        .gql(
            "query($at: Position) { kpis(atLeastPosition: $at, indicator: \"5.1.4\") { count } }",
            json!({ "at": first }),
        )
        .await;
    assert_eq!(known["data"]["kpis"][0]["count"], 1, "{known}");
    let mut sockets = Vec::new();
    for watched in ["", "(indicator: \"5.1.4\")", "(priority: 5)"] {
        let mut request = format!("ws://{}/graphql", s.addr).into_client_request().unwrap();
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let send = |v: Value| Message::Text(v.to_string().into());
        let analyst = token("analyst", &[Role::VkAnalyst], None, None);
        ws.send(send(connection_init(&analyst))).await.unwrap();
        assert_eq!(next_json(&mut ws).await["type"], "connection_ack");
        let query = format!(
            "subscription {{ kpiUpdated{watched} {{ position indicatorId status series {{ ordinal count }} }} }}"
        );
        ws.send(send(
            json!({ "id": "1", "type": "subscribe", "payload": { "query": query } }),
        ))
        .await
        .unwrap();
        sockets.push(ws);
    }
    // Give the server a moment to register the subscriptions before writing.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let posted = catalogue(&s, "Zināšanu pārbaude 1").await;
    let mut seen = Vec::new();
    for ws in &mut sockets {
        // Cataloguing may move other indicators too; those come first or after.
        let update = loop {
            let message = next_json(ws).await;
            assert_eq!(message["type"], "next", "{message}");
            let update = message["payload"]["data"]["kpiUpdated"].clone();
            if update["indicatorId"] == "5.1.4" {
                break update;
            }
            assert_ne!(update["indicatorId"], Value::Null, "{message}");
        };
        assert_eq!(update["position"], posted, "{update}");
        assert_eq!(update["series"], json!([{ "ordinal": 1, "count": 2 }]), "{update}");
        seen.push(update);
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]), "{seen:?}");
    // The one watching 5.1.4 alone was sent nothing else.
    let quiet = tokio::time::timeout(Duration::from_millis(500), futures::StreamExt::next(&mut sockets[1])).await;
    assert!(quiet.is_err(), "{quiet:?}");
    s.shut_down().await;
}

#[tokio::test]
async fn the_dashboard_is_served_from_the_binary_under_its_policy() {
    let s = start().await;
    let page = get(&s, "/dashboard", None).await;
    assert_eq!(page.status(), 200);
    let policy = page.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(
        policy.contains("default-src 'none'") && policy.contains("script-src 'self'"),
        "{policy}"
    );
    let html = page.text().await.unwrap();
    assert!(
        html.contains("/dashboard/dashboard.js") && !html.contains("<script>"),
        "{html}"
    );
    for (asset, kind) in [("dashboard.js", "text/javascript"), ("dashboard.css", "text/css")] {
        let r = get(&s, &format!("/dashboard/{asset}"), None).await;
        assert_eq!(r.status(), 200, "{asset}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with(kind));
        assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    }
    assert_eq!(get(&s, "/dashboard/secret.js", None).await.status(), 404);
    s.shut_down().await;
}

#[tokio::test]
async fn the_kpis_csv_has_one_row_per_series_with_the_numbers_graphql_gives() {
    let s = start().await;
    let at = catalogue(&s, "Zināšanu pārbaude, \"pirmā\"").await;
    for year in [None, Some(2026), Some(2024)] {
        let query = match year {
            Some(y) => format!("/export/kpis.csv?year={y}&atLeastPosition={at}"),
            None => format!("/export/kpis.csv?atLeastPosition={at}"),
        };
        let r = get(&s, &query, Some(&system_token())).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        let name = year.map_or("plan".to_owned(), |y| y.to_string());
        assert_eq!(
            r.headers()["content-disposition"],
            format!("attachment; filename=\"kpis-{name}.csv\"").as_str()
        );
        let rows = parse_csv(&r.text().await.unwrap());
        assert_eq!(
            rows[0],
            [
                "priority",
                "measure",
                "indicator",
                "ordinal",
                "label",
                "unit",
                "count",
                "denominator",
                "share_percent",
                "target",
                "status"
            ]
        );
        let answer = s
            .gql(
                "query($y: Int) { kpis(year: $y) { indicatorId ordinal labelEn unit count denominator sharePercent status } }",
                json!({ "y": year }),
            )
            .await;
        let series = answer["data"]["kpis"].as_array().unwrap();
        assert_eq!(rows.len() - 1, series.len(), "one row per series");
        for (row, s) in rows[1..].iter().zip(series) {
            let expected = [
                text(&s["indicatorId"]),
                text(&s["ordinal"]),
                text(&s["labelEn"]),
                text(&s["unit"]),
                text(&s["count"]),
                text(&s["denominator"]),
                text(&s["sharePercent"]),
            ];
            assert_eq!(
                [&row[2], &row[3], &row[4], &row[5], &row[6], &row[7], &row[8]],
                expected.each_ref(),
                "{row:?}"
            );
            assert_eq!(row[10], text(&s["status"]));
            assert!(row[2].starts_with(&format!("{}.", row[1])), "{row:?}");
            assert!(row[2].starts_with(&format!("{}.", row[0])), "{row:?}");
        }
        let tested = rows.iter().find(|r| r[2] == "5.1.4").unwrap();
        let expected = if year == Some(2024) { "0" } else { "1" };
        assert_eq!(tested[6], expected, "{tested:?}");
        // A target is spelled out: 1.1.4's first series is one in every state institution.
        let trust = rows.iter().find(|r| r[2] == "1.1.4" && r[3] == "1").unwrap();
        assert_eq!(trust[9], "every STATE_INSTITUTION", "{trust:?}");
    }
    s.shut_down().await;
}

#[tokio::test]
async fn a_breakdown_csv_has_one_row_per_cell_and_suppressed_cells_empty() {
    let s = start().await;
    let registered = s
        .mutate(
            "mutation($i: RegisterInstitutionInput!) { registerInstitution(input: $i) { institutionId userErrors { code } } }",
            json!({ "i": { "name": "Valsts kanceleja", "kind": "STATE", "resor": "VK" } }),
        )
        .await;
    let institution = registered["institutionId"].as_str().unwrap().to_owned();
    let hired = s
        .mutate(
            "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { employeeId userErrors { code } } }",
            json!({ "i": { "institutionId": institution, "name": "Anna Liepa", "jobGroups": ["NEW_EMPLOYEE"],
                           "hiredOn": "2023-01-01" } }),
        )
        .await;
    let employee = hired["employeeId"].as_str().unwrap().to_owned();
    let course = s
        .mutate(
            CATALOGUE,
            json!({ "i": { "description": { "title": "Valsts pārvaldes pamati", "owner": { "level": "PUBLIC_ADMINISTRATION" },
                "priority": "INTEGRITY", "measures": ["1.4"], "courseType": "CORPORATE",
                "knowledgeTest": false, "durationMinutes": 240, "language": "lv" } } }),
        )
        .await;
    let offering = s
        .mutate(
            "mutation($i: ScheduleOfferingInput!) { scheduleOffering(input: $i) { offeringId userErrors { code } } }",
            json!({ "i": { "courseId": course["courseId"], "startsOn": "2034-03-02", "endsOn": "2034-06-30",
                           "format": "ONLINE", "capacity": 50, "costPerParticipantCents": 0,
                           "organiser": "Valsts administrācijas skola" } }),
        )
        .await;
    let at = s
        .pass(offering["offeringId"].as_str().unwrap(), &employee, "2024-05-01")
        .await;
    let analyst = token("analyst", &[Role::VkAnalyst], None, None);
    for (who, bearer) in [("system", system_token()), ("analyst", analyst)] {
        let (status, answer) = s
            .gql_as(
                &bearer,
                "query($at: Position) { kpis(atLeastPosition: $at, indicator: \"1.4.1\") {
                   indicatorId ordinal labelEn unit breakdown(by: INSTITUTION) { value count denominator } } }",
                json!({ "at": at }),
            )
            .await;
        assert_eq!(status, 200);
        let r = get(
            &s,
            &format!("/export/kpis/1.4.1/breakdown.csv?by=INSTITUTION&atLeastPosition={at}"),
            Some(&bearer),
        )
        .await;
        assert_eq!(r.status(), 200, "{who}");
        assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
        assert_eq!(
            r.headers()["content-disposition"],
            "attachment; filename=\"kpi-1.4.1-institution-plan.csv\""
        );
        let rows = parse_csv(&r.text().await.unwrap());
        assert_eq!(
            rows[0],
            [
                "indicator",
                "ordinal",
                "label",
                "unit",
                "by",
                "value",
                "count",
                "denominator"
            ]
        );
        let mut expected = vec![];
        for s in answer["data"]["kpis"].as_array().unwrap() {
            for c in s["breakdown"].as_array().unwrap() {
                expected.push(vec![
                    text(&s["indicatorId"]),
                    text(&s["ordinal"]),
                    text(&s["labelEn"]),
                    text(&s["unit"]),
                    "INSTITUTION".to_owned(),
                    text(&c["value"]),
                    text(&c["count"]),
                    text(&c["denominator"]),
                ]);
            }
        }
        assert_eq!(rows[1..], expected[..], "{who}");
        let employees = rows.iter().find(|r| r[1] == "1" && r[5] == institution).unwrap();
        // One person: the analyst may not read people, so the cell is suppressed.
        let shown = if who == "analyst" { "" } else { "1" };
        assert_eq!(employees[6], shown, "{who}: {employees:?}");
    }
    s.shut_down().await;
}

#[tokio::test]
async fn an_export_refuses_bad_parameters_with_400_and_no_token_with_401() {
    let s = start().await;
    let system = system_token();
    for (path, says) in [
        ("/export/kpis.csv?year=abc", "year must be"),
        ("/export/kpis.csv?year=1999", "year"),
        ("/export/kpis.csv?yaer=2024", "unknown parameter"),
        ("/export/kpis.csv?year=2024&year=2025", "more than once"),
        ("/export/kpis.csv?asOf=yesterday", "asOf"),
        ("/export/kpis.csv?atLeastPosition=-1", "atLeastPosition"),
        ("/export/kpis/5.1.4/breakdown.csv", "by="),
        ("/export/kpis/5.1.4/breakdown.csv?by=PLANET", "by must be one of"),
        ("/export/kpis/x;y/breakdown.csv?by=TOTAL", "an id such as 1.4.1"),
    ] {
        let r = get(&s, path, Some(&system)).await;
        assert_eq!(r.status(), 400, "{path}");
        assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        let body = r.text().await.unwrap();
        assert!(body.contains(says), "{path}: {body}");
    }
    // Past the plan's publication on first start, so that it is read.
    let at = catalogue(&s, "Zināšanu pārbaude").await;
    for (path, says) in [
        ("/export/kpis/9.9.9/breakdown.csv?by=TOTAL", "no indicator 9.9.9"),
        ("/export/kpis/5.1.5/breakdown.csv?by=TOTAL", "not computed"),
    ] {
        let r = get(&s, &format!("{path}&atLeastPosition={at}"), Some(&system)).await;
        assert_eq!(r.status(), 404, "{path}");
        let body = r.text().await.unwrap();
        assert!(body.contains(says), "{path}: {body}");
    }
    for (path, bearer, says) in [
        ("/export/kpis.csv", None, "send a token"),
        ("/export/kpis/5.1.4/breakdown.csv?by=TOTAL", None, "send a token"),
        ("/export/kpis.csv", Some("not-a-jwt"), "token"),
    ] {
        let r = get(&s, path, bearer).await;
        assert_eq!(r.status(), 401, "{path}");
        assert!(r.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
        let body = r.text().await.unwrap();
        assert!(body.contains(says), "{path}: {body}");
    }
    s.shut_down().await;
}
