//! The KPI engine's proof (issue 21): a random scenario through the public
//! API, every computed indicator worked out again here by brute force from
//! what the test itself did, and compared with what Prasme reports; again
//! after a rebuild of the KPI projection; and `kpis(asOf:)` at several
//! instants against a fresh replay of the log up to each of them.

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, NaiveDate, Utc};
use common::server::{start, Server};
use prasme_eventstore::{events_of_types_after, EventStore};
use prasme_projections::{rebuild, KpiProjection, Projection, REBUILD_BATCH};
use serde_json::{json, Value};

/// A small deterministic generator, so a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[derive(Clone)]
struct Role {
    groups: Vec<String>,
    civil: bool,
    functions: Vec<String>,
}

#[derive(Clone)]
struct Employee {
    hired: NaiveDate,
    left: Option<NaiveDate>,
    places: Vec<(NaiveDate, String)>,
    roles: Vec<(NaiveDate, Role)>,
}

/// The entry in force on a date: the latest-dated not after it, of equal
/// dates the one recorded last.
fn in_force<T>(entries: &[(NaiveDate, T)], on: NaiveDate) -> Option<&T> {
    entries
        .iter()
        .enumerate()
        .filter(|(_, (from, _))| *from <= on)
        .max_by_key(|(i, (from, _))| (*from, *i))
        .map(|(_, (_, t))| t)
}

impl Employee {
    fn on(&self, date: NaiveDate) -> Option<(&str, &Role)> {
        if date < self.hired || self.left.is_some_and(|l| date > l) {
            return None;
        }
        Some((in_force(&self.places, date)?.as_str(), in_force(&self.roles, date)?))
    }
}

#[derive(Clone)]
struct Course {
    measures: Vec<String>,
    course_type: String,
    knowledge_test: bool,
}

/// Everything the scenario did, as the test knows it.
#[derive(Clone, Default)]
struct Model {
    /// Institution → (kind, resor).
    institutions: HashMap<String, (String, Option<String>)>,
    employees: BTreeMap<String, Employee>,
    courses: HashMap<String, Course>,
    /// Offering → (course, first day).
    offerings: HashMap<String, (String, NaiveDate)>,
    /// (employee, offering) → (completed on, knowledge test passed), passed and not revoked.
    completions: HashMap<(String, String), (NaiveDate, Option<bool>)>,
    attended: HashSet<(String, String)>,
    /// (employee, assessed on).
    assessments: Vec<(String, NaiveDate)>,
    /// Progress records not withdrawn: id → (indicator, institution, date).
    records: HashMap<String, (String, Option<String>, NaiveDate)>,
}

/// One fact, as the brute force sees it.
struct Fact<'a> {
    kind: &'static str,
    on: NaiveDate,
    employee: Option<&'a str>,
    thing: Option<&'a str>,
    course: Option<&'a Course>,
    test_passed: Option<bool>,
    designated: Option<&'a str>,
    /// The indicator a progress record counts for.
    indicator: Option<&'a str>,
    /// The institution a progress record names.
    institution: Option<&'a str>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| a.iter().map(|s| s.as_str().unwrap().to_owned()).collect())
        .unwrap_or_default()
}

impl Model {
    fn facts(&self, today: NaiveDate) -> Vec<Fact<'_>> {
        let mut facts = Vec::new();
        for ((e, o), (on, test)) in &self.completions {
            let course = &self.courses[&self.offerings[o].0];
            facts.push(Fact {
                kind: "COMPLETION",
                on: *on,
                employee: Some(e),
                thing: None,
                course: Some(course),
                test_passed: *test,
                designated: None,
                indicator: None,
                institution: None,
            });
        }
        for (e, o) in &self.attended {
            let (course, starts) = &self.offerings[o];
            facts.push(Fact {
                kind: "ATTENDANCE",
                on: *starts,
                employee: Some(e),
                thing: None,
                course: Some(&self.courses[course]),
                test_passed: None,
                designated: None,
                indicator: None,
                institution: None,
            });
        }
        for (e, on) in &self.assessments {
            facts.push(Fact {
                kind: "ASSESSMENT",
                on: *on,
                employee: Some(e),
                thing: None,
                course: None,
                test_passed: None,
                designated: None,
                indicator: None,
                institution: None,
            });
        }
        for (o, (course, starts)) in &self.offerings {
            facts.push(Fact {
                kind: "OFFERING_SCHEDULED",
                on: *starts,
                employee: None,
                thing: Some(o),
                course: Some(&self.courses[course]),
                test_passed: None,
                designated: None,
                indicator: None,
                institution: None,
            });
        }
        for (c, course) in &self.courses {
            facts.push(Fact {
                kind: "COURSE_CATALOGUED",
                on: today,
                employee: None,
                thing: Some(c),
                course: Some(course),
                test_passed: Some(course.knowledge_test),
                designated: None,
                indicator: None,
                institution: None,
            });
        }
        for (r, (indicator, institution, on)) in &self.records {
            facts.push(Fact {
                kind: "RECORDED",
                on: *on,
                employee: None,
                thing: Some(r),
                course: None,
                test_passed: None,
                designated: None,
                indicator: Some(indicator),
                institution: institution.as_deref(),
            });
        }
        // A function held on a role's first day and not the day before.
        for (id, e) in &self.employees {
            let mut dates: Vec<NaiveDate> = e.roles.iter().map(|(d, _)| *d).collect();
            dates.sort();
            dates.dedup();
            for date in dates {
                let Some((_, now)) = e.on(date) else { continue };
                let before = e.on(date.pred_opt().unwrap()).map(|(_, r)| r);
                for f in &now.functions {
                    if !before.is_some_and(|b| b.functions.contains(f)) {
                        facts.push(Fact {
                            kind: "DESIGNATION",
                            on: date,
                            employee: Some(id),
                            thing: None,
                            course: None,
                            test_passed: None,
                            designated: Some(f),
                            indicator: None,
                            institution: None,
                        });
                    }
                }
            }
        }
        facts
    }

    fn who_matches(&self, who: &Value, institution: &str, role: &Role) -> bool {
        let kind = &self.institutions[institution].0;
        let groups = strings(&who["jobGroups"]);
        let functions = strings(&who["functions"]);
        who["kind"].as_str().is_none_or(|k| k == kind)
            && who["civilServant"].as_bool().is_none_or(|c| c == role.civil)
            && (groups.is_empty() || groups.iter().any(|g| role.groups.contains(g)))
            && (functions.is_empty() || functions.iter().any(|f| role.functions.contains(f)))
    }

    /// (count, denominator) of one series in `year` (0: the whole plan),
    /// by brute force over every fact.
    fn evaluate(&self, indicator: &str, series: &Value, year: i32, today: NaiveDate) -> (i64, Option<i64>) {
        let course_filter = &series["course"];
        let measures = strings(&course_filter["measures"]);
        let types = strings(&course_filter["types"]);
        let test_required = course_filter["knowledgeTestPassed"].as_bool().unwrap_or(false);
        let who = &series["who"];
        let share = series["shareOf"].as_str();
        let qualifies = |f: &Fact| {
            f.kind == series["fact"].as_str().unwrap()
                && f.course.is_none_or(|c| {
                    (measures.is_empty() || measures.iter().any(|m| c.measures.contains(m)))
                        && (types.is_empty() || types.contains(&c.course_type))
                        && (!test_required || f.test_passed == Some(true))
                })
                && f.designated
                    .is_none_or(|d| strings(&who["functions"]).iter().any(|w| w == d))
                && f.indicator.is_none_or(|i| i == indicator)
        };
        let facts = self.facts(today);
        if share == Some("EMPLOYEES") {
            let reference = NaiveDate::from_ymd_opt(if year == 0 { 2027 } else { year }, 12, 31).unwrap();
            let (mut count, mut population) = (0, 0);
            for (id, e) in &self.employees {
                let Some((institution, role)) = e.on(reference) else {
                    continue;
                };
                if !self.who_matches(who, institution, role) {
                    continue;
                }
                population += 1;
                let trained = facts.iter().any(|f| {
                    f.employee == Some(id.as_str()) && f.on <= reference && e.on(f.on).is_some() && qualifies(f)
                });
                count += i64::from(trained);
            }
            return (count, Some(population));
        }
        let mut subjects = HashSet::new();
        for f in facts.iter().filter(|f| qualifies(f)) {
            if year != 0 && f.on.year() != year {
                continue;
            }
            let place = match f.employee {
                Some(e) => match self.employees[e].on(f.on) {
                    Some((institution, role)) if self.who_matches(who, institution, role) => Some(institution),
                    _ => continue,
                },
                None if who.as_object().is_none_or(|o| o.is_empty()) => f.institution,
                None => continue,
            };
            let subject = match (series["unit"].as_str().unwrap(), place) {
                ("EMPLOYEES", Some(_)) => f.employee.unwrap().to_owned(),
                ("INSTITUTIONS", Some(i)) => i.to_owned(),
                ("RESORS", Some(i)) => match &self.institutions[i].1 {
                    Some(r) => r.clone(),
                    None => continue,
                },
                ("THINGS", _) => f.thing.unwrap().to_owned(),
                _ => continue,
            };
            subjects.insert(subject);
        }
        let denominator = match share {
            Some("STATE_INSTITUTIONS") => Some(self.institutions.values().filter(|(k, _)| k == "STATE").count() as i64),
            Some("RESORS") => Some(
                self.institutions
                    .values()
                    .filter_map(|(_, r)| r.clone())
                    .collect::<HashSet<_>>()
                    .len() as i64,
            ),
            _ => None,
        };
        (subjects.len() as i64, denominator)
    }
}

/// Every computed series of the plan's data file: (indicator, ordinal) → definition.
fn definitions() -> BTreeMap<(String, i64), Value> {
    let plan: Value = serde_json::from_str(prasme_domain::plan::PUBLISHED_PLAN).unwrap();
    let mut out = BTreeMap::new();
    for p in plan["priorities"].as_array().unwrap() {
        for m in p["measures"].as_array().unwrap() {
            for i in m["indicators"].as_array().unwrap() {
                let id = format!("{}.{}", m["code"].as_str().unwrap(), i["number"]);
                if let Some(series) = i["computation"]["series"].as_array() {
                    for (n, s) in series.iter().enumerate() {
                        out.insert((id.clone(), n as i64 + 1), s.clone());
                    }
                }
            }
        }
    }
    out
}

const KPIS: &str = "query($y: Int, $t: DateTime, $p: Position) {
  kpis(year: $y, asOf: $t, atLeastPosition: $p) { indicatorId ordinal count denominator } }";

/// What Prasme reports: (indicator, ordinal) → (count, denominator).
async fn reported(
    s: &Server,
    year: Option<i32>,
    as_of: Option<&str>,
    at: i64,
) -> BTreeMap<(String, i64), (i64, Option<i64>)> {
    let body = s.gql(KPIS, json!({ "y": year, "t": as_of, "p": at })).await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["kpis"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                (
                    k["indicatorId"].as_str().unwrap().to_owned(),
                    k["ordinal"].as_i64().unwrap(),
                ),
                (k["count"].as_i64().unwrap(), k["denominator"].as_i64()),
            )
        })
        .collect()
}

fn expected(model: &Model, year: i32, today: NaiveDate) -> BTreeMap<(String, i64), (i64, Option<i64>)> {
    definitions()
        .into_iter()
        .map(|(key, s)| {
            let (count, denominator) = model.evaluate(&key.0, &s, year, today);
            let share = s["shareOf"].is_string();
            (key, (count, if share { denominator } else { None }))
        })
        .collect()
}

fn assert_same(
    what: &str,
    got: &BTreeMap<(String, i64), (i64, Option<i64>)>,
    want: &BTreeMap<(String, i64), (i64, Option<i64>)>,
) {
    let wrong: Vec<String> = want
        .iter()
        .filter(|(k, v)| got.get(k) != Some(v))
        .map(|(k, v)| format!("{}/{}: want {v:?}, got {:?}", k.0, k.1, got.get(k)))
        .collect();
    assert!(
        wrong.is_empty(),
        "{what}: {} series differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    assert_eq!(got.len(), want.len(), "{what}: every computed series is reported");
}

async fn created(s: &Server, mutation: &str, input: Value, id: &str) -> String {
    let p = s.mutate(mutation, json!({ "i": input })).await;
    assert_eq!(p["userErrors"], json!([]), "{mutation}: {p}");
    p[id].as_str().unwrap_or_else(|| panic!("{p}")).to_owned()
}

async fn ok(s: &Server, mutation: &str, input: Value) -> i64 {
    let p = s.mutate(mutation, json!({ "i": input })).await;
    assert_eq!(p["userErrors"], json!([]), "{mutation}: {p}");
    p["position"].as_i64().unwrap()
}

const PRIORITY_OF: [(&str, &str); 5] = [
    ("1", "INTEGRITY"),
    ("2", "INNOVATION_AND_CO_CREATION"),
    ("3", "LEADERSHIP_AND_CHANGE"),
    ("4", "DIGITAL_TRANSFORMATION"),
    ("5", "PROFESSIONALISATION"),
];

const GROUPS: [&str; 5] = [
    "TOP_MANAGER",
    "MIDDLE_OR_LOWER_MANAGER",
    "POLITICAL_OFFICIAL",
    "HR_SPECIALIST",
    "NEW_EMPLOYEE",
];

const FUNCTIONS: [&str; 8] = [
    "ETHICS_TRUST_PERSON",
    "PROCUREMENT",
    "WHISTLEBLOWING_CONTACT",
    "CONTROL_OR_SUPERVISION",
    "CLIENT_SERVICE",
    "INTERNAL_TRAINER",
    "POLICY_MAKING",
    "CLIENT_SERVICE_CENTRE",
];

fn random_role(rng: &mut Rng) -> Role {
    let mut groups = vec![rng.pick(&GROUPS).to_string()];
    if rng.chance(15) {
        groups.push(rng.pick(&GROUPS).to_string());
    }
    groups.sort();
    groups.dedup();
    let mut functions: Vec<String> = FUNCTIONS
        .iter()
        .filter(|_| rng.chance(12))
        .map(|f| f.to_string())
        .collect();
    functions.sort();
    Role {
        groups,
        civil: rng.chance(60),
        functions,
    }
}

/// Waits until every read model has the position, and returns an instant
/// after it and before anything later.
async fn instant_after(s: &Server, at: i64) -> String {
    reported(s, None, None, at).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let t = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    t
}

/// The KPI totals a fresh replay of the log up to `position` gives: the
/// projection reset and replayed inside a transaction that is then
/// rolled back.
///
/// With `plan_last`, the plan's publication is applied after every other
/// event, as in a database that held facts before Prasme published the
/// plan: a series must count the facts that precede its definition.
async fn replayed(
    s: &Server,
    position: i64,
    year: i32,
    plan_last: bool,
) -> BTreeMap<(String, i64), (i64, Option<i64>)> {
    let projection = KpiProjection::new();
    let mut tx = s.db.pool.begin().await.unwrap();
    projection.reset(&mut tx).await.unwrap();
    let types: Vec<String> = projection.event_types().into_iter().map(str::to_owned).collect();
    let mut conn = s.db.pool.acquire().await.unwrap();
    let mut after = 0;
    let mut deferred = Vec::new();
    loop {
        let (events, through) = events_of_types_after(&mut conn, after, &types, 500).await.unwrap();
        let (plan, events): (Vec<_>, Vec<_>) = events
            .into_iter()
            .filter(|e| e.position <= position)
            .partition(|e| plan_last && e.event_type == "PlanPublished");
        deferred.extend(plan);
        projection.apply(&mut tx, &events).await.unwrap();
        if through == after || through >= position {
            break;
        }
        after = through;
    }
    projection.apply(&mut tx, &deferred).await.unwrap();
    let rows: Vec<(String, i32, i64, i64, bool)> = sqlx::query_as(
        "SELECT s.indicator_id, s.ordinal, v.count, v.denominator, s.definition->'shareOf' <> 'null'::jsonb
           FROM rm_kpi_series s JOIN rm_kpi_value v USING (series_key)
          WHERE v.year = $1 AND v.dimension = 'TOTAL'",
    )
    .bind(year)
    .fetch_all(&mut *tx)
    .await
    .unwrap();
    tx.rollback().await.unwrap();
    rows.into_iter()
        .map(|(i, o, c, den, share)| ((i, i64::from(o)), (c, share.then_some(den))))
        .collect()
}

#[tokio::test]
async fn every_indicator_matches_an_independent_count_after_a_rebuild_and_as_of_any_instant() {
    let s = start().await;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut model = Model::default();
    let today = Utc::now().date_naive();

    // Institutions: state ones in four resors, and municipalities.
    for (name, kind, resor) in [
        ("Valsts ieņēmumu dienests", "STATE", Some("FM")),
        ("Valsts kase", "STATE", Some("FM")),
        (
            "Vides aizsardzības un reģionālās attīstības ministrija",
            "STATE",
            Some("VARAM"),
        ),
        ("Izglītības un zinātnes ministrija", "STATE", Some("IZM")),
        ("Valsts kanceleja", "STATE", Some("VK")),
        ("Tiesu administrācija", "STATE", Some("TM")),
        ("Cēsu novada pašvaldība", "MUNICIPAL", None),
        ("Rīgas valstspilsētas pašvaldība", "MUNICIPAL", None),
    ] {
        let id = created(
            &s,
            "mutation($i: RegisterInstitutionInput!) { registerInstitution(input: $i) { institutionId userErrors { code } } }",
            json!({ "name": name, "kind": kind, "resor": resor }),
            "institutionId",
        )
        .await;
        model
            .institutions
            .insert(id, (kind.to_owned(), resor.map(str::to_owned)));
    }
    let institutions: Vec<String> = {
        let mut v: Vec<String> = model.institutions.keys().cloned().collect();
        v.sort();
        v
    };

    // Courses over the measures the definitions name, some with a test.
    let mut offerings_by_year: BTreeMap<i32, Vec<String>> = BTreeMap::new();
    for (measure, course_type, knowledge_test) in [
        ("1.1", "MANDATORY", true),
        ("1.1", "SPECIALISED", false),
        ("1.2", "E_LEARNING", false),
        ("1.3", "MANDATORY", false),
        ("1.4", "SPECIALISED", false),
        ("1.5", "CORPORATE", false),
        ("2.1", "CORPORATE", false),
        ("2.4", "CORPORATE", false),
        ("3.1", "BLENDED", false),
        ("3.2", "CORPORATE", false),
        ("4.2", "E_LEARNING", false),
        ("4.3", "E_LEARNING", true),
        ("5.1", "SPECIALISED", true),
    ] {
        let priority = PRIORITY_OF.iter().find(|(n, _)| measure.starts_with(n)).unwrap().1;
        let course = created(
            &s,
            "mutation($i: CatalogueCourseInput!) { catalogueCourse(input: $i) { courseId userErrors { code } } }",
            json!({ "description": { "title": format!("Kurss {measure} {course_type}"),
                "owner": { "level": "PUBLIC_ADMINISTRATION" }, "priority": priority, "measures": [measure],
                "courseType": course_type, "knowledgeTest": knowledge_test, "durationMinutes": 240,
                "language": "lv" } }),
            "courseId",
        )
        .await;
        model.courses.insert(
            course.clone(),
            Course {
                measures: vec![measure.to_owned()],
                course_type: course_type.to_owned(),
                knowledge_test,
            },
        );
        // Places are requested before an offering starts, so through the
        // API the offerings lie ahead; completions are back-dated to the
        // year each set stands for, as a late entry of the record would be.
        for year in [2022, 2024] {
            let starts = format!("2034-0{}-0{}", 1 + (year - 2022), 1 + rng.below(8));
            let offering = created(
                &s,
                "mutation($i: ScheduleOfferingInput!) { scheduleOffering(input: $i) { offeringId userErrors { code } } }",
                json!({ "courseId": course, "startsOn": starts, "endsOn": "2034-06-30", "format": "ONLINE",
                        "capacity": 500, "costPerParticipantCents": 0, "organiser": "Valsts administrācijas skola" }),
                "offeringId",
            )
            .await;
            model.offerings.insert(offering.clone(), (course.clone(), d(&starts)));
            offerings_by_year.entry(year).or_default().push(offering);
        }
    }

    // Phase 1: hires in 2021–2022, and the 2022 offerings.
    for n in 0..120 {
        let institution = rng.pick(&institutions).clone();
        let role = random_role(&mut rng);
        let hired = NaiveDate::from_ymd_opt(2021 + rng.below(2) as i32, 1 + rng.below(12) as u32, 1).unwrap();
        let id = created(
            &s,
            "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { employeeId userErrors { code } } }",
            json!({ "institutionId": institution, "name": format!("Darbinieks {n}"), "jobGroups": role.groups,
                    "civilServant": role.civil, "functions": role.functions, "hiredOn": hired.to_string() }),
            "employeeId",
        )
        .await;
        model.employees.insert(
            id,
            Employee {
                hired,
                left: None,
                places: vec![(hired, institution)],
                roles: vec![(hired, role)],
            },
        );
    }
    let people: Vec<String> = model.employees.keys().cloned().collect();
    let mut last = take_courses(&s, &mut model, &mut rng, &people, &offerings_by_year[&2022], 2022).await;
    let t1 = instant_after(&s, last).await;
    let model1 = model.clone();

    // Phase 2: transfers in March 2023, role changes in June, some leave
    // in September; then the 2024 offerings, and some completions revoked.
    for e in &people {
        if rng.chance(20) {
            let current = in_force(&model.employees[e].places, d("2023-03-01")).unwrap().clone();
            let to = institutions.iter().find(|i| **i != current).unwrap().clone();
            let to = if rng.chance(50) {
                to
            } else {
                rng.pick(&institutions).clone()
            };
            if to != current {
                last = ok(
                    &s,
                    "mutation($i: TransferEmployeeInput!) { transferEmployee(input: $i) { position userErrors { code field message } } }",
                    json!({ "employeeId": e, "toInstitutionId": to, "effectiveOn": "2023-03-01" }),
                )
                .await;
                model.employees.get_mut(e).unwrap().places.push((d("2023-03-01"), to));
            }
        }
        if rng.chance(15) {
            let role = random_role(&mut rng);
            last = ok(
                &s,
                "mutation($i: ChangeEmployeeRoleInput!) { changeEmployeeRole(input: $i) { position userErrors { code field message } } }",
                json!({ "employeeId": e, "jobGroups": role.groups, "civilServant": role.civil,
                        "functions": role.functions, "effectiveOn": "2023-06-01" }),
            )
            .await;
            model.employees.get_mut(e).unwrap().roles.push((d("2023-06-01"), role));
        }
    }
    for e in &people {
        if rng.chance(8) {
            last = ok(
                &s,
                "mutation($i: RecordEmployeeLeftInput!) { recordEmployeeLeft(input: $i) { position userErrors { code field message } } }",
                json!({ "employeeId": e, "leftOn": "2023-09-30" }),
            )
            .await;
            model.employees.get_mut(e).unwrap().left = Some(d("2023-09-30"));
        }
    }
    let staying: Vec<String> = people
        .iter()
        .filter(|e| model.employees[*e].left.is_none())
        .cloned()
        .collect();
    last = last.max(take_courses(&s, &mut model, &mut rng, &staying, &offerings_by_year[&2024], 2024).await);
    let passed: Vec<(String, String)> = {
        let mut v: Vec<_> = model.completions.keys().cloned().collect();
        v.sort();
        v
    };
    for (e, o) in passed.iter().filter(|_| rng.chance(5)) {
        last = ok(
            &s,
            "mutation($i: PlaceInput!) { revokeCompletion(input: $i) { position userErrors { code field message } } }",
            json!({ "offeringId": o, "employeeId": e, "reason": "ievadīts kļūdaini" }),
        )
        .await;
        model.completions.remove(&(e.clone(), o.clone()));
    }
    let t2 = instant_after(&s, last).await;
    let model2 = model.clone();

    // Phase 3: competency assessments of managers in 2025.
    let framework = created(
        &s,
        "mutation($i: PublishCompetencyFrameworkInput!) { publishCompetencyFramework(input: $i) { frameworkId userErrors { code } } }",
        json!({ "content": { "title": "Vadības kompetences", "areas": [{ "code": "1", "name": "Vadība",
            "competencies": [{ "code": "1.1", "name": "Stratēģiskā domāšana",
              "levels": [{ "number": 1, "name": "Pamata", "description": "Pamata", "band": "pamata" },
                         { "number": 2, "name": "Vidējais", "description": "Vidējais", "band": "vidējais" }],
              "required": [] }] }] } }),
        "frameworkId",
    )
    .await;
    for e in &staying {
        let managerial = model.employees[e]
            .on(d("2025-02-01"))
            .is_some_and(|(_, r)| r.groups.iter().any(|g| g.ends_with("MANAGER")));
        if managerial && rng.chance(70) {
            ok(
                &s,
                "mutation($i: AssessCompetencyInput!) { assessCompetency(input: $i) { position userErrors { code field message } } }",
                json!({ "employeeId": e, "frameworkId": framework, "frameworkVersion": 1, "competency": "1.1",
                        "level": 2, "method": "ASSESSMENT_CENTRE", "assessedOn": "2025-02-01" }),
            )
            .await;
            model.assessments.push((e.clone(), d("2025-02-01")));
        }
    }
    // Progress the State Chancellery records: sprints (things) and
    // institutions joining the innovation network; one withdrawn.
    let keeper = common::server::token("vk-admin", &[prasme_commands::Role::VkAdmin], None, None);
    let record = |indicator: &str, kind: &str, institution: Option<&String>, on: &str| {
        json!({ "i": { "indicatorId": indicator, "kind": kind, "institutionId": institution,
                       "occurredOn": on, "title": "Ieraksts" } })
    };
    const RECORD: &str = "mutation($i: RecordPlanProgressInput!) { recordPlanProgress(input: $i) {
        position userErrors { code field message } } }";
    let mut recorded = Vec::new();
    for (indicator, kind, institution, on) in [
        ("2.2.4", "ACTIVITY_HELD", None, "2025-04-01"),
        ("2.2.4", "ACTIVITY_HELD", None, "2025-09-01"),
        ("2.2.2", "INSTITUTION_JOINED", Some(&institutions[0]), "2024-02-01"),
        ("2.2.2", "INSTITUTION_JOINED", Some(&institutions[0]), "2025-02-01"),
        ("2.2.2", "INSTITUTION_JOINED", Some(&institutions[1]), "2025-03-01"),
    ] {
        let (_, body) = s
            .gql_as(&keeper, RECORD, record(indicator, kind, institution, on))
            .await;
        let p = &body["data"]["recordPlanProgress"];
        assert_eq!(p["userErrors"], json!([]), "{body}");
        last = p["position"].as_i64().unwrap();
        let (_, id) =
            sqlx::query_as::<_, (i64, serde_json::Value)>("SELECT position, payload FROM events WHERE position = $1")
                .bind(last)
                .fetch_one(&s.db.pool)
                .await
                .unwrap();
        let id = id["recordId"].as_str().unwrap().to_owned();
        model
            .records
            .insert(id.clone(), (indicator.to_owned(), institution.cloned(), d(on)));
        recorded.push(id);
    }
    // An indicator computed from other events takes no records, and one
    // that counts institutions needs one named.
    let (_, body) = s
        .gql_as(
            &keeper,
            RECORD,
            record("1.1.1", "MILESTONE_REACHED", None, "2025-01-01"),
        )
        .await;
    assert_eq!(
        body["data"]["recordPlanProgress"]["userErrors"][0]["code"], "INVALID_VALUE",
        "{body}"
    );
    let (_, body) = s
        .gql_as(
            &keeper,
            RECORD,
            record("2.2.2", "INSTITUTION_JOINED", None, "2025-01-01"),
        )
        .await;
    assert_eq!(
        body["data"]["recordPlanProgress"]["userErrors"][0]["field"],
        json!(["input", "institutionId"]),
        "{body}"
    );
    let (_, body) = s
        .gql_as(
            &keeper,
            "mutation($i: WithdrawPlanProgressInput!) { withdrawPlanProgress(input: $i) { position userErrors { code } } }",
            json!({ "i": { "recordId": recorded[0], "reason": "Ievadīts divreiz" } }),
        )
        .await;
    assert_eq!(body["data"]["withdrawPlanProgress"]["userErrors"], json!([]), "{body}");
    last = body["data"]["withdrawPlanProgress"]["position"].as_i64().unwrap();
    model.records.remove(&recorded[0]);
    let t3 = instant_after(&s, last).await;

    // Now: every series, for the whole plan and two years.
    for year in [0, 2022, 2024, 2025] {
        let got = reported(&s, (year != 0).then_some(year), None, last).await;
        assert_same(&format!("year {year}"), &got, &expected(&model, year, today));
    }
    // The scenario moves something in every kind of series.
    let whole = reported(&s, None, None, last).await;
    for id in [
        "1.1.1", "1.1.4", "1.5.1", "1.5.2", "2.4.1", "3.1.1", "3.2.1", "4.3.3", "5.1.3", "5.1.4",
    ] {
        assert!(
            whole[&(id.to_owned(), 1)].0 > 0,
            "{id} counts something: {:?}",
            whole[&(id.to_owned(), 1)]
        );
    }

    // As of each instant: what the independent count of that moment gives,
    // and what a fresh replay up to the last event recorded by then gives.
    for (t, snapshot) in [(&t1, &model1), (&t2, &model2), (&t3, &model)] {
        let position: i64 = sqlx::query_scalar("SELECT max(position) FROM events WHERE recorded_at <= $1::timestamptz")
            .bind(t)
            .fetch_one(&s.db.pool)
            .await
            .unwrap();
        for year in [0, 2022] {
            let got = reported(&s, (year != 0).then_some(year), Some(t), last).await;
            assert_same(
                &format!("as of {t}, year {year}"),
                &got,
                &expected(snapshot, year, today),
            );
            let replay = replayed(&s, position, year, false).await;
            assert_same(&format!("replay to {position}, year {year}"), &got, &replay);
            // Before any progress was recorded, the plan published last
            // counts the same.
            if t != &t3 {
                let late = replayed(&s, position, year, true).await;
                assert_same(&format!("plan published last, to {position}, year {year}"), &got, &late);
            }
        }
    }

    // A rebuild of the KPI projection gives the same numbers; so does one
    // that writes and forgets its facts every few batches, as a rebuild
    // of the full-scale log does, and reads them back as it needs them.
    let store = EventStore::new(s.db.pool.clone());
    for (projection, batch, how) in [
        (KpiProjection::new(), REBUILD_BATCH, "a rebuild"),
        (
            KpiProjection::with_fact_budget(40),
            25,
            "a rebuild that spills its facts",
        ),
    ] {
        rebuild(&store, &projection, batch, |_, _| {}).await.unwrap();
        for year in [0, 2024] {
            let got = reported(&s, (year != 0).then_some(year), None, last).await;
            assert_same(
                &format!("after {how}, year {year}"),
                &got,
                &expected(&model, year, today),
            );
        }
    }
    s.shut_down().await;
}

/// Some of `people` (at work today) take some of `offerings`: attendance,
/// then a completion dated in `year`, passed (with the knowledge test
/// passed or not) or failed, or no completion. The last position.
async fn take_courses(
    s: &Server,
    model: &mut Model,
    rng: &mut Rng,
    people: &[String],
    offerings: &[String],
    year: i32,
) -> i64 {
    let mut last = 0;
    for o in offerings {
        let course = model.offerings[o].0.clone();
        let knowledge_test = model.courses[&course].knowledge_test;
        for e in people {
            if !rng.chance(25) {
                continue;
            }
            let place = json!({ "offeringId": o, "employeeId": e });
            for m in ["requestPlace", "approvePlace"] {
                ok(
                    s,
                    &format!("mutation($i: PlaceInput!) {{ {m}(input: $i) {{ position userErrors {{ code field message }} }} }}"),
                    place.clone(),
                )
                .await;
            }
            let attended = rng.chance(85);
            let mut input = place.clone();
            input["attendance"] = json!(if attended { "ATTENDED" } else { "NO_SHOW_JUSTIFIED" });
            last = ok(
                s,
                "mutation($i: RecordAttendanceInput!) { recordAttendance(input: $i) { position userErrors { code field message } } }",
                input,
            )
            .await;
            if !attended {
                continue;
            }
            model.attended.insert((e.clone(), o.clone()));
            if rng.chance(10) {
                continue;
            }
            let passed = rng.chance(85);
            let test = knowledge_test.then(|| rng.chance(80));
            let completed = NaiveDate::from_ymd_opt(year, 6, 1 + rng.below(28) as u32).unwrap();
            let mut input = place.clone();
            input["passed"] = json!(passed);
            input["minutes"] = json!(240);
            input["completedOn"] = json!(completed.to_string());
            input["knowledgeTestPassed"] = json!(test);
            last = ok(
                s,
                "mutation($i: RecordCompletionInput!) { recordCompletion(input: $i) { position userErrors { code field message } } }",
                input,
            )
            .await;
            if passed && model.employees[e].on(completed).is_some() {
                model.completions.insert((e.clone(), o.clone()), (completed, test));
            }
        }
    }
    last
}
