//! Individual development plans end to end (issue 20): created by the
//! employee, approved by their manager, progressed by goal levels, recorded
//! activities and a linked course's completion, ended with a review; and the
//! coverage per institution against seed 001's path.

mod common;

use common::server::{start, token, Server};
use prasme_commands::Role;
use serde_json::{json, Value};

const PLAN: &str = "planId position userErrors { code field message }
  plan { approvedOn reviewedOn goalsAchieved goalsTotal workplaceSharePercent
         goals { goalId competency targetLevel level achieved }
         activities { activityId kind workplaceBased completedOn goalId } }";

async fn created(s: &Server, mutation: &str, input: Value, id: &str) -> String {
    let p = s.mutate(mutation, json!({ "i": input })).await;
    p[id].as_str().unwrap_or_else(|| panic!("{p}")).to_owned()
}

async fn mutate_as(s: &Server, who: &str, name: &str, input_type: &str, input: Value) -> Value {
    let (_, body) = s
        .gql_as(
            who,
            &format!("mutation($i: {input_type}!) {{ {name}(input: $i) {{ {PLAN} }} }}"),
            json!({ "i": input }),
        )
        .await;
    if body["data"][name].is_null() {
        return body;
    }
    body["data"][name].clone()
}

struct World {
    s: Server,
    framework: String,
    institution: String,
    boss: String,
    anna: String,
    course: String,
    offering: String,
}

async fn world() -> World {
    let s = start().await;
    let levels: Vec<Value> = (1..=4)
        .map(|n| json!({ "number": n, "name": format!("L{n}"), "description": "…" }))
        .collect();
    let framework = s
        .mutate(
            "mutation($i: PublishCompetencyFrameworkInput!) { publishCompetencyFramework(input: $i) { frameworkId } }",
            json!({ "i": { "content": { "title": "Vadības kompetences", "areas": [{ "code": "1", "name": "Pārmaiņas",
                "competencies": [{ "code": "1.1", "name": "Pārmaiņu vadība",
                  "levels": levels }] }] } } }),
        )
        .await["frameworkId"]
        .as_str()
        .unwrap()
        .to_owned();
    let institution = created(
        &s,
        "mutation($i: RegisterInstitutionInput!) { registerInstitution(input: $i) { institutionId } }",
        json!({ "name": "Valsts kanceleja", "kind": "STATE", "resor": "VK" }),
        "institutionId",
    )
    .await;
    let hire = |name: &'static str| {
        let s = &s;
        let institution = institution.clone();
        async move {
            created(
                s,
                "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { employeeId } }",
                json!({ "institutionId": institution, "name": name, "jobGroups": ["MIDDLE_OR_LOWER_MANAGER"],
                        "hiredOn": "2024-01-01" }),
                "employeeId",
            )
            .await
        }
    };
    let boss = hire("Inese Bērziņa").await;
    let anna = hire("Anna Liepa").await;
    s.mutate(
        "mutation($i: AssignManagerInput!) { assignManager(input: $i) { userErrors { code } } }",
        json!({ "i": { "employeeId": anna, "managerId": boss } }),
    )
    .await;
    let course = created(
        &s,
        "mutation($i: CatalogueCourseInput!) { catalogueCourse(input: $i) { courseId } }",
        json!({ "description": { "title": "Pārmaiņu vadība", "owner": { "level": "PUBLIC_ADMINISTRATION" },
            "priority": "LEADERSHIP_AND_CHANGE", "measures": ["3.1"], "courseType": "CORPORATE",
            "knowledgeTest": false, "durationMinutes": 480, "language": "lv" } }),
        "courseId",
    )
    .await;
    let offering = created(
        &s,
        "mutation($i: ScheduleOfferingInput!) { scheduleOffering(input: $i) { offeringId } }",
        json!({ "courseId": course, "startsOn": "2035-03-01", "endsOn": "2035-03-02", "format": "ON_SITE",
                "capacity": 10, "costPerParticipantCents": 0, "organiser": "Valsts administrācijas skola" }),
        "offeringId",
    )
    .await;
    World {
        s,
        framework,
        institution,
        boss,
        anna,
        course,
        offering,
    }
}

fn plan_input(w: &World) -> Value {
    json!({ "employeeId": w.anna, "period": { "startsOn": "2026-01-01", "endsOn": "2035-12-31" },
        "goals": [{ "frameworkId": w.framework, "frameworkVersion": 1, "competency": "1.1", "targetLevel": 3 }],
        "activities": [
            { "kind": "COURSE", "title": "Pārmaiņu vadības kurss", "courseId": w.course, "goal": 0 },
            { "kind": "MENTORING", "title": "Mentorings ar valsts sekretāru", "goal": 0 },
            { "kind": "JOB_SHADOWING", "title": "Ēnošana Pārresoru koordinācijas centrā" },
            { "kind": "SELF_STUDY", "title": "Grāmata par pārmaiņām" }
        ] })
}

#[tokio::test]
async fn a_plan_is_drafted_by_the_employee_approved_by_the_manager_progressed_and_reviewed() {
    let w = world().await;
    let s = &w.s;
    let inst = Some(w.institution.parse().unwrap());
    let anna = token(&w.anna, &[Role::Employee], inst, None);
    let boss = token(&w.boss, &[Role::Manager], inst, None);

    let created = mutate_as(
        s,
        &anna,
        "createDevelopmentPlan",
        "CreateDevelopmentPlanInput",
        plan_input(&w),
    )
    .await;
    assert_eq!(created["userErrors"], json!([]), "{created}");
    let plan_id = created["planId"].as_str().unwrap().to_owned();
    let plan = &created["plan"];
    assert_eq!(plan["approvedOn"], Value::Null);
    assert_eq!(plan["workplaceSharePercent"], 50.0);
    let goal = plan["goals"][0]["goalId"].as_str().unwrap().to_owned();
    let activities = plan["activities"].as_array().unwrap();
    assert_eq!(activities[0]["goalId"], goal.as_str());
    assert_eq!(activities[1]["workplaceBased"], true);
    assert_eq!(activities[3]["workplaceBased"], false);
    let mentoring = activities[1]["activityId"].as_str().unwrap().to_owned();

    // The employee does not approve their own plan; their manager does, once.
    let approve = json!({ "planId": plan_id, "approvedOn": "2026-01-15" });
    let own = mutate_as(
        s,
        &anna,
        "approveDevelopmentPlan",
        "ApproveDevelopmentPlanInput",
        approve.clone(),
    )
    .await;
    assert_eq!(own["errors"][0]["extensions"]["code"], "FORBIDDEN", "{own}");
    let approved = mutate_as(
        s,
        &boss,
        "approveDevelopmentPlan",
        "ApproveDevelopmentPlanInput",
        approve.clone(),
    )
    .await;
    assert_eq!(approved["plan"]["approvedOn"], "2026-01-15", "{approved}");
    let again = mutate_as(
        s,
        &boss,
        "approveDevelopmentPlan",
        "ApproveDevelopmentPlanInput",
        approve,
    )
    .await;
    assert_eq!(again["userErrors"][0]["code"], "NOTHING_TO_CHANGE", "{again}");

    let progress =
        |level: i32| json!({ "planId": plan_id, "goalId": goal, "level": level, "recordedOn": "2026-06-01" });
    let off = mutate_as(s, &anna, "recordGoalProgress", "RecordGoalProgressInput", progress(5)).await;
    assert_eq!(off["userErrors"][0]["field"], json!(["input", "level"]), "{off}");
    let reached = mutate_as(s, &anna, "recordGoalProgress", "RecordGoalProgressInput", progress(3)).await;
    assert_eq!(
        reached["plan"]["goals"][0],
        json!({ "goalId": goal, "competency": "1.1", "targetLevel": 3, "level": 3, "achieved": true })
    );
    let done = json!({ "planId": plan_id, "activityId": mentoring, "completedOn": "2026-09-30" });
    let completed = mutate_as(
        s,
        &anna,
        "completeDevelopmentActivity",
        "CompleteDevelopmentActivityInput",
        done.clone(),
    )
    .await;
    assert_eq!(
        completed["plan"]["activities"][1]["completedOn"], "2026-09-30",
        "{completed}"
    );
    let twice = mutate_as(
        s,
        &anna,
        "completeDevelopmentActivity",
        "CompleteDevelopmentActivityInput",
        done,
    )
    .await;
    assert_eq!(twice["userErrors"][0]["code"], "NOTHING_TO_CHANGE");

    // A passed completion of the linked course marks the course activity done.
    let at = s.pass(&w.offering, &w.anna, "2035-03-02").await;
    let read = s
        .gql(
            "query($id: UUID!, $p: Position) { developmentPlan(id: $id, atLeastPosition: $p) { activities { completedOn } } }",
            json!({ "id": plan_id, "p": at }),
        )
        .await;
    assert_eq!(
        read["data"]["developmentPlan"]["activities"][0]["completedOn"], "2035-03-02",
        "{read}"
    );

    let review = json!({ "planId": plan_id, "reviewedOn": "2035-12-20", "summary": "Mērķis sasniegts" });
    let reviewed = mutate_as(s, &boss, "reviewDevelopmentPlan", "ReviewDevelopmentPlanInput", review).await;
    assert_eq!(reviewed["userErrors"], json!([]), "{reviewed}");
    assert_eq!(
        (
            reviewed["plan"]["goalsAchieved"].clone(),
            reviewed["plan"]["goalsTotal"].clone()
        ),
        (json!(1), json!(1))
    );
    let late = mutate_as(s, &anna, "recordGoalProgress", "RecordGoalProgressInput", progress(4)).await;
    assert_eq!(late["userErrors"][0]["field"], json!(["input", "planId"]), "{late}");

    let (_, listed) = s
        .gql_as(
            &boss,
            "query($e: UUID!) { developmentPlans(employeeId: $e) { totalCount nodes { planId reviewedOn } } }",
            json!({ "e": w.anna }),
        )
        .await;
    assert_eq!(
        listed["data"]["developmentPlans"],
        json!({ "totalCount": 1, "nodes": [{ "planId": plan_id, "reviewedOn": "2035-12-20" }] })
    );
    w.s.shut_down().await;
}

#[tokio::test]
async fn a_bad_plan_is_refused_with_the_field_at_fault() {
    let w = world().await;
    let s = &w.s;
    // Each case sets JSON pointers of a good input to bad values.
    let cases = [
        (
            vec![("/period/endsOn", json!("2025-12-31"))],
            "OUT_OF_RANGE",
            json!(["input", "period", "endsOn"]),
        ),
        (
            vec![("/goals/0/competency", json!("9.9"))],
            "NOT_FOUND",
            json!(["input", "goals", "competency"]),
        ),
        (
            vec![("/goals/0/targetLevel", json!(5))],
            "OUT_OF_RANGE",
            json!(["input", "goals", "targetLevel"]),
        ),
        (
            vec![("/activities/0/courseId", Value::Null)],
            "REQUIRED",
            json!(["input", "activities", "courseId"]),
        ),
        (
            vec![("/activities/1/goal", json!(3))],
            "NOT_FOUND",
            json!(["input", "activities", "goal"]),
        ),
        (
            vec![("/goals", json!([])), ("/activities", json!([]))],
            "REQUIRED",
            json!(["input", "goals"]),
        ),
    ];
    for (patches, code, field) in cases {
        let mut input = plan_input(&w);
        for (pointer, value) in patches {
            *input.pointer_mut(pointer).unwrap() = value;
        }
        let p = s
            .mutate(
                &format!(
                    "mutation($i: CreateDevelopmentPlanInput!) {{ createDevelopmentPlan(input: $i) {{ {PLAN} }} }}"
                ),
                json!({ "i": input }),
            )
            .await;
        assert_eq!(p["userErrors"][0]["code"], code, "{p}");
        assert_eq!(p["userErrors"][0]["field"], field, "{p}");
        assert_eq!(p["planId"], Value::Null);
    }
    w.s.shut_down().await;
}

const COVERAGE: &str = "query($y: Int!, $p: Position) { developmentPlanCoverage(year: $y, atLeastPosition: $p) {
  year targetPercent workplaceTargetPercent
  institutions { institutionId resor coverage { headcount withPlan sharePercent meetsTarget activities workplaceActivities workplaceSharePercent } }
  total { headcount withPlan sharePercent }
} }";

#[tokio::test]
async fn coverage_counts_approved_plans_against_the_path_and_hides_small_cells_from_analysts() {
    let w = world().await;
    let s = &w.s;
    let created = s
        .mutate(
            &format!("mutation($i: CreateDevelopmentPlanInput!) {{ createDevelopmentPlan(input: $i) {{ {PLAN} }} }}"),
            json!({ "i": plan_input(&w) }),
        )
        .await;
    let plan_id = created["planId"].as_str().unwrap().to_owned();
    // An unapproved plan covers no one.
    let before = s.gql(COVERAGE, json!({ "y": 2026, "p": created["position"] })).await;
    let row = &before["data"]["developmentPlanCoverage"]["institutions"][0]["coverage"];
    assert_eq!(
        (row["headcount"].clone(), row["withPlan"].clone()),
        (json!(2), json!(0)),
        "{before}"
    );
    let boss = token(&w.boss, &[Role::Manager], Some(w.institution.parse().unwrap()), None);
    let approved = mutate_as(
        s,
        &boss,
        "approveDevelopmentPlan",
        "ApproveDevelopmentPlanInput",
        json!({ "planId": plan_id, "approvedOn": "2026-01-15" }),
    )
    .await;
    let after = s.gql(COVERAGE, json!({ "y": 2026, "p": approved["position"] })).await;
    let report = &after["data"]["developmentPlanCoverage"];
    assert_eq!(report["targetPercent"], 20, "{after}");
    assert_eq!(report["workplaceTargetPercent"], 70);
    assert_eq!(
        report["institutions"][0],
        json!({ "institutionId": w.institution, "resor": "VK", "coverage": {
            "headcount": 2, "withPlan": 1, "sharePercent": 50.0, "meetsTarget": true,
            "activities": 4, "workplaceActivities": 2, "workplaceSharePercent": 50.0 } })
    );
    assert_eq!(
        report["total"],
        json!({ "headcount": 2, "withPlan": 1, "sharePercent": 50.0 })
    );
    // A plan for 2026–2035 counts in 2030 too, a year the path has no target for.
    let later = s.gql(COVERAGE, json!({ "y": 2030 })).await;
    assert_eq!(later["data"]["developmentPlanCoverage"]["targetPercent"], Value::Null);

    let analyst = token("analyst", &[Role::VkAnalyst], None, None);
    let (_, hidden) = s.gql_as(&analyst, COVERAGE, json!({ "y": 2026 })).await;
    let row = &hidden["data"]["developmentPlanCoverage"]["institutions"][0]["coverage"];
    assert_eq!(
        (
            row["headcount"].clone(),
            row["withPlan"].clone(),
            row["activities"].clone()
        ),
        (Value::Null, Value::Null, Value::Null),
        "{hidden}"
    );
    let employee = token(&w.anna, &[Role::Employee], Some(w.institution.parse().unwrap()), None);
    let (_, none) = s.gql_as(&employee, COVERAGE, json!({ "y": 2026 })).await;
    assert_eq!(
        none["data"]["developmentPlanCoverage"]["institutions"],
        json!([]),
        "{none}"
    );
    w.s.shut_down().await;
}
