//! Employees end to end, and crypto-shredding of their personal data.

mod common;

use std::process::Command;

use common::server::{start, Server};
use serde_json::{json, Value};

const REGISTER: &str = "mutation($input: RegisterInstitutionInput!) {
  registerInstitution(input: $input) { institutionId userErrors { code } } }";

const HIRE: &str = "mutation($input: HireEmployeeInput!) {
  hireEmployee(input: $input) {
    employeeId position duplicate
    userErrors { code field message }
    employee { id jobGroups functions civilServant hiredOn personalDataErased
               institution { name } personalData { name email personalCode } }
  }
}";

const ERASE: &str = "mutation($input: EraseEmployeePersonalDataInput!) {
  eraseEmployeePersonalData(input: $input) {
    position userErrors { code field }
    employee { personalDataErased personalData { name } }
  }
}";

async fn institution(s: &Server, name: &str, resor: &str) -> String {
    let p = s
        .mutate(
            REGISTER,
            json!({ "input": { "name": name, "kind": "STATE", "resor": resor } }),
        )
        .await;
    p["institutionId"].as_str().unwrap().to_owned()
}

async fn hire(s: &Server, institution: &str, name: &str) -> Value {
    s.mutate(
        HIRE,
        json!({ "input": { "institutionId": institution, "name": name, "email": "Anna.Liepa@vid.gov.lv",
                           "personalCode": "010190-12345", "jobGroups": ["MIDDLE_OR_LOWER_MANAGER", "HR_SPECIALIST"],
                           "civilServant": true, "functions": ["MENTOR"], "hiredOn": "2024-03-01" } }),
    )
    .await
}

#[tokio::test]
async fn personal_data_is_sealed_in_events_and_shredded_by_erasure() {
    let s = start().await;
    let vid = institution(&s, "Valsts ieņēmumu dienests", "FM").await;
    let hired = hire(&s, &vid, "Anna Liepa").await;
    assert_eq!(hired["userErrors"], json!([]), "{hired}");
    let e = &hired["employee"];
    assert_eq!(
        e["personalData"],
        json!({ "name": "Anna Liepa", "email": "anna.liepa@vid.gov.lv", "personalCode": "010190-12345" })
    );
    assert_eq!(e["jobGroups"], json!(["HR_SPECIALIST", "MIDDLE_OR_LOWER_MANAGER"]));
    assert_eq!(e["institution"]["name"], "Valsts ieņēmumu dienests");
    let id = hired["employeeId"].as_str().unwrap().to_owned();

    // No clear text anywhere in the log or the read models.
    let leaks: i64 = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM events WHERE payload::text ILIKE '%Liepa%' OR payload::text LIKE '%010190%')
              + (SELECT count(*) FROM rm_employee WHERE row_to_json(rm_employee)::text ILIKE '%Liepa%')",
    )
    .fetch_one(&s.db.pool)
    .await
    .unwrap();
    assert_eq!(leaks, 0);

    let erased = s.mutate(ERASE, json!({ "input": { "employeeId": id } })).await;
    assert_eq!(erased["userErrors"], json!([]), "{erased}");
    assert_eq!(
        erased["employee"],
        json!({ "personalDataErased": true, "personalData": null })
    );
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM personal_data_keys")
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    assert_eq!(keys, 0, "the key is destroyed");

    // Even a replay of the log cannot bring the data back: the sealed copy in
    // the hire event no longer opens. And the history still verifies.
    let q = s
        .gql(
            "query($id: UUID!) { employee(id: $id) { personalData { name } personalDataErased } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        q["data"]["employee"],
        json!({ "personalData": null, "personalDataErased": true })
    );
    let out = Command::new(env!("CARGO_BIN_EXE_prasme"))
        .arg("verify")
        .env("DATABASE_URL", &s.db.url)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let again = s.mutate(ERASE, json!({ "input": { "employeeId": id } })).await;
    assert_eq!(again["userErrors"][0]["code"], "NOTHING_TO_CHANGE");
    s.shut_down().await;
}

#[tokio::test]
async fn an_employment_moves_between_institutions_and_ends() {
    let s = start().await;
    let vid = institution(&s, "Valsts ieņēmumu dienests", "FM").await;
    let kase = institution(&s, "Valsts kase", "FM").await;
    let boss = hire(&s, &vid, "Pēteris Ozols").await["employeeId"]
        .as_str()
        .unwrap()
        .to_owned();
    let anna = hire(&s, &vid, "Anna Liepa").await["employeeId"]
        .as_str()
        .unwrap()
        .to_owned();
    let m = s
        .mutate(
            "mutation($i: AssignManagerInput!) { assignManager(input: $i) { userErrors { code } employee { manager { id } } } }",
            json!({ "i": { "employeeId": anna, "managerId": boss } }),
        )
        .await;
    assert_eq!(m["employee"]["manager"]["id"], boss.as_str());
    let t = s
        .mutate(
            "mutation($i: TransferEmployeeInput!) { transferEmployee(input: $i) { userErrors { code field }
               employee { institution { name } manager { id } } } }",
            json!({ "i": { "employeeId": anna, "toInstitutionId": kase, "effectiveOn": "2025-01-01" } }),
        )
        .await;
    assert_eq!(
        t["employee"],
        json!({ "institution": { "name": "Valsts kase" }, "manager": null })
    );
    let periods: Vec<(String, Option<chrono::NaiveDate>)> = sqlx::query_as(
        "SELECT i.name, p.to_date FROM rm_employment_period p JOIN rm_institution i ON i.id = p.institution_id
          WHERE p.employee_id = $1::uuid ORDER BY p.from_date",
    )
    .bind(&anna)
    .fetch_all(&s.db.pool)
    .await
    .unwrap();
    assert_eq!(
        periods,
        vec![
            (
                "Valsts ieņēmumu dienests".to_owned(),
                Some("2025-01-01".parse().unwrap())
            ),
            ("Valsts kase".to_owned(), None)
        ]
    );
    let left = s
        .mutate(
            "mutation($i: RecordEmployeeLeftInput!) { recordEmployeeLeft(input: $i) { userErrors { code } employee { leftOn } } }",
            json!({ "i": { "employeeId": anna, "leftOn": "2026-06-30" } }),
        )
        .await;
    assert_eq!(left["employee"]["leftOn"], "2026-06-30");
    let after = s
        .mutate(
            "mutation($i: ChangeEmployeeRoleInput!) { changeEmployeeRole(input: $i) { userErrors { code field } } }",
            json!({ "i": { "employeeId": anna, "jobGroups": ["TOP_MANAGER"], "civilServant": true, "effectiveOn": "2026-07-01" } }),
        )
        .await;
    assert_eq!(
        after["userErrors"][0]["code"], "INVALID_VALUE",
        "nothing changes for someone who left"
    );
    let list = s
        .gql(
            "query($i: UUID!) { employees(institutionId: $i) { edges { node { personalData { name } } } } }",
            json!({ "i": vid }),
        )
        .await;
    assert_eq!(
        list["data"]["employees"]["edges"].as_array().unwrap().len(),
        1,
        "only the boss is still at VID"
    );
    s.shut_down().await;
}

#[tokio::test]
async fn bad_employee_input_names_the_field() {
    let s = start().await;
    let vid = institution(&s, "Valsts ieņēmumu dienests", "FM").await;
    let unknown = uuid::Uuid::now_v7().to_string();
    let hire_with = |patch: Value| {
        let mut input = json!({ "institutionId": vid, "name": "Anna Liepa", "jobGroups": ["NEW_EMPLOYEE"], "hiredOn": "2025-01-01" });
        for (k, v) in patch.as_object().unwrap() {
            input[k] = v.clone();
        }
        json!({ "input": input })
    };
    let cases = [
        (json!({ "name": "  " }), "REQUIRED", "name"),
        (json!({ "email": "not-an-address" }), "INVALID_VALUE", "email"),
        (json!({ "personalCode": "12345" }), "INVALID_VALUE", "personalCode"),
        (json!({ "jobGroups": [] }), "REQUIRED", "jobGroups"),
        (json!({ "institutionId": unknown }), "NOT_FOUND", "institutionId"),
    ];
    for (patch, code, field) in cases {
        let p = s.mutate(HIRE, hire_with(patch.clone())).await;
        assert_eq!(p["userErrors"][0]["code"], code, "{patch}: {p}");
        assert_eq!(p["userErrors"][0]["field"], json!(["input", field]), "{patch}");
    }
    let manager = s
        .mutate(
            "mutation($i: AssignManagerInput!) { assignManager(input: $i) { userErrors { code field } } }",
            json!({ "i": { "employeeId": unknown, "managerId": unknown } }),
        )
        .await;
    assert_eq!(manager["userErrors"][0]["field"], json!(["input", "managerId"]));
    s.shut_down().await;
}

#[tokio::test]
async fn employees_are_found_by_name_through_a_blind_index_that_erasure_empties() {
    let s = start().await;
    let vid = institution(&s, "Valsts ieņēmumu dienests", "FM").await;
    let anna = hire(&s, &vid, "Anna Kalniņa").await["employeeId"].clone();
    let janis = hire(&s, &vid, "Jānis Kalnietis").await["employeeId"].clone();
    let last = hire(&s, &vid, "Līga Bērziņa-Ozola").await;
    let search = |text: &str| {
        let (s, vid, at) = (&s, vid.clone(), last["position"].clone());
        let text = text.to_owned();
        async move {
            s.gql(
                "query($i: UUID!, $q: String, $p: Position) { employees(institutionId: $i, search: $q, atLeastPosition: $p) {
                    totalCount edges { node { id } } } }",
                json!({ "i": vid, "q": text, "p": at }),
            )
            .await
        }
    };
    let found = |body: &Value| -> Vec<Value> {
        let edges = body["data"]["employees"]["edges"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let mut ids: Vec<Value> = edges.iter().map(|e| e["node"]["id"].clone()).collect();
        ids.sort_by_key(|v| v.to_string());
        ids
    };
    let sorted = |mut ids: Vec<Value>| {
        ids.sort_by_key(|v| v.to_string());
        ids
    };
    assert_eq!(found(&search("kalni").await), sorted(vec![anna.clone(), janis.clone()]));
    assert_eq!(
        found(&search("KALNINA anna").await),
        vec![anna.clone()],
        "every word, any case, no diacritics"
    );
    assert_eq!(
        found(&search("ozol").await),
        vec![last["employeeId"].clone()],
        "each word of a double name"
    );
    assert_eq!(
        found(&search("alni").await),
        Vec::<Value>::new(),
        "only the start of a word"
    );
    assert_eq!(search("kalni").await["data"]["employees"]["totalCount"], 2);

    // Nothing in the database holds the name: the index is digests.
    let names_in_clear: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM personal_name_index WHERE position(convert_to('kaln', 'UTF8') in token) > 0",
    )
    .fetch_one(&s.db.pool)
    .await
    .unwrap();
    assert_eq!(names_in_clear, 0);

    let erased = s.mutate(ERASE, json!({ "input": { "employeeId": anna } })).await;
    assert_eq!(erased["userErrors"], json!([]), "{erased}");
    let after = s
        .gql(
            "query($i: UUID!, $p: Position) { employees(institutionId: $i, search: \"kalnina\", atLeastPosition: $p) {
                totalCount } }",
            json!({ "i": vid, "p": erased["position"] }),
        )
        .await;
    assert_eq!(
        after["data"]["employees"]["totalCount"], 0,
        "an erased person is found by no search"
    );
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM personal_name_index WHERE subject_id = $1")
        .bind(uuid::Uuid::parse_str(anna.as_str().unwrap()).unwrap())
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    assert_eq!(rows, 0, "erasure deleted the person's index rows");

    for bad in ["an", "", "eins zwei drei vier fünf"] {
        let body = search(bad).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{bad:?}: {body}"
        );
    }
    s.shut_down().await;
}
