//! Competency frameworks, assessments and profiles end to end (issue 20).

mod common;

use common::server::{start, token, Server};
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

const ASSESS: &str = "mutation($input: AssessCompetencyInput!) {
  assessCompetency(input: $input) { employeeId position userErrors { code field message } }
}";

const PROFILE: &str = "query($e: UUID!, $f: UUID!, $p: Position) {
  competencyProfile(employeeId: $e, frameworkId: $f, atLeastPosition: $p) {
    jobGroups version
    competencies { area competency { code } requiredLevel currentLevel gap
      current { level method assessedOn assessorId evidenceNote }
      evidence { courseTitle level completedOn } }
    history { level assessedOn method }
  }
}";

async fn created(s: &Server, mutation: &str, input: Value, id: &str) -> String {
    let p = s.mutate(mutation, json!({ "i": input })).await;
    p[id].as_str().unwrap_or_else(|| panic!("{p}")).to_owned()
}

async fn institution(s: &Server, name: &str) -> String {
    created(
        s,
        "mutation($i: RegisterInstitutionInput!) { registerInstitution(input: $i) { institutionId } }",
        json!({ "name": name, "kind": "STATE", "resor": "VARAM" }),
        "institutionId",
    )
    .await
}

async fn hire(s: &Server, institution: &str, name: &str, job_group: &str) -> String {
    created(
        s,
        "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { employeeId } }",
        json!({ "institutionId": institution, "name": name, "jobGroups": [job_group], "hiredOn": "2024-01-01" }),
        "employeeId",
    )
    .await
}

/// A framework whose competency 1.1 top managers need at level 3, and 1.2 nobody.
async fn framework(s: &Server, title: &str) -> String {
    let p = s
        .mutate(PUBLISH, json!({ "input": { "content": digital(title, 8) } }))
        .await;
    p["frameworkId"].as_str().unwrap().to_owned()
}

/// A passed completion of a course that develops `competency` of `framework` to level 2.
async fn complete_course(s: &Server, framework: &str, competency: &str, employee: &str) {
    let course = created(
        s,
        "mutation($i: CatalogueCourseInput!) { catalogueCourse(input: $i) { courseId } }",
        json!({ "description": { "title": "Datu avoti valsts pārvaldē", "owner": { "level": "PUBLIC_ADMINISTRATION" },
            "priority": "DIGITAL_TRANSFORMATION", "measures": ["4.1"], "courseType": "E_LEARNING",
            "knowledgeTest": false, "durationMinutes": 240, "language": "lv",
            "develops": [{ "frameworkId": framework, "competency": competency, "level": 2 }] } }),
        "courseId",
    )
    .await;
    let offering = created(
        s,
        "mutation($i: ScheduleOfferingInput!) { scheduleOffering(input: $i) { offeringId } }",
        json!({ "courseId": course, "startsOn": "2035-03-01", "endsOn": "2035-03-02", "format": "ONLINE",
                "capacity": 5, "costPerParticipantCents": 0, "organiser": "Valsts administrācijas skola" }),
        "offeringId",
    )
    .await;
    s.pass(&offering, employee, "2035-03-02").await;
}

fn assessment(employee: &str, framework: &str, competency: &str, level: i32, method: &str, on: &str) -> Value {
    json!({ "input": { "employeeId": employee, "frameworkId": framework, "frameworkVersion": 1,
        "competency": competency, "level": level, "method": method, "assessedOn": on } })
}

#[tokio::test]
async fn assessments_supersede_by_business_date_and_the_profile_shows_gaps_evidence_and_history() {
    let s = start().await;
    let f = framework(&s, "Digitālā kompetence").await;
    let varam = institution(&s, "Vides aizsardzības un reģionālās attīstības ministrija").await;
    let other = institution(&s, "Valsts reģionālās attīstības aģentūra").await;
    let boss = hire(&s, &varam, "Inese Bērziņa", "TOP_MANAGER").await;
    let anna = hire(&s, &varam, "Anna Liepa", "TOP_MANAGER").await;
    let assign = s
        .mutate(
            "mutation($i: AssignManagerInput!) { assignManager(input: $i) { userErrors { code } } }",
            json!({ "i": { "employeeId": anna, "managerId": boss } }),
        )
        .await;
    assert_eq!(assign["userErrors"], json!([]));
    complete_course(&s, &f, "1.2", &anna).await;
    let manager = token(&boss, &[Role::Manager], Some(varam.parse().unwrap()), None);
    let employee = token(&anna, &[Role::Employee], Some(varam.parse().unwrap()), None);

    let mut last = Value::Null;
    for (level, on, note) in [(2, "2025-05-01", "pirmais novērtējums"), (3, "2026-01-10", "pēc kursa")] {
        let mut input = assessment(&anna, &f, "1.1", level, "MANAGER", on);
        input["input"]["evidenceNote"] = json!(note);
        let (_, body) = s.gql_as(&manager, ASSESS, input).await;
        let p = &body["data"]["assessCompetency"];
        assert_eq!(p["userErrors"], json!([]), "{body}");
        assert_eq!(p["employeeId"], anna.as_str());
        last = p["position"].clone();
    }
    // Recorded last, dated first: history, but not the current level.
    let (_, body) = s
        .gql_as(
            &manager,
            ASSESS,
            assessment(&anna, &f, "1.1", 5, "ASSESSMENT_CENTRE", "2024-11-01"),
        )
        .await;
    assert_eq!(body["data"]["assessCompetency"]["userErrors"], json!([]), "{body}");
    let (_, body) = s
        .gql_as(
            &employee,
            ASSESS,
            assessment(&anna, &f, "1.2", 1, "SELF_ASSESSMENT", "2026-02-01"),
        )
        .await;
    assert_eq!(body["data"]["assessCompetency"]["userErrors"], json!([]), "{body}");
    let at = body["data"]["assessCompetency"]["position"].clone();
    assert!(at.as_i64() > last.as_i64());

    let (_, profile) = s
        .gql_as(&employee, PROFILE, json!({ "e": anna, "f": f, "p": at }))
        .await;
    let p = &profile["data"]["competencyProfile"];
    assert_eq!(p["jobGroups"], json!(["TOP_MANAGER"]), "{profile}");
    let search = &p["competencies"][0];
    assert_eq!(search["competency"]["code"], "1.1");
    assert_eq!(
        (
            search["requiredLevel"].clone(),
            search["currentLevel"].clone(),
            search["gap"].clone()
        ),
        (json!(3), json!(3), json!(0))
    );
    assert_eq!(search["current"]["evidenceNote"], "pēc kursa");
    assert_eq!(search["current"]["assessorId"], boss.as_str());
    assert_eq!(search["evidence"], json!([]));
    let judge = &p["competencies"][1];
    assert_eq!(
        (
            judge["requiredLevel"].clone(),
            judge["currentLevel"].clone(),
            judge["gap"].clone()
        ),
        (Value::Null, json!(1), Value::Null)
    );
    assert_eq!(judge["current"]["method"], "SELF_ASSESSMENT");
    assert_eq!(
        judge["evidence"],
        json!([{ "courseTitle": "Datu avoti valsts pārvaldē", "level": 2, "completedOn": "2035-03-02" }])
    );
    let dates: Vec<&str> = p["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["assessedOn"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-02-01", "2026-01-10", "2025-05-01", "2024-11-01"]);

    // Each assessment counts where the employee stood on its date.
    let moved = s
        .mutate(
            "mutation($i: TransferEmployeeInput!) { transferEmployee(input: $i) { userErrors { code } } }",
            json!({ "i": { "employeeId": anna, "toInstitutionId": other, "effectiveOn": "2026-06-01" } }),
        )
        .await;
    assert_eq!(moved["userErrors"], json!([]));
    for (on, at) in [("2026-05-31", &varam), ("2026-06-01", &other)] {
        let p = s
            .mutate(ASSESS, assessment(&anna, &f, "1.2", 2, "KNOWLEDGE_TEST", on))
            .await;
        assert_eq!(p["userErrors"], json!([]), "{p}");
        s.gql(PROFILE, json!({ "e": anna, "f": f, "p": p["position"] })).await;
        let counted: uuid::Uuid = sqlx::query_scalar(
            "SELECT institution_id FROM rm_competency_assessment WHERE employee_id = $1 AND assessed_on = $2::date",
        )
        .bind(anna.parse::<uuid::Uuid>().unwrap())
        .bind(on)
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
        assert_eq!(counted.to_string(), *at);
    }
    s.shut_down().await;
}

#[tokio::test]
async fn a_bad_assessment_is_refused_with_a_typed_error_and_only_within_reach() {
    let s = start().await;
    let f = framework(&s, "Digitālā kompetence").await;
    let retired = framework(&s, "Vecā digitālā kompetence").await;
    let r = s
        .mutate(
            RETIRE,
            json!({ "input": { "frameworkId": retired, "reason": "Aizstāts" } }),
        )
        .await;
    assert_eq!(r["userErrors"], json!([]));
    let varam = institution(&s, "Vides aizsardzības un reģionālās attīstības ministrija").await;
    let boss = hire(&s, &varam, "Inese Bērziņa", "TOP_MANAGER").await;
    let anna = hire(&s, &varam, "Anna Liepa", "MIDDLE_OR_LOWER_MANAGER").await;
    let janis = hire(&s, &varam, "Jānis Ozols", "MIDDLE_OR_LOWER_MANAGER").await;
    s.mutate(
        "mutation($i: AssignManagerInput!) { assignManager(input: $i) { userErrors { code } } }",
        json!({ "i": { "employeeId": anna, "managerId": boss } }),
    )
    .await;
    let manager = token(&boss, &[Role::Manager], Some(varam.parse().unwrap()), None);
    let employee = token(&anna, &[Role::Employee], Some(varam.parse().unwrap()), None);

    let mut unknown_version = assessment(&anna, &f, "1.1", 2, "MANAGER", "2025-01-01");
    unknown_version["input"]["frameworkVersion"] = json!(2);
    for (who, input, code, field) in [
        (
            &manager,
            assessment(&anna, &f, "1.1", 9, "MANAGER", "2025-01-01"),
            "OUT_OF_RANGE",
            "level",
        ),
        (
            &manager,
            assessment(&anna, &f, "1.1", 0, "MANAGER", "2025-01-01"),
            "OUT_OF_RANGE",
            "level",
        ),
        (
            &manager,
            assessment(&anna, &f, "7.7", 2, "MANAGER", "2025-01-01"),
            "NOT_FOUND",
            "competency",
        ),
        (&manager, unknown_version, "NOT_FOUND", "frameworkVersion"),
        (
            &manager,
            assessment(&anna, &retired, "1.1", 2, "MANAGER", "2025-01-01"),
            "INVALID_VALUE",
            "frameworkId",
        ),
        (
            &manager,
            assessment(&anna, &varam, "1.1", 2, "MANAGER", "2025-01-01"),
            "NOT_FOUND",
            "frameworkId",
        ),
        (
            &manager,
            assessment(&anna, &f, "1.1", 2, "MANAGER", "2099-01-01"),
            "OUT_OF_RANGE",
            "assessedOn",
        ),
        (
            &manager,
            assessment(&anna, &f, "1.1", 2, "MANAGER", "2023-12-31"),
            "OUT_OF_RANGE",
            "assessedOn",
        ),
        (
            &manager,
            assessment(&anna, &f, "1.1", 2, "SELF_ASSESSMENT", "2025-01-01"),
            "INVALID_VALUE",
            "method",
        ),
        (
            &employee,
            assessment(&anna, &f, "1.1", 2, "MANAGER", "2025-01-01"),
            "INVALID_VALUE",
            "method",
        ),
        (
            &manager,
            assessment(&anna, &f, "1.1", 2, "FEEDBACK_360", "2025-01-01"),
            "INVALID_VALUE",
            "method",
        ),
    ] {
        let (_, body) = s.gql_as(who, ASSESS, input).await;
        let p = &body["data"]["assessCompetency"];
        assert_eq!(p["userErrors"][0]["code"], code, "{body}");
        assert_eq!(p["userErrors"][0]["field"], json!(["input", field]), "{body}");
        assert_eq!(p["employeeId"], Value::Null);
    }
    // Out of reach reads as FORBIDDEN, like a missing employee.
    for (who, target, method) in [(&manager, &janis, "MANAGER"), (&employee, &janis, "SELF_ASSESSMENT")] {
        let (_, body) = s
            .gql_as(who, ASSESS, assessment(target, &f, "1.1", 2, method, "2025-01-01"))
            .await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
    }
    let (_, body) = s.gql_as(&employee, PROFILE, json!({ "e": janis, "f": f })).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "NOT_FOUND", "{body}");
    s.shut_down().await;
}

const REVIEW: &str = "mutation($input: ReviewTalentInput!) {
  reviewTalent(input: $input) { employeeId position userErrors { code field }
    talentReviews { nodes { performance potential reviewedOn reviewerId } } }
}";

#[tokio::test]
async fn a_manager_places_a_report_on_the_development_matrix_and_nobody_places_themself() {
    let s = start().await;
    let varam = institution(&s, "Vides aizsardzības un reģionālās attīstības ministrija").await;
    let boss = hire(&s, &varam, "Inese Bērziņa", "TOP_MANAGER").await;
    let anna = hire(&s, &varam, "Anna Liepa", "MIDDLE_OR_LOWER_MANAGER").await;
    s.mutate(
        "mutation($i: AssignManagerInput!) { assignManager(input: $i) { userErrors { code } } }",
        json!({ "i": { "employeeId": anna, "managerId": boss } }),
    )
    .await;
    let inst = Some(varam.parse().unwrap());
    let manager = token(&boss, &[Role::Manager], inst, None);
    let review = |employee: &str, on: &str| json!({ "input": { "employeeId": employee, "performance": "HIGH", "potential": "MEDIUM", "reviewedOn": on } });
    let (_, body) = s.gql_as(&manager, REVIEW, review(&anna, "2026-03-01")).await;
    let p = &body["data"]["reviewTalent"];
    assert_eq!(p["userErrors"], json!([]), "{body}");
    assert_eq!(
        p["talentReviews"]["nodes"],
        json!([{ "performance": "HIGH", "potential": "MEDIUM", "reviewedOn": "2026-03-01", "reviewerId": boss }])
    );
    // A later placement comes first; the list pages by cursor both ways.
    let (_, body) = s.gql_as(&manager, REVIEW, review(&anna, "2026-04-01")).await;
    let at = body["data"]["reviewTalent"]["position"].clone();
    let page = |args: String| {
        let (s, manager, anna, at) = (&s, &manager, &anna, &at);
        async move {
            let (_, body) = s
                .gql_as(
                    manager,
                    &format!(
                        "query($e: UUID!, $p: Position) {{ talentReviews(employeeId: $e, atLeastPosition: $p, {args}) {{
                           totalCount pageInfo {{ hasNextPage hasPreviousPage endCursor }} nodes {{ reviewedOn }} }} }}"
                    ),
                    json!({ "e": anna, "p": at }),
                )
                .await;
            body["data"]["talentReviews"].clone()
        }
    };
    let newest = page("first: 1".into()).await;
    assert_eq!(newest["nodes"], json!([{ "reviewedOn": "2026-04-01" }]), "{newest}");
    assert_eq!(
        (newest["totalCount"].clone(), newest["pageInfo"]["hasNextPage"].clone()),
        (json!(2), json!(true))
    );
    let cursor = newest["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
    let older = page(format!("first: 5, after: \"{cursor}\"")).await;
    assert_eq!(older["nodes"], json!([{ "reviewedOn": "2026-03-01" }]), "{older}");
    assert_eq!(older["pageInfo"]["hasNextPage"], json!(false));
    let oldest = page("last: 1".into()).await;
    assert_eq!(oldest["nodes"], json!([{ "reviewedOn": "2026-03-01" }]), "{oldest}");
    assert_eq!(oldest["pageInfo"]["hasPreviousPage"], json!(true));
    let (_, body) = s.gql_as(&manager, REVIEW, review(&anna, "2099-03-01")).await;
    assert_eq!(
        body["data"]["reviewTalent"]["userErrors"][0]["field"],
        json!(["input", "reviewedOn"])
    );
    // HR reviews, but not themself; an employee reviews nobody.
    let hr = token(&boss, &[Role::InstitutionHr], inst, None);
    let (_, body) = s.gql_as(&hr, REVIEW, review(&boss, "2026-03-01")).await;
    assert_eq!(
        body["data"]["reviewTalent"]["userErrors"][0]["code"], "INVALID_VALUE",
        "{body}"
    );
    let employee = token(&anna, &[Role::Employee], inst, None);
    let (_, body) = s.gql_as(&employee, REVIEW, review(&anna, "2026-03-01")).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
    s.shut_down().await;
}

const GAPS: &str = "query($i: UUID!, $f: UUID!, $p: Position) {
  competencyGapReport(institutionId: $i, frameworkId: $f, atLeastPosition: $p) {
    version cells { jobGroup competency requiredLevel people assessed meeting below averageLevel }
  }
}";

#[tokio::test]
async fn the_gap_report_counts_current_levels_per_job_group_and_hides_small_cells_from_analysts() {
    let s = start().await;
    let f = framework(&s, "Digitālā kompetence").await;
    let varam = institution(&s, "Vides aizsardzības un reģionālās attīstības ministrija").await;
    let mut managers = Vec::new();
    for n in 0..6 {
        managers.push(hire(&s, &varam, &format!("Vadītājs {n}"), "TOP_MANAGER").await);
    }
    hire(&s, &varam, "Jaunais Darbinieks", "NEW_EMPLOYEE").await;
    let mut at = Value::Null;
    // Five meet the requirement of 3 (one of them only after a reassessment), one falls short.
    for (n, manager) in managers.iter().enumerate() {
        let level = if n == 5 { 1 } else { 3 + (n as i32 % 2) };
        let p = s
            .mutate(
                ASSESS,
                assessment(manager, &f, "1.1", level, "ASSESSMENT_CENTRE", "2026-01-15"),
            )
            .await;
        assert_eq!(p["userErrors"], json!([]), "{p}");
        at = p["position"].clone();
    }
    let p = s
        .mutate(
            ASSESS,
            assessment(&managers[0], &f, "1.1", 1, "ASSESSMENT_CENTRE", "2025-01-15"),
        )
        .await;
    assert_eq!(p["userErrors"], json!([]));

    let report = s.gql(GAPS, json!({ "i": varam, "f": f, "p": at })).await;
    let cells = &report["data"]["competencyGapReport"]["cells"];
    assert_eq!(
        cells,
        &json!([{ "jobGroup": "TOP_MANAGER", "competency": "1.1", "requiredLevel": 3, "people": 6, "assessed": 6,
                  "meeting": 5, "below": 1, "averageLevel": 3.0 }]),
        "{report}"
    );
    // An analyst reads aggregates but no person: the one below is not shown, nor what reveals it.
    let analyst = token("analyst", &[Role::VkAnalyst], None, None);
    let (_, report) = s.gql_as(&analyst, GAPS, json!({ "i": varam, "f": f })).await;
    let cell = &report["data"]["competencyGapReport"]["cells"][0];
    assert_eq!(cell["below"], Value::Null, "{report}");
    assert_eq!(cell["meeting"], Value::Null, "{report}");
    assert_eq!(cell["assessed"], Value::Null, "{report}");
    let employee = token(&managers[0], &[Role::Employee], Some(varam.parse().unwrap()), None);
    let (_, denied) = s.gql_as(&employee, GAPS, json!({ "i": varam, "f": f })).await;
    assert_eq!(denied["errors"][0]["extensions"]["code"], "NOT_FOUND", "{denied}");
    s.shut_down().await;
}

#[tokio::test]
async fn an_employee_watching_their_profile_hears_of_an_assessment_after_it_is_projected() {
    use futures::SinkExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    let s = start().await;
    let f = framework(&s, "Digitālā kompetence").await;
    let varam = institution(&s, "Vides aizsardzības un reģionālās attīstības ministrija").await;
    let boss = hire(&s, &varam, "Inese Bērziņa", "TOP_MANAGER").await;
    let anna = hire(&s, &varam, "Anna Liepa", "TOP_MANAGER").await;
    let outsider = hire(&s, &varam, "Jānis Ozols", "TOP_MANAGER").await;
    s.mutate(
        "mutation($i: AssignManagerInput!) { assignManager(input: $i) { userErrors { code } } }",
        json!({ "i": { "employeeId": anna, "managerId": boss } }),
    )
    .await;
    let inst = Some(varam.parse().unwrap());
    let mut request = format!("ws://{}/graphql", s.addr).into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = |v: Value| Message::Text(v.to_string().into());
    let own = token(&anna, &[Role::Employee], inst, None);
    ws.send(send(common::server::connection_init(&own))).await.unwrap();
    assert_eq!(common::server::next_json(&mut ws).await["type"], "connection_ack");
    // Someone else's profile reads as missing.
    ws.send(send(json!({ "id": "x", "type": "subscribe", "payload": { "query":
        format!("subscription {{ competencyProfileUpdated(employeeId: \"{outsider}\", frameworkId: \"{f}\") {{ position }} }}") } })))
        .await
        .unwrap();
    let refused = common::server::next_json(&mut ws).await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{refused}"
    );
    ws.send(send(json!({ "id": "p", "type": "subscribe", "payload": { "query":
        format!("subscription {{ competencyProfileUpdated(employeeId: \"{anna}\", frameworkId: \"{f}\") {{ position profile {{ competencies {{ currentLevel }} }} }} }}") } })))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let manager = token(&boss, &[Role::Manager], inst, None);
    let (_, body) = s
        .gql_as(
            &manager,
            ASSESS,
            assessment(&anna, &f, "1.1", 4, "MANAGER", "2026-02-01"),
        )
        .await;
    let assessed = &body["data"]["assessCompetency"];
    assert_eq!(assessed["userErrors"], json!([]), "{body}");
    // The refused subscription may still be completing.
    let update = loop {
        let msg = common::server::next_json(&mut ws).await;
        if msg["id"] == "p" {
            break msg;
        }
        assert_eq!(msg, json!({ "id": "x", "type": "complete" }));
    };
    let data = &update["payload"]["data"]["competencyProfileUpdated"];
    assert_eq!(data["position"], assessed["position"]);
    assert_eq!(data["profile"]["competencies"][0]["currentLevel"], 4);
    drop(ws);
    s.shut_down().await;
}
