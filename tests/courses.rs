//! The multi-level course catalogue end to end.

mod common;

use common::server::start;
use serde_json::{json, Value};

const CATALOGUE: &str = "mutation($input: CatalogueCourseInput!) {
  catalogueCourse(input: $input) {
    courseId position userErrors { code field message }
    course { title ownerLevel ownerResor ownerInstitution { name } ownerGroup priority measures courseType
             knowledgeTest durationMinutes language competencies retired }
  }
}";

fn description(title: &str, owner: Value, priority: &str, measures: Value, course_type: &str) -> Value {
    json!({ "title": title, "owner": owner, "priority": priority, "measures": measures,
            "courseType": course_type, "knowledgeTest": true, "durationMinutes": 480, "language": "LV",
            "competencies": ["Datpratība"] })
}

#[tokio::test]
async fn courses_are_catalogued_at_every_level_and_filtered() {
    let s = start().await;
    let vid = s
        .mutate(
            "mutation($i: RegisterInstitutionInput!) { registerInstitution(input: $i) { institutionId } }",
            json!({ "i": { "name": "Valsts ieņēmumu dienests", "kind": "STATE", "resor": "FM" } }),
        )
        .await["institutionId"]
        .clone();
    let courses = [
        description(
            "Ētika un integritāte",
            json!({ "level": "PUBLIC_ADMINISTRATION" }),
            "INTEGRITY",
            json!(["1.1"]),
            "MANDATORY",
        ),
        description(
            "Datu analītika",
            json!({ "level": "RESOR", "resor": "FM" }),
            "DIGITAL_TRANSFORMATION",
            json!(["4.3", "4.1"]),
            "E_LEARNING",
        ),
        description(
            "Nodokļu kontrole",
            json!({ "level": "INSTITUTION", "institutionId": vid }),
            "PROFESSIONALISATION",
            json!(["5.1"]),
            "SPECIALISED",
        ),
        description(
            "Iepirkumu pamati",
            json!({ "level": "PROFESSIONAL_GROUP", "group": "Iepirkumu speciālisti" }),
            "INTEGRITY",
            json!(["1.5"]),
            "BLENDED",
        ),
    ];
    let mut last = Value::Null;
    for d in courses {
        last = s.mutate(CATALOGUE, json!({ "input": { "description": d } })).await;
        assert_eq!(last["userErrors"], json!([]), "{last}");
    }
    assert_eq!(last["course"]["ownerGroup"], "Iepirkumu speciālisti");
    let datu = s
        .gql(
            "{ courses(measure: \"4.1\") { edges { node { title measures language ownerResor } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        datu["data"]["courses"]["edges"],
        json!([{ "node": { "title": "Datu analītika", "measures": ["4.1", "4.3"], "language": "lv", "ownerResor": "FM" } }])
    );
    let titles = |v: &Value| -> Vec<String> {
        v["data"]["courses"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["node"]["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let integrity = s
        .gql(
            "{ courses(priority: INTEGRITY) { edges { node { title } } } }",
            json!({}),
        )
        .await;
    assert_eq!(titles(&integrity), vec!["Iepirkumu pamati", "Ētika un integritāte"]);
    let own = s
        .gql(
            "{ courses(ownerLevel: INSTITUTION) { edges { node { title ownerInstitution { name } } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        own["data"]["courses"]["edges"][0]["node"]["ownerInstitution"]["name"],
        "Valsts ieņēmumu dienests"
    );

    // Retiring hides a course from the catalogue unless asked for.
    let id = last["courseId"].clone();
    let retired = s
        .mutate(
            "mutation($i: RetireCourseInput!) { retireCourse(input: $i) { userErrors { code } course { retired retiredReason } } }",
            json!({ "i": { "courseId": id, "reason": "Aizstāts ar jaunu kursu" } }),
        )
        .await;
    assert_eq!(
        retired["course"],
        json!({ "retired": true, "retiredReason": "Aizstāts ar jaunu kursu" })
    );
    let after = s
        .gql(
            "{ courses(priority: INTEGRITY) { edges { node { title } } } }",
            json!({}),
        )
        .await;
    assert_eq!(titles(&after), vec!["Ētika un integritāte"]);
    let all = s
        .gql(
            "{ courses(priority: INTEGRITY, includeRetired: true) { edges { node { title } } } }",
            json!({}),
        )
        .await;
    assert_eq!(titles(&all).len(), 2);
    let revise = s
        .mutate(
            "mutation($i: ReviseCourseInput!) { reviseCourse(input: $i) { userErrors { code field } } }",
            json!({ "i": { "courseId": id, "description": description("X", json!({ "level": "PUBLIC_ADMINISTRATION" }), "INTEGRITY", json!([]), "CORPORATE") } }),
        )
        .await;
    assert_eq!(
        revise["userErrors"][0]["code"], "INVALID_VALUE",
        "a retired course cannot be revised"
    );
    s.shut_down().await;
}

#[tokio::test]
async fn bad_course_input_names_the_field() {
    let s = start().await;
    let unknown = uuid::Uuid::now_v7();
    let cases = [
        (
            description(
                "A",
                json!({ "level": "PUBLIC_ADMINISTRATION" }),
                "INTEGRITY",
                json!(["4.1"]),
                "CORPORATE",
            ),
            "INVALID_VALUE",
            json!(["input", "description", "measures"]),
        ),
        (
            description(
                "A",
                json!({ "level": "PUBLIC_ADMINISTRATION" }),
                "INTEGRITY",
                json!(["1.8"]),
                "CORPORATE",
            ),
            "INVALID_VALUE",
            json!(["input", "description", "measures"]),
        ),
        (
            description("A", json!({ "level": "RESOR" }), "INTEGRITY", json!([]), "CORPORATE"),
            "REQUIRED",
            json!(["input", "description", "owner", "resor"]),
        ),
        (
            description(
                "A",
                json!({ "level": "INSTITUTION", "institutionId": unknown }),
                "INTEGRITY",
                json!([]),
                "CORPORATE",
            ),
            "NOT_FOUND",
            json!(["input", "description", "owner", "institutionId"]),
        ),
        (
            description(
                " ",
                json!({ "level": "PUBLIC_ADMINISTRATION" }),
                "INTEGRITY",
                json!([]),
                "CORPORATE",
            ),
            "REQUIRED",
            json!(["input", "description", "title"]),
        ),
    ];
    for (d, code, field) in cases {
        let p = s.mutate(CATALOGUE, json!({ "input": { "description": d } })).await;
        assert_eq!(p["userErrors"][0]["code"], code, "{p}");
        assert_eq!(p["userErrors"][0]["field"], field, "{p}");
    }
    s.shut_down().await;
}
