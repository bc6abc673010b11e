//! The plan as data end to end (issue 21): published on first start as
//! annex 2 states it, readable by every signed-in role, and supplemented by
//! the State Chancellery alone, with typed refusals.

mod common;

use common::server::{start, token, Server};
use prasme_commands::Role;
use serde_json::{json, Value};
use uuid::Uuid;

const PLAN: &str = "query($p: Position) { plan(atLeastPosition: $p) { code titleLv
  priorities { number titleEn indicativeFundingCents plannedLearners
    measures { code deadlineYear indicators { indicatorId number textLv target { kind value min max unit }
      secondaryTarget { kind value unit } retired retireReason } } }
  chancelleryTargets { code direction targets { year value } } } }";

async fn plan_as(s: &Server, who: &str, position: &Value) -> Value {
    let (_, body) = s.gql_as(who, PLAN, json!({ "p": position })).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["plan"].clone()
}

fn indicator<'a>(plan: &'a Value, id: &str) -> &'a Value {
    plan["priorities"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["measures"].as_array().unwrap())
        .flat_map(|m| m["indicators"].as_array().unwrap())
        .find(|i| i["indicatorId"] == id)
        .unwrap_or_else(|| panic!("no indicator {id}"))
}

async fn mutate(s: &Server, who: &str, name: &str, input_type: &str, input: Value) -> Value {
    let (_, body) = s
        .gql_as(
            who,
            &format!(
                "mutation($i: {input_type}!) {{ {name}(input: $i) {{ position userErrors {{ code field message }} }} }}"
            ),
            json!({ "i": input }),
        )
        .await;
    if body["data"][name].is_null() {
        return body;
    }
    body["data"][name].clone()
}

fn refusal(payload: &Value) -> (String, Value) {
    let e = &payload["userErrors"][0];
    (e["code"].as_str().unwrap_or("OK").to_owned(), e["field"].clone())
}

fn vk_admin() -> String {
    token(&Uuid::now_v7().to_string(), &[Role::VkAdmin], None, None)
}

#[tokio::test]
async fn the_plan_is_published_on_first_start_and_read_by_everyone() {
    let s = start().await;
    let employee = token(
        &Uuid::now_v7().to_string(),
        &[Role::Employee],
        Some(Uuid::now_v7()),
        None,
    );
    // Published before the projections start; read once they reach it.
    let head: i64 = sqlx::query_scalar("SELECT max(position) FROM events")
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    let plan = plan_as(&s, &employee, &json!(head)).await;
    assert_eq!(plan["code"], "lap-2021-2027");
    // Every role reads the same plan.
    for role in Role::ALL {
        let institution = matches!(role, Role::Employee | Role::Manager | Role::InstitutionHr).then(Uuid::now_v7);
        let resor = (role == Role::ResorCoordinator).then_some(prasme_domain::reference::Resor::Fm);
        let who = token(&Uuid::now_v7().to_string(), &[role], institution, resor);
        assert_eq!(plan_as(&s, &who, &json!(head)).await, plan, "{role:?}");
    }
    let priorities = plan["priorities"].as_array().unwrap();
    assert_eq!(priorities.len(), 5);
    let measures: Vec<&Value> = priorities
        .iter()
        .flat_map(|p| p["measures"].as_array().unwrap())
        .collect();
    assert_eq!(measures.len(), 23);
    let indicators: usize = measures.iter().map(|m| m["indicators"].as_array().unwrap().len()).sum();
    assert_eq!(indicators, 71);
    assert_eq!(priorities[3]["indicativeFundingCents"], 820_000_000);
    assert_eq!(priorities[0]["plannedLearners"], 21_400);
    assert_eq!(measures[0]["deadlineYear"], 2026);
    let top_managers = indicator(&plan, "3.1.1");
    assert_eq!(
        top_managers["target"],
        json!({ "kind": "AT_LEAST_PERCENT", "value": 80, "min": null, "max": null, "unit": null })
    );
    assert_eq!(
        top_managers["textLv"],
        "Vismaz 80 % augstākā līmeņa vadītāju ir veikuši kompetenču novērtēšanu atbilstoši kompetenču ietvaram."
    );
    let trust_people = indicator(&plan, "1.1.4");
    assert_eq!(
        (
            trust_people["target"]["unit"].clone(),
            trust_people["secondaryTarget"]["value"].clone()
        ),
        (json!("STATE_INSTITUTION"), json!(200))
    );
    let maps = &plan["chancelleryTargets"][0];
    assert_eq!(maps["targets"][4], json!({ "year": 2029, "value": 70 }));
    // Published once: the server's start found nothing more to publish.
    let published: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'PlanPublished'")
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    assert_eq!(published, 1);
    s.shut_down().await;
}

#[tokio::test]
async fn the_state_chancellery_supplements_the_plan_and_nobody_else_may() {
    let s = start().await;
    let admin = vk_admin();
    let define = |target: Value| {
        json!({ "measure": "3.1", "textLv": "Iestāžu skaits, kuras izmanto attīstības matricu",
                "textEn": "Institutions using the development matrix", "target": target })
    };
    // Every other role reads the plan but changes nothing.
    for role in Role::ALL
        .into_iter()
        .filter(|r| ![Role::VkAdmin, Role::System].contains(r))
    {
        let institution = matches!(role, Role::Employee | Role::Manager | Role::InstitutionHr).then(Uuid::now_v7);
        let resor = (role == Role::ResorCoordinator).then_some(prasme_domain::reference::Resor::Fm);
        let who = token(&Uuid::now_v7().to_string(), &[role], institution, resor);
        let (_, body) = s
            .gql_as(
                &who,
                "mutation($i: DefineIndicatorInput!) { defineIndicator(input: $i) { position } }",
                json!({ "i": define(Value::Null) }),
            )
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{role:?}: {body}");
    }

    // Typed refusals.
    let unknown = mutate(&s, &admin, "defineIndicator", "DefineIndicatorInput", {
        let mut i = define(Value::Null);
        i["measure"] = json!("6.1");
        i
    })
    .await;
    assert_eq!(refusal(&unknown), ("NOT_FOUND".into(), json!(["input", "measure"])));
    let no_value = mutate(
        &s,
        &admin,
        "defineIndicator",
        "DefineIndicatorInput",
        define(json!({ "kind": "AT_LEAST_COUNT" })),
    )
    .await;
    assert_eq!(
        refusal(&no_value),
        ("REQUIRED".into(), json!(["input", "target", "value"]))
    );
    let too_much = mutate(
        &s,
        &admin,
        "defineIndicator",
        "DefineIndicatorInput",
        define(json!({ "kind": "AT_LEAST_PERCENT", "value": 120 })),
    )
    .await;
    assert_eq!(
        refusal(&too_much),
        ("OUT_OF_RANGE".into(), json!(["input", "target", "value"]))
    );
    let second_alone = mutate(&s, &admin, "defineIndicator", "DefineIndicatorInput", {
        let mut i = define(Value::Null);
        i["secondaryTarget"] = json!({ "kind": "MILESTONE" });
        i
    })
    .await;
    assert_eq!(
        refusal(&second_alone),
        ("INVALID_VALUE".into(), json!(["input", "secondaryTarget"]))
    );

    // A new indicator takes the measure's next number.
    let defined = mutate(
        &s,
        &admin,
        "defineIndicator",
        "DefineIndicatorInput",
        define(json!({ "kind": "AT_LEAST_COUNT", "value": 40 })),
    )
    .await;
    assert_eq!(refusal(&defined).0, "OK", "{defined}");
    let plan = plan_as(&s, &admin, &defined["position"]).await;
    let matrix = indicator(&plan, "3.1.5");
    assert_eq!(
        (matrix["number"].clone(), matrix["target"]["value"].clone()),
        (json!(5), json!(40))
    );

    // A target changes with a reason; the same targets again change nothing.
    let change = json!({ "indicatorId": "3.1.1", "target": { "kind": "AT_LEAST_PERCENT", "value": 90 },
                         "reason": "Valdības lēmums" });
    let changed = mutate(
        &s,
        &admin,
        "changeIndicatorTarget",
        "ChangeIndicatorTargetInput",
        change.clone(),
    )
    .await;
    assert_eq!(refusal(&changed).0, "OK", "{changed}");
    let plan = plan_as(&s, &admin, &changed["position"]).await;
    assert_eq!(indicator(&plan, "3.1.1")["target"]["value"], 90);
    let again = mutate(
        &s,
        &admin,
        "changeIndicatorTarget",
        "ChangeIndicatorTargetInput",
        change,
    )
    .await;
    assert_eq!(
        refusal(&again),
        ("NOTHING_TO_CHANGE".into(), json!(["input", "target"]))
    );

    // A retired indicator stays in the plan, marked, and takes no change.
    let retire = json!({ "indicatorId": "3.1.5", "reason": "Apvienots ar 3.1.2" });
    let retired = mutate(&s, &admin, "retireIndicator", "RetireIndicatorInput", retire.clone()).await;
    assert_eq!(refusal(&retired).0, "OK", "{retired}");
    let plan = plan_as(&s, &admin, &retired["position"]).await;
    assert_eq!(
        (
            indicator(&plan, "3.1.5")["retired"].clone(),
            indicator(&plan, "3.1.5")["retireReason"].clone()
        ),
        (json!(true), json!("Apvienots ar 3.1.2"))
    );
    let twice = mutate(&s, &admin, "retireIndicator", "RetireIndicatorInput", retire).await;
    assert_eq!(
        refusal(&twice),
        ("INVALID_VALUE".into(), json!(["input", "indicatorId"]))
    );
    s.shut_down().await;
}
