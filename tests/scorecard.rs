//! The institution scorecard end to end: a year of one institution's
//! budget, learning time, development plans and participation per priority,
//! each figure computed here again from what the test wrote; transfers that
//! move participation (one recorded after the completion it re-attributes);
//! small cells hidden from analysts; who may read it.

mod common;

use chrono::{Datelike, NaiveDate};
use common::server::{start, token, Server};
use prasme_commands::Role;
use prasme_domain::reference::Resor;
use serde_json::{json, Value};
use uuid::Uuid;

const YEAR: i32 = 2025;

const CARD: &str = "query($i: UUID!, $y: Int!, $p: Position) {
  institutionScorecard(institutionId: $i, year: $y, atLeastPosition: $p) {
    institutionId year referenceDate
    budget { line { remunerationCents allocatedCents shareOfPayrollPercent status } targetPercent floorPercent }
    learning { months employeeMonths minutes minutesPerEmployeePerMonth hoursPerEmployeePerMonth
               targetMinutesPerMonth meetsTarget }
    developmentPlans { headcount withPlan sharePercent targetPercent meetsTarget }
    workplaceLearning { activities workplaceActivities sharePercent targetPercent meetsTarget }
    priorities { priority number participants sharePercent }
  } }";

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Where someone worked: [from, to), as the employment periods say.
struct Period {
    institution: usize,
    from: NaiveDate,
    to: Option<NaiveDate>,
}

struct Completion {
    employee: usize,
    /// 0: integrity course, 1: digital course.
    course: usize,
    passed: bool,
    minutes: i64,
    on: &'static str,
    revoked: bool,
}

const PRIORITIES: [&str; 5] = [
    "INTEGRITY",
    "INNOVATION_AND_CO_CREATION",
    "LEADERSHIP_AND_CHANGE",
    "DIGITAL_TRANSFORMATION",
    "PROFESSIONALISATION",
];
const COURSE_PRIORITY: [usize; 2] = [0, 3];

/// The model the test computes its expectations from.
struct Model {
    /// Per employee, their periods in log order.
    periods: Vec<Vec<Period>>,
    completions: Vec<Completion>,
}

impl Model {
    fn employed(&self, e: usize, institution: usize, from: NaiveDate, until: NaiveDate) -> bool {
        // Employed there on at least one day of [from, until).
        self.periods[e]
            .iter()
            .any(|p| p.institution == institution && p.from < until && p.to.is_none_or(|to| to > from))
    }

    fn headcount(&self, institution: usize, on: NaiveDate) -> i64 {
        (0..self.periods.len())
            .filter(|&e| {
                self.periods[e]
                    .iter()
                    .any(|p| p.institution == institution && p.from <= on && p.to.is_none_or(|to| to > on))
            })
            .count() as i64
    }

    fn employee_months(&self, institution: usize) -> (i64, i64) {
        let (mut sum, mut peak) = (0, 0);
        for m in 1..=12 {
            let first = NaiveDate::from_ymd_opt(YEAR, m, 1).unwrap();
            let next = first.checked_add_months(chrono::Months::new(1)).unwrap();
            let n = (0..self.periods.len())
                .filter(|&e| self.employed(e, institution, first, next))
                .count() as i64;
            sum += n;
            peak = peak.max(n);
        }
        (sum, peak)
    }

    /// Where the employee stood on `on`: the latest period begun by then.
    fn standing(&self, e: usize, on: NaiveDate) -> usize {
        self.periods[e]
            .iter()
            .filter(|p| p.from <= on)
            .max_by_key(|p| p.from)
            .unwrap()
            .institution
    }

    fn participants(&self, institution: usize, priority: usize) -> i64 {
        let mut who: Vec<usize> = self
            .completions
            .iter()
            .filter(|c| c.passed && !c.revoked && COURSE_PRIORITY[c.course] == priority)
            .filter(|c| date(c.on).year() == YEAR && self.standing(c.employee, date(c.on)) == institution)
            .map(|c| c.employee)
            .collect();
        who.sort_unstable();
        who.dedup();
        who.len() as i64
    }
}

/// A percentage as the API gives it: two decimals.
fn percent(part: i64, whole: i64) -> Value {
    json!((part as f64 * 10_000.0 / whole as f64).round() / 100.0)
}

/// `part` / `whole` to two decimals, half up, as text.
fn two_decimals(part: i64, whole: i64) -> String {
    let q = (part * 100 + whole / 2) / whole;
    format!("{}.{:02}", q / 100, q % 100)
}

async fn created(s: &Server, mutation: &str, input: Value, id: &str) -> String {
    let p = s.mutate(mutation, json!({ "i": input })).await;
    p[id].as_str().unwrap_or_else(|| panic!("{p}")).to_owned()
}

/// Runs a mutation as SYSTEM, failing on a refusal; its position.
async fn run(s: &Server, name: &str, input_type: &str, input: Value) -> Value {
    let p = s
        .mutate(
            &format!("mutation($i: {input_type}!) {{ {name}(input: $i) {{ userErrors {{ code field message }} position }} }}"),
            json!({ "i": input }),
        )
        .await;
    assert_eq!(p["userErrors"], json!([]), "{name}: {p}");
    p["position"].clone()
}

struct World {
    s: Server,
    institutions: [String; 2],
    employees: Vec<String>,
    courses: [String; 2],
    model: Model,
    at: Value,
}

async fn world() -> World {
    let s = start().await;
    let register = |name: &'static str, resor: &'static str| {
        let s = &s;
        async move {
            created(
                s,
                "mutation($i: RegisterInstitutionInput!) { registerInstitution(input: $i) { institutionId } }",
                json!({ "name": name, "kind": "STATE", "resor": resor }),
                "institutionId",
            )
            .await
        }
    };
    let institutions = [
        register("Valsts kanceleja", "VK").await,
        register("Valsts kase", "FM").await,
    ];
    run(
        &s,
        "declareRemunerationBudget",
        "DeclareRemunerationBudgetInput",
        json!({ "institutionId": institutions[0], "year": YEAR, "amountCents": 100_000_000 }),
    )
    .await;
    run(
        &s,
        "allocateTrainingBudget",
        "AllocateTrainingBudgetInput",
        json!({ "institutionId": institutions[0], "year": YEAR, "amountCents": 3_000_000,
                "fundingSource": "STATE_BUDGET" }),
    )
    .await;

    // A: 14 employees since 2024, one more from 15 April; B: 2.
    let mut hires: Vec<(usize, &str)> = vec![(0, "2024-01-01"); 14];
    hires.push((0, "2025-04-15"));
    hires.extend([(1, "2024-01-01"), (1, "2024-01-01")]);
    let mut employees = Vec::new();
    let mut periods = Vec::new();
    for (n, (institution, hired_on)) in hires.iter().enumerate() {
        employees.push(
            created(
                &s,
                "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { employeeId } }",
                json!({ "institutionId": institutions[*institution], "name": format!("Darbinieks {n}"),
                        "jobGroups": ["HR_SPECIALIST"], "hiredOn": hired_on }),
                "employeeId",
            )
            .await,
        );
        periods.push(vec![Period {
            institution: *institution,
            from: date(hired_on),
            to: None,
        }]);
    }

    let course = |title: &'static str, priority: &'static str, measure: &'static str| {
        let s = &s;
        async move {
            created(
                s,
                "mutation($i: CatalogueCourseInput!) { catalogueCourse(input: $i) { courseId } }",
                json!({ "description": { "title": title, "owner": { "level": "PUBLIC_ADMINISTRATION" },
                    "priority": priority, "measures": [measure], "courseType": "CORPORATE",
                    "knowledgeTest": false, "durationMinutes": 240, "language": "lv" } }),
                "courseId",
            )
            .await
        }
    };
    let courses = [
        course("Ētika valsts pārvaldē", "INTEGRITY", "1.1").await,
        course("Datpratība", "DIGITAL_TRANSFORMATION", "4.3").await,
    ];
    let mut offerings = Vec::new();
    for c in &courses {
        offerings.push(
            created(
                &s,
                "mutation($i: ScheduleOfferingInput!) { scheduleOffering(input: $i) { offeringId } }",
                json!({ "courseId": c, "startsOn": "2035-03-01", "endsOn": "2035-03-02", "format": "ON_SITE",
                        "capacity": 30, "costPerParticipantCents": 0, "organiser": "Valsts administrācijas skola" }),
                "offeringId",
            )
            .await,
        );
    }

    let c = |employee, course, passed, minutes, on, revoked| Completion {
        employee,
        course,
        passed,
        minutes,
        on,
        revoked,
    };
    let completions = vec![
        // Integrity: five in March, and employee 12, who moves to B in June.
        c(0, 0, true, 240, "2025-03-10", false),
        c(1, 0, true, 240, "2025-03-10", false),
        c(2, 0, true, 240, "2025-03-10", false),
        c(3, 0, true, 240, "2025-03-10", false),
        c(4, 0, true, 240, "2025-03-10", false),
        c(12, 0, true, 240, "2025-03-12", false),
        // Digital: two pass; 11 passes in August but stood in B from 1 August
        // (a transfer recorded after the completion); 2 fails; 3's pass is
        // revoked; 5's pass is of another year.
        c(0, 1, true, 120, "2025-05-05", false),
        c(1, 1, true, 120, "2025-05-05", false),
        c(11, 1, true, 300, "2025-08-20", false),
        c(2, 1, false, 60, "2025-05-05", false),
        c(3, 1, true, 90, "2025-05-05", true),
        c(5, 1, true, 100, "2024-11-11", false),
    ];
    for done in &completions {
        let place = json!({ "offeringId": offerings[done.course], "employeeId": employees[done.employee] });
        run(&s, "requestPlace", "PlaceInput", place.clone()).await;
        run(&s, "approvePlace", "PlaceInput", place.clone()).await;
        let mut attended = place.clone();
        attended["attendance"] = json!("ATTENDED");
        run(&s, "recordAttendance", "RecordAttendanceInput", attended).await;
        let mut result = place.clone();
        result["passed"] = json!(done.passed);
        result["minutes"] = json!(done.minutes);
        result["completedOn"] = json!(done.on);
        run(&s, "recordCompletion", "RecordCompletionInput", result).await;
        if done.revoked {
            let mut revoke = place.clone();
            revoke["reason"] = json!("ierakstīts kļūdaini");
            run(&s, "revokeCompletion", "PlaceInput", revoke).await;
        }
    }

    // After the completions: 12 moves to B from 1 June, 11 from 1 August,
    // 13 leaves on 30 September.
    for (e, on) in [(12, "2025-06-01"), (11, "2025-08-01")] {
        run(
            &s,
            "transferEmployee",
            "TransferEmployeeInput",
            json!({ "employeeId": employees[e], "toInstitutionId": institutions[1], "effectiveOn": on }),
        )
        .await;
        periods[e][0].to = Some(date(on));
        periods[e].push(Period {
            institution: 1,
            from: date(on),
            to: None,
        });
    }
    let at = run(
        &s,
        "recordEmployeeLeft",
        "RecordEmployeeLeftInput",
        json!({ "employeeId": employees[13], "leftOn": "2025-09-30" }),
    )
    .await;
    periods[13][0].to = Some(date("2025-09-30"));

    World {
        s,
        institutions,
        employees,
        courses,
        model: Model { periods, completions },
        at,
    }
}

/// An approved plan for employee 0 with three workplace-based activities of four.
async fn plan(w: &World) -> Value {
    let s = &w.s;
    let levels: Vec<Value> = (1..=4)
        .map(|n| json!({ "number": n, "name": format!("L{n}"), "description": "…" }))
        .collect();
    let framework = created(
        s,
        "mutation($i: PublishCompetencyFrameworkInput!) { publishCompetencyFramework(input: $i) { frameworkId } }",
        json!({ "content": { "title": "Vadības kompetences", "areas": [{ "code": "1", "name": "Pārmaiņas",
            "competencies": [{ "code": "1.1", "name": "Pārmaiņu vadība", "levels": levels }] }] } }),
        "frameworkId",
    )
    .await;
    run(
        s,
        "assignManager",
        "AssignManagerInput",
        json!({ "employeeId": w.employees[0], "managerId": w.employees[1] }),
    )
    .await;
    let plan = created(
        s,
        "mutation($i: CreateDevelopmentPlanInput!) { createDevelopmentPlan(input: $i) { planId } }",
        json!({ "employeeId": w.employees[0], "period": { "startsOn": "2025-01-01", "endsOn": "2025-12-31" },
            "goals": [{ "frameworkId": framework, "frameworkVersion": 1, "competency": "1.1", "targetLevel": 3 }],
            "activities": [
                { "kind": "COURSE", "title": "Ētikas kurss", "goal": 0, "courseId": w.courses[0] },
                { "kind": "MENTORING", "title": "Mentorings" },
                { "kind": "JOB_SHADOWING", "title": "Ēnošana" },
                { "kind": "ROTATION", "title": "Rotācija" }
            ] }),
        "planId",
    )
    .await;
    let boss = token(
        &w.employees[1],
        &[Role::Manager],
        Some(w.institutions[0].parse().unwrap()),
        None,
    );
    let (_, approved) = s
        .gql_as(
            &boss,
            "mutation($i: ApproveDevelopmentPlanInput!) { approveDevelopmentPlan(input: $i) { userErrors { code } position } }",
            json!({ "i": { "planId": plan, "approvedOn": "2025-01-15" } }),
        )
        .await;
    let approved = &approved["data"]["approveDevelopmentPlan"];
    assert_eq!(approved["userErrors"], json!([]), "{approved}");
    approved["position"].clone()
}

async fn card_as(s: &Server, who: &str, institution: &str, year: i32, at: &Value) -> Value {
    let (status, body) = s
        .gql_as(who, CARD, json!({ "i": institution, "y": year, "p": at }))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn code(body: &Value) -> &str {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("{body}"))
}

#[tokio::test]
async fn the_scorecard_matches_what_was_recorded_and_hides_small_cells_from_analysts() {
    let w = world().await;
    let s = &w.s;
    let a_id: Uuid = w.institutions[0].parse().unwrap();
    let at = plan(&w).await;
    let hr = token("hr-a", &[Role::InstitutionHr], Some(a_id), None);
    let body = card_as(s, &hr, &w.institutions[0], YEAR, &at).await;
    assert!(body.get("errors").is_none(), "{body}");
    let card = &body["data"]["institutionScorecard"];

    let m = &w.model;
    let end = date("2025-12-31");
    let headcount = m.headcount(0, end);
    let (employee_months, _) = m.employee_months(0);
    // Minutes go to the institution that booked the place (all of A's
    // here), by completion month; failed count, revoked do not.
    let minutes: i64 = m
        .completions
        .iter()
        .filter(|c| !c.revoked && date(c.on).year() == YEAR)
        .map(|c| c.minutes)
        .sum();
    assert_eq!(card["institutionId"], w.institutions[0]);
    assert_eq!(card["referenceDate"], "2025-12-31");
    assert_eq!(
        card["budget"],
        json!({ "line": { "remunerationCents": 100_000_000, "allocatedCents": 3_000_000,
                          "shareOfPayrollPercent": "3.0000", "status": "BELOW_TARGET" },
                "targetPercent": 5, "floorPercent": 1 })
    );
    assert_eq!(
        card["learning"],
        json!({ "months": 12, "employeeMonths": employee_months, "minutes": minutes,
                "minutesPerEmployeePerMonth": two_decimals(minutes, employee_months),
                "hoursPerEmployeePerMonth": two_decimals(minutes, employee_months * 60),
                "targetMinutesPerMonth": 120, "meetsTarget": minutes >= 120 * employee_months })
    );
    assert_eq!(
        card["developmentPlans"],
        json!({ "headcount": headcount, "withPlan": 1, "sharePercent": percent(1, headcount),
                "targetPercent": 10, "meetsTarget": false })
    );
    assert_eq!(
        card["workplaceLearning"],
        json!({ "activities": 4, "workplaceActivities": 3, "sharePercent": 75.0, "targetPercent": 70,
                "meetsTarget": true })
    );
    let expected: Vec<Value> = PRIORITIES
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let n = m.participants(0, i);
            json!({ "priority": p, "number": i + 1, "participants": n, "sharePercent": percent(n, headcount) })
        })
        .collect();
    assert_eq!(card["priorities"], json!(expected));
    // The numbers the model gives, spelled out once.
    assert_eq!((headcount, employee_months, minutes), (12, 162, 2040));
    assert_eq!(
        (m.participants(0, 0), m.participants(0, 3), m.participants(1, 3)),
        (6, 2, 1)
    );

    // The same figures as the reports they come from.
    let (_, hours) = s
        .gql_as(
            &hr,
            "query($i: UUID!, $y: Int!) { institutionLearningHours(institutionId: $i, year: $y) { minutes employees } }",
            json!({ "i": w.institutions[0], "y": YEAR }),
        )
        .await;
    let months = hours["data"]["institutionLearningHours"].as_array().unwrap();
    let sum = |f: &str| months.iter().map(|r| r[f].as_i64().unwrap()).sum::<i64>();
    assert_eq!((sum("minutes"), sum("employees")), (minutes, employee_months));
    let (_, coverage) = s
        .gql_as(
            &hr,
            "query($y: Int!) { developmentPlanCoverage(year: $y) { institutions { institutionId coverage { headcount withPlan activities workplaceActivities } } } }",
            json!({ "y": YEAR }),
        )
        .await;
    let row = coverage["data"]["developmentPlanCoverage"]["institutions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["institutionId"] == w.institutions[0])
        .unwrap()["coverage"]
        .clone();
    assert_eq!(
        row,
        json!({ "headcount": headcount, "withPlan": 1, "activities": 4, "workplaceActivities": 3 })
    );

    // An analyst may not read the people: 2 digital learners and 1 planner
    // of 12 are hidden; 6 integrity learners beside 6 others are not.
    let analyst = token("analyst", &[Role::VkAnalyst], None, None);
    let body = card_as(s, &analyst, &w.institutions[0], YEAR, &Value::Null).await;
    let hidden = &body["data"]["institutionScorecard"];
    assert_eq!(hidden["priorities"][0]["participants"], 6, "{hidden}");
    assert_eq!(hidden["priorities"][0]["sharePercent"], 50.0);
    assert_eq!(hidden["priorities"][3]["participants"], Value::Null);
    assert_eq!(hidden["priorities"][3]["sharePercent"], Value::Null);
    assert_eq!(hidden["priorities"][1]["participants"], 0);
    assert_eq!(
        hidden["developmentPlans"],
        json!({ "headcount": 12, "withPlan": null, "sharePercent": null, "targetPercent": 10, "meetsTarget": null })
    );
    assert_eq!(hidden["workplaceLearning"]["activities"], Value::Null);
    assert_eq!(hidden["learning"], card["learning"]);
    assert_eq!(hidden["budget"], card["budget"]);

    // B: at most 4 people in any month, 1 digital learner (employee 11,
    // re-attributed by the later transfer). An auditor sees it all, an
    // analyst none of the small cells.
    let auditor = token("auditor", &[Role::Auditor], None, None);
    let body = card_as(s, &auditor, &w.institutions[1], YEAR, &Value::Null).await;
    let b = &body["data"]["institutionScorecard"];
    let (b_months, b_peak) = m.employee_months(1);
    assert_eq!(b_peak, 4);
    assert_eq!(b["learning"]["employeeMonths"], b_months, "{b}");
    assert_eq!(b["learning"]["minutes"], 0);
    assert_eq!(b["developmentPlans"]["headcount"], m.headcount(1, end));
    assert_eq!(b["priorities"][3]["participants"], m.participants(1, 3));
    assert_eq!(b["priorities"][0]["participants"], 0);
    assert_eq!(b["budget"]["line"]["status"], "NO_PAYROLL_DECLARED");
    let body = card_as(s, &analyst, &w.institutions[1], YEAR, &Value::Null).await;
    let b = &body["data"]["institutionScorecard"];
    assert_eq!(
        b["learning"],
        json!({ "months": 12, "employeeMonths": null, "minutes": null, "minutesPerEmployeePerMonth": null,
                "hoursPerEmployeePerMonth": null, "targetMinutesPerMonth": 120, "meetsTarget": null }),
        "{b}"
    );
    assert_eq!(b["developmentPlans"]["headcount"], Value::Null);
    assert_eq!(b["priorities"][3]["participants"], Value::Null);

    // Another year counts the 2024 pass only.
    let body = card_as(s, &hr, &w.institutions[0], 2024, &Value::Null).await;
    let earlier = &body["data"]["institutionScorecard"];
    assert_eq!(earlier["priorities"][3]["participants"], 1, "{earlier}");
    assert_eq!(earlier["developmentPlans"]["targetPercent"], Value::Null);
    w.s.shut_down().await;
}

#[tokio::test]
async fn only_the_institution_level_readers_in_reach_get_a_scorecard() {
    let w = world().await;
    let s = &w.s;
    let (a, b) = (&w.institutions[0], &w.institutions[1]);
    let a_id: Uuid = a.parse().unwrap();
    let allowed = |body: &Value| {
        assert!(
            body.get("errors").is_none() && body["data"]["institutionScorecard"].is_object(),
            "{body}"
        )
    };
    let hidden = |body: &Value| assert_eq!(code(body), "NOT_FOUND", "{body}");

    let hr = token("hr-a", &[Role::InstitutionHr], Some(a_id), None);
    allowed(&card_as(s, &hr, a, YEAR, &w.at).await);
    hidden(&card_as(s, &hr, b, YEAR, &Value::Null).await);
    let coordinator = token("vk", &[Role::ResorCoordinator], None, Some(Resor::Vk));
    allowed(&card_as(s, &coordinator, a, YEAR, &Value::Null).await);
    hidden(&card_as(s, &coordinator, b, YEAR, &Value::Null).await);
    for role in [Role::VkAnalyst, Role::VkAdmin, Role::Auditor] {
        let t = token("vk-reader", &[role], None, None);
        allowed(&card_as(s, &t, a, YEAR, &Value::Null).await);
        allowed(&card_as(s, &t, b, YEAR, &Value::Null).await);
    }
    // People, their managers and VAS read no institution's budget.
    let employee = token(&w.employees[0], &[Role::Employee], Some(a_id), None);
    let manager = token(&w.employees[1], &[Role::Manager], Some(a_id), None);
    let vas = token("vas", &[Role::VasAdmin], None, None);
    for t in [&employee, &manager, &vas] {
        let body = card_as(s, t, a, YEAR, &Value::Null).await;
        hidden(&body);
        assert!(body["data"].is_null(), "{body}");
    }
    // A transfer backdated past the one before it closes a period before it
    // began: that period counts in no month, here as in institutionLearningHours.
    let x = created(
        s,
        "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { employeeId } }",
        json!({ "institutionId": a, "name": "Darbinieks X", "jobGroups": ["HR_SPECIALIST"], "hiredOn": "2024-01-01" }),
        "employeeId",
    )
    .await;
    for (to, on) in [(b, "2025-06-01"), (a, "2025-03-01")] {
        run(
            s,
            "transferEmployee",
            "TransferEmployeeInput",
            json!({ "employeeId": x, "toInstitutionId": to, "effectiveOn": on }),
        )
        .await;
    }
    let auditor = token("auditor", &[Role::Auditor], None, None);
    let at = run(
        s,
        "recordEmployeeLeft",
        "RecordEmployeeLeftInput",
        json!({ "employeeId": x, "leftOn": "2025-12-01" }),
    )
    .await;
    let card = card_as(s, &auditor, b, YEAR, &at).await;
    let (_, hours) = s
        .gql_as(
            &auditor,
            "query($i: UUID!, $y: Int!) { institutionLearningHours(institutionId: $i, year: $y) { employees } }",
            json!({ "i": b, "y": YEAR }),
        )
        .await;
    let employees: i64 = hours["data"]["institutionLearningHours"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["employees"].as_i64().unwrap())
        .sum();
    assert_eq!(
        card["data"]["institutionScorecard"]["learning"]["employeeMonths"], employees,
        "{card}"
    );
    assert_eq!(employees, w.model.employee_months(1).0);

    // A refusal reads as a missing institution; a year out of range is the caller's to correct.
    let nowhere = card_as(s, &hr, &Uuid::from_u128(42).to_string(), YEAR, &Value::Null).await;
    hidden(&nowhere);
    let refused = card_as(s, &employee, a, YEAR, &Value::Null).await;
    assert_eq!(refused["errors"][0]["message"], nowhere["errors"][0]["message"]);
    for year in [2020, 2036] {
        assert_eq!(code(&card_as(s, &hr, a, year, &Value::Null).await), "BAD_USER_INPUT");
    }
    w.s.shut_down().await;
}
