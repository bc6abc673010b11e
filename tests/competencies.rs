//! Competency frameworks, assessments and profiles end to end (issue 20).

mod common;

use common::server::{start, token};
use prasme_commands::Role;
use serde_json::{json, Value};

const PUBLISH: &str = "mutation($input: PublishCompetencyFrameworkInput!) {
  publishCompetencyFramework(input: $input) {
    frameworkId position userErrors { code field message }
    framework { id title latestVersion retired content { version title areas { code name competencies {
      code name levels { number name description band } required { jobGroup level } } } } }
  }
}";

const REVISE: &str = "mutation($input: ReviseCompetencyFrameworkInput!) {
  reviseCompetencyFramework(input: $input) {
    frameworkId position userErrors { code field message }
    framework { latestVersion title }
  }
}";

const RETIRE: &str = "mutation($input: RetireCompetencyFrameworkInput!) {
  retireCompetencyFramework(input: $input) {
    position userErrors { code field message }
    framework { retired retiredReason }
  }
}";

fn scale(levels: i32) -> Value {
    (1..=levels)
        .map(|n| {
            json!({ "number": n, "name": format!("Līmenis {n}"), "description": "Prot ar vadību",
                         "band": if n <= 2 { "pamata" } else { "vidējais" } })
        })
        .collect()
}

fn digital(title: &str, levels: i32) -> Value {
    json!({ "title": title, "areas": [{ "code": "1", "name": "Informācijpratība", "competencies": [
        { "code": "1.1", "name": "Datu meklēšana", "levels": scale(levels),
          "required": [{ "jobGroup": "TOP_MANAGER", "level": 3 }] },
        { "code": "1.2", "name": "Datu izvērtēšana", "levels": scale(levels) }
    ] }] })
}

#[tokio::test]
async fn vas_publishes_revises_and_retires_a_framework_and_every_version_stays_readable() {
    let s = start().await;
    let published = s
        .mutate(
            PUBLISH,
            json!({ "input": { "content": digital("  Digitālā kompetence ", 8) } }),
        )
        .await;
    assert_eq!(published["userErrors"], json!([]), "{published}");
    let id = published["frameworkId"].as_str().unwrap().to_owned();
    let framework = &published["framework"];
    assert_eq!(framework["id"], id.as_str());
    assert_eq!(framework["title"], "Digitālā kompetence");
    assert_eq!(framework["latestVersion"], 1);
    let first = &framework["content"]["areas"][0]["competencies"][0];
    assert_eq!(first["levels"].as_array().unwrap().len(), 8);
    assert_eq!(first["levels"][7]["band"], "vidējais");
    assert_eq!(first["required"], json!([{ "jobGroup": "TOP_MANAGER", "level": 3 }]));

    let revised = s
        .mutate(
            REVISE,
            json!({ "input": { "frameworkId": id, "content": digital("Digitālā kompetence 2", 4) } }),
        )
        .await;
    assert_eq!(revised["userErrors"], json!([]), "{revised}");
    assert_eq!(
        revised["framework"],
        json!({ "latestVersion": 2, "title": "Digitālā kompetence 2" })
    );
    let versions = s
        .gql(
            "query($id: ID!) { node(id: $id) { ... on CompetencyFramework {
                old: content(version: 1) { title areas { competencies { levels { number } } } }
                new: content { version title } } } }",
            json!({ "id": id }),
        )
        .await;
    let node = &versions["data"]["node"];
    assert_eq!(node["old"]["title"], "Digitālā kompetence", "{versions}");
    assert_eq!(
        node["old"]["areas"][0]["competencies"][0]["levels"]
            .as_array()
            .unwrap()
            .len(),
        8
    );
    assert_eq!(node["new"], json!({ "version": 2, "title": "Digitālā kompetence 2" }));
    let missing = s
        .gql(
            "query($id: UUID!) { competencyFramework(id: $id) { content(version: 3) { title } } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(missing["errors"][0]["extensions"]["code"], "NOT_FOUND", "{missing}");

    let retired = s
        .mutate(
            RETIRE,
            json!({ "input": { "frameworkId": id, "reason": "Aizstāts ar DigComp 3.0" } }),
        )
        .await;
    assert_eq!(retired["userErrors"], json!([]), "{retired}");
    assert_eq!(
        retired["framework"],
        json!({ "retired": true, "retiredReason": "Aizstāts ar DigComp 3.0" })
    );
    let again = s
        .mutate(
            REVISE,
            json!({ "input": { "frameworkId": id, "content": digital("Digitālā kompetence 3", 4) } }),
        )
        .await;
    assert_eq!(again["userErrors"][0]["code"], "INVALID_VALUE", "{again}");
    let listed = |include: bool| {
        s.gql(
            "query($all: Boolean!) { competencyFrameworks(includeRetired: $all) { totalCount edges { node { title } } } }",
            json!({ "all": include }),
        )
    };
    assert_eq!(listed(false).await["data"]["competencyFrameworks"]["totalCount"], 0);
    assert_eq!(listed(true).await["data"]["competencyFrameworks"]["totalCount"], 1);
    s.shut_down().await;
}

#[tokio::test]
async fn a_bad_framework_is_refused_naming_the_nested_field_and_only_vas_may_publish() {
    let s = start().await;
    let mut gap = digital("Digitālā kompetence", 3);
    gap["areas"][0]["competencies"][0]["levels"][2]["number"] = json!(4);
    let mut off_scale = digital("Digitālā kompetence", 3);
    off_scale["areas"][0]["competencies"][0]["required"][0]["level"] = json!(70_000);
    let mut twice = digital("Digitālā kompetence", 3);
    twice["areas"][0]["competencies"][1]["code"] = json!("1.1");
    for (content, code, field) in [
        (
            gap,
            "INVALID_VALUE",
            json!(["input", "content", "areas", "competencies", "levels", "number"]),
        ),
        (
            off_scale,
            "OUT_OF_RANGE",
            json!(["input", "content", "areas", "competencies", "required", "level"]),
        ),
        (
            twice,
            "ALREADY_EXISTS",
            json!(["input", "content", "areas", "competencies", "code"]),
        ),
        (
            digital("Digitālā kompetence", 9),
            "OUT_OF_RANGE",
            json!(["input", "content", "areas", "competencies", "levels"]),
        ),
        (digital(" ", 3), "REQUIRED", json!(["input", "content", "title"])),
    ] {
        let refused = s.mutate(PUBLISH, json!({ "input": { "content": content } })).await;
        assert_eq!(refused["userErrors"][0]["code"], code, "{refused}");
        assert_eq!(refused["userErrors"][0]["field"], field, "{refused}");
        assert_eq!(refused["frameworkId"], Value::Null);
    }

    let vas = uuid::Uuid::now_v7();
    let hr = token("hr", &[Role::InstitutionHr], Some(uuid::Uuid::now_v7()), None);
    let admin = token("vas", &[Role::VasAdmin], Some(vas), None);
    let input = json!({ "input": { "content": digital("Digitālā kompetence", 8) } });
    let (_, denied) = s.gql_as(&hr, PUBLISH, input.clone()).await;
    assert_eq!(denied["errors"][0]["extensions"]["code"], "FORBIDDEN", "{denied}");
    let (_, allowed) = s.gql_as(&admin, PUBLISH, input).await;
    let payload = &allowed["data"]["publishCompetencyFramework"];
    assert_eq!(payload["userErrors"], json!([]), "{allowed}");
    // Every signed-in role reads the frameworks: they are reference data.
    let (_, read) = s
        .gql_as(
            &hr,
            "query($id: UUID!) { competencyFramework(id: $id) { title } }",
            json!({ "id": payload["frameworkId"] }),
        )
        .await;
    assert_eq!(
        read["data"]["competencyFramework"]["title"], "Digitālā kompetence",
        "{read}"
    );
    s.shut_down().await;
}
