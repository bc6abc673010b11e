//! 360-degree feedback end to end (issue 20): a cycle on an employee, raters
//! in every group signing in as themselves, typed refusals, counts only
//! while open, the report after close; and the anonymity attack: trying to
//! learn who said what through the API for every role and, as a database
//! superuser, through the event log and every table after the close.

mod common;

use common::server::{start, token, Server};
use prasme_commands::{FeedbackKeys, Role};
use serde_json::{json, Value};
use uuid::Uuid;

const CYCLE: &str = "cycleId subjectId status deadline minRaters cancelReason position
  competencies { code name levels }
  groups { relationship invited responded released }
  report { groups { relationship responses released results { averages { competency average } comments } }
           gaps { competency selfVsOthersGap } }";

async fn created(s: &Server, mutation: &str, input: Value, id: &str) -> String {
    let p = s.mutate(mutation, json!({ "i": input })).await;
    p[id].as_str().unwrap_or_else(|| panic!("{p}")).to_owned()
}

/// Runs a mutation as `who`: its payload, or the whole body on errors.
async fn as_who(s: &Server, who: &str, name: &str, input_type: &str, fields: &str, input: Value) -> Value {
    let (_, body) = s
        .gql_as(
            who,
            &format!("mutation($i: {input_type}!) {{ {name}(input: $i) {{ {fields} }} }}"),
            json!({ "i": input }),
        )
        .await;
    if body["data"][name].is_null() {
        return body;
    }
    body["data"][name].clone()
}

async fn submit(s: &Server, who: &str, cycle: &str, ratings: Value, comment: Option<&str>) -> Value {
    as_who(
        s,
        who,
        "submitFeedback",
        "SubmitFeedbackInput",
        "cycleId userErrors { code field message }",
        json!({ "cycleId": cycle, "ratings": ratings, "comment": comment }),
    )
    .await
}

/// The first user error's code and field, or "OK".
fn refusal(payload: &Value) -> (String, String) {
    match payload["userErrors"].as_array() {
        Some(errors) if errors.is_empty() => ("OK".into(), String::new()),
        Some(errors) => (
            errors[0]["code"].as_str().unwrap().to_owned(),
            errors[0]["field"]
                .as_array()
                .map(|f| f.iter().map(|p| p.as_str().unwrap()).collect::<Vec<_>>().join("."))
                .unwrap_or_default(),
        ),
        None => panic!("not a payload: {payload}"),
    }
}

fn ok(payload: &Value) {
    assert_eq!(refusal(payload).0, "OK", "{payload}");
}

async fn read_cycle(s: &Server, who: &str, cycle: &str, position: &Value) -> Value {
    let (_, body) = s
        .gql_as(
            who,
            &format!("query($id: UUID!, $p: Position) {{ feedbackCycle(id: $id, atLeastPosition: $p) {{ {CYCLE} }} }}"),
            json!({ "id": cycle, "p": position }),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["feedbackCycle"].clone()
}

/// The signed-in employee's open invitations, as `cycleId relationship submitted`.
async fn invitations(s: &Server, who: &str) -> Value {
    let (_, body) = s
        .gql_as(
            who,
            "{ feedbackInvitations { cycleId relationship submitted deadline competencies { code } } }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["feedbackInvitations"].clone()
}

struct World {
    s: Server,
    framework: String,
    institution: Uuid,
    subject: String,
    boss: String,
    peers: Vec<String>,
    reports: Vec<String>,
    outsider: String,
    /// HR of the institution: not an employee of the cycle, so not a rater.
    hr: String,
}

impl World {
    fn as_employee(&self, id: &str) -> String {
        token(id, &[Role::Employee], Some(self.institution), None)
    }

    fn boss_token(&self) -> String {
        token(&self.boss, &[Role::Manager], Some(self.institution), None)
    }

    fn hr_token(&self) -> String {
        token(&self.hr, &[Role::InstitutionHr], Some(self.institution), None)
    }

    fn raters(&self) -> Vec<&String> {
        self.peers.iter().chain(&self.reports).collect()
    }
}

async fn world() -> World {
    let s = start().await;
    let levels: Vec<Value> = (1..=4)
        .map(|n| json!({ "number": n, "name": format!("L{n}"), "description": "…" }))
        .collect();
    let framework = created(
        &s,
        "mutation($i: PublishCompetencyFrameworkInput!) { publishCompetencyFramework(input: $i) { frameworkId } }",
        json!({ "content": { "title": "Vadības kompetences", "areas": [{ "code": "1", "name": "Vadība",
            "competencies": [
                { "code": "1.1", "name": "Pārmaiņu vadība", "levels": levels },
                { "code": "1.2", "name": "Komandas vadība", "levels": levels }] }] } }),
        "frameworkId",
    )
    .await;
    let institution = created(
        &s,
        "mutation($i: RegisterInstitutionInput!) { registerInstitution(input: $i) { institutionId } }",
        json!({ "name": "Valsts kanceleja", "kind": "STATE", "resor": "VK" }),
        "institutionId",
    )
    .await;
    let mut people = Vec::new();
    for name in [
        "Anna Liepa",
        "Inese Bērziņa",
        "Pēteris Ozols",
        "Līga Kalna",
        "Jānis Egle",
        "Marta Priede",
        "Kārlis Vītols",
        "Zane Svešā",
    ] {
        people.push(
            created(
                &s,
                "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { employeeId } }",
                json!({ "institutionId": institution, "name": name, "jobGroups": ["MIDDLE_OR_LOWER_MANAGER"],
                        "hiredOn": "2024-01-01" }),
                "employeeId",
            )
            .await,
        );
    }
    let assign = |employee: String, manager: String| {
        let s = &s;
        async move {
            let p = s
                .mutate(
                    "mutation($i: AssignManagerInput!) { assignManager(input: $i) { userErrors { code } } }",
                    json!({ "i": { "employeeId": employee, "managerId": manager } }),
                )
                .await;
            assert_eq!(p["userErrors"], json!([]), "{p}");
        }
    };
    assign(people[0].clone(), people[1].clone()).await;
    assign(people[5].clone(), people[0].clone()).await;
    assign(people[6].clone(), people[0].clone()).await;
    World {
        s,
        framework,
        institution: institution.parse().unwrap(),
        subject: people[0].clone(),
        boss: people[1].clone(),
        peers: people[2..5].to_vec(),
        reports: people[5..7].to_vec(),
        outsider: people[7].clone(),
        hr: Uuid::now_v7().to_string(),
    }
}

async fn open(w: &World) -> String {
    let p = as_who(
        &w.s,
        &w.boss_token(),
        "openFeedbackCycle",
        "OpenFeedbackCycleInput",
        "cycleId userErrors { code field message }",
        json!({ "subjectId": w.subject, "frameworkId": w.framework, "frameworkVersion": 1,
                "competencies": ["1.1", "1.2"], "deadline": "2035-12-31" }),
    )
    .await;
    ok(&p);
    p["cycleId"].as_str().unwrap().to_owned()
}

/// HR invites, so that the subject's manager is only a rater here and the
/// log must not name them in the cycle at all.
async fn invite(w: &World, cycle: &str, rater: &str, relationship: &str) -> Value {
    as_who(
        &w.s,
        &w.hr_token(),
        "inviteRater",
        "InviteRaterInput",
        "cycleId position userErrors { code field message }",
        json!({ "cycleId": cycle, "raterId": rater, "relationship": relationship }),
    )
    .await
}

fn ratings(a: u8, b: Option<u8>) -> Value {
    let mut r = vec![json!({ "competency": "1.1", "level": a })];
    if let Some(b) = b {
        r.push(json!({ "competency": "1.2", "level": b }));
    }
    json!(r)
}

#[tokio::test]
async fn raters_stay_anonymous_through_every_path_and_the_report_releases_only_groups_at_the_minimum() {
    let w = world().await;
    let s = &w.s;
    let cycle = open(&w).await;

    ok(&invite(&w, &cycle, &w.subject, "SELF").await);
    ok(&invite(&w, &cycle, &w.boss, "MANAGER").await);
    for p in &w.peers {
        ok(&invite(&w, &cycle, p, "PEER").await);
    }
    for r in &w.reports {
        ok(&invite(&w, &cycle, r, "DIRECT_REPORT").await);
    }
    // SELF names the subject and only the subject; nobody is invited twice.
    assert_eq!(
        refusal(&invite(&w, &cycle, &w.outsider, "SELF").await),
        ("INVALID_VALUE".into(), "input.relationship".into())
    );
    assert_eq!(
        refusal(&invite(&w, &cycle, &w.subject, "PEER").await),
        ("INVALID_VALUE".into(), "input.relationship".into())
    );
    assert_eq!(
        refusal(&invite(&w, &cycle, &w.peers[0], "OTHER").await),
        ("ALREADY_EXISTS".into(), "input.raterId".into())
    );

    // MANAGER is the subject's current manager and nobody else; whoever
    // invites does not rate in a group that hides in numbers.
    assert_eq!(
        refusal(&invite(&w, &cycle, &w.peers[1], "MANAGER").await),
        ("INVALID_VALUE".into(), "input.relationship".into())
    );
    let outsider_as_hr = token(&w.outsider, &[Role::InstitutionHr], Some(w.institution), None);
    let self_invited = as_who(
        s,
        &outsider_as_hr,
        "inviteRater",
        "InviteRaterInput",
        "cycleId userErrors { code field message }",
        json!({ "cycleId": cycle, "raterId": w.outsider, "relationship": "OTHER" }),
    )
    .await;
    assert_eq!(refusal(&self_invited), ("INVALID_VALUE".into(), "input.raterId".into()));

    // Each rater finds the cycle among their invitations; nobody else does.
    let peer0 = w.as_employee(&w.peers[0]);
    let invited = json!([{ "cycleId": cycle, "relationship": "PEER", "submitted": false,
        "deadline": "2035-12-31", "competencies": [{ "code": "1.1" }, { "code": "1.2" }] }]);
    assert_eq!(invitations(s, &peer0).await, invited);
    assert_eq!(invitations(s, &w.as_employee(&w.outsider)).await, json!([]));
    assert_eq!(
        invitations(s, &w.hr_token()).await,
        json!([]),
        "HR invited, and is not invited"
    );

    // Typed refusals of a submission.
    assert_eq!(
        refusal(&submit(s, &w.as_employee(&w.outsider), &cycle, ratings(2, None), None).await),
        ("NOT_FOUND".into(), "input.cycleId".into()),
        "uninvited"
    );
    assert_eq!(
        refusal(&submit(s, &peer0, &cycle, ratings(5, None), None).await),
        ("OUT_OF_RANGE".into(), "input.ratings.level".into()),
        "off the scale"
    );
    // An invited rater signed in with a role that runs no command is
    // refused, and the refusal leaves no trace naming them.
    let as_auditor = token(&w.peers[1], &[Role::Auditor], None, None);
    let (_, body) = s
        .gql_as(
            &as_auditor,
            "mutation($i: SubmitFeedbackInput!) { submitFeedback(input: $i) { cycleId } }",
            json!({ "i": { "cycleId": cycle, "ratings": ratings(2, None) } }),
        )
        .await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "FORBIDDEN", "{body}");
    let traces: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE actor = $1 OR payload::text LIKE $2")
        .bind(&w.peers[1])
        .bind(format!("%{cycle}%{}%", w.peers[1]))
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    assert_eq!(traces, 0, "a refused submission was recorded");
    let unknown = json!([{ "competency": "9.9", "level": 1 }]);
    assert_eq!(
        refusal(&submit(s, &peer0, &cycle, unknown, None).await),
        ("NOT_FOUND".into(), "input.ratings.competency".into()),
        "unknown competency"
    );

    // The submissions; the payload names nothing but the cycle.
    let first = submit(
        s,
        &w.as_employee(&w.subject),
        &cycle,
        ratings(2, Some(3)),
        Some("Es varu labāk"),
    )
    .await;
    ok(&first);
    assert_eq!(first["cycleId"], json!(cycle));
    ok(&submit(s, &w.as_employee(&w.boss), &cycle, ratings(3, Some(3)), None).await);
    ok(&submit(s, &peer0, &cycle, ratings(4, Some(2)), Some("Zeta: iedvesmo")).await);
    assert_eq!(invitations(s, &peer0).await[0]["submitted"], json!(true));
    assert_eq!(
        invitations(s, &w.as_employee(&w.peers[1])).await[0]["submitted"],
        json!(false)
    );
    ok(&submit(
        s,
        &w.as_employee(&w.peers[1]),
        &cycle,
        ratings(3, Some(3)),
        Some("Alfa: uzklausa"),
    )
    .await);
    ok(&submit(s, &w.as_employee(&w.peers[2]), &cycle, ratings(2, Some(4)), None).await);
    ok(&submit(
        s,
        &w.as_employee(&w.reports[0]),
        &cycle,
        ratings(1, None),
        Some("Slepens komentārs"),
    )
    .await);
    ok(&submit(s, &w.as_employee(&w.reports[1]), &cycle, ratings(2, Some(1)), None).await);
    assert_eq!(
        refusal(&submit(s, &peer0, &cycle, ratings(1, Some(1)), None).await),
        ("ALREADY_EXISTS".into(), "input.cycleId".into()),
        "twice"
    );
    // Nothing of a submission is in the log while the cycle is open.
    let submitted: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = 'FeedbackSubmitted'")
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    assert_eq!(submitted, 0);

    // While open: counts per group, nothing released, no report.
    let open_view = read_cycle(s, &w.boss_token(), &cycle, &Value::Null).await;
    assert_eq!(open_view["status"], "OPEN");
    assert_eq!(open_view["minRaters"], 3);
    assert_eq!(open_view["report"], Value::Null);
    assert_eq!(
        open_view["groups"],
        json!([
            { "relationship": "SELF", "invited": 1, "responded": 1, "released": false },
            { "relationship": "MANAGER", "invited": 1, "responded": 1, "released": false },
            { "relationship": "PEER", "invited": 3, "responded": 3, "released": false },
            { "relationship": "DIRECT_REPORT", "invited": 2, "responded": 2, "released": false },
        ])
    );
    // Not a result yet, even of the cycle's own.
    let early = as_who(
        s,
        &w.boss_token(),
        "recordFeedbackResult",
        "RecordFeedbackResultInput",
        "cycleId userErrors { code field message }",
        json!({ "cycleId": cycle, "competency": "1.1", "level": 3, "assessedOn": "2026-06-01" }),
    )
    .await;
    assert_eq!(refusal(&early), ("INVALID_VALUE".into(), "input.cycleId".into()));

    // HR closes: the closer, not a rater, is the actor of what is written.
    let closed = as_who(
        s,
        &w.hr_token(),
        "closeFeedbackCycle",
        "CloseFeedbackCycleInput",
        "cycleId position userErrors { code field message }",
        json!({ "cycleId": cycle }),
    )
    .await;
    ok(&closed);
    let position = closed["position"].clone();
    assert_eq!(
        refusal(&submit(s, &w.as_employee(&w.peers[1]), &cycle, ratings(1, None), None).await),
        ("INVALID_VALUE".into(), "input.cycleId".into()),
        "after close"
    );

    let report = read_cycle(s, &w.boss_token(), &cycle, &position).await;
    assert_eq!(report["status"], "CLOSED");
    assert_eq!(
        report["groups"],
        json!([
            { "relationship": "SELF", "invited": 1, "responded": 1, "released": true },
            { "relationship": "MANAGER", "invited": 1, "responded": 1, "released": true },
            { "relationship": "PEER", "invited": 3, "responded": 3, "released": true },
            { "relationship": "DIRECT_REPORT", "invited": 2, "responded": 2, "released": false },
        ])
    );
    let averages =
        |a: f64, b: f64| json!([{ "competency": "1.1", "average": a }, { "competency": "1.2", "average": b }]);
    assert_eq!(
        report["report"]["groups"],
        json!([
            { "relationship": "SELF", "responses": 1, "released": true,
              "results": { "averages": averages(2.0, 3.0), "comments": ["Es varu labāk"] } },
            { "relationship": "MANAGER", "responses": 1, "released": true,
              "results": { "averages": averages(3.0, 3.0), "comments": [] } },
            { "relationship": "PEER", "responses": 3, "released": true,
              "results": { "averages": averages(3.0, 3.0), "comments": ["Alfa: uzklausa", "Zeta: iedvesmo"] } },
            { "relationship": "DIRECT_REPORT", "responses": 2, "released": false, "results": null },
        ])
    );
    // Others shown: the manager (3, 3) and the peers (4 3 2, 2 3 4): 3.0 each.
    assert_eq!(
        report["report"]["gaps"],
        json!([{ "competency": "1.1", "selfVsOthersGap": -1.0 }, { "competency": "1.2", "selfVsOthersGap": 0.0 }])
    );
    assert!(
        !report.to_string().contains("Slepens"),
        "an unreleased group's comment leaked"
    );

    // The same for everyone who may read it, administrators and auditors included.
    let (_, system) = s
        .gql_as(
            &common::server::system_token(),
            &format!("query($id: UUID!) {{ feedbackCycle(id: $id) {{ {CYCLE} }} }}"),
            json!({ "id": cycle }),
        )
        .await;
    let auditor = token(&Uuid::now_v7().to_string(), &[Role::Auditor], None, None);
    // The subject's list of cycles shows the same view.
    let (_, listed) = s
        .gql_as(
            &auditor,
            &format!("query($e: UUID!) {{ feedbackCycles(subjectId: $e) {{ nodes {{ {CYCLE} }} }} }}"),
            json!({ "e": w.subject }),
        )
        .await;
    for view in [
        system["data"]["feedbackCycle"].clone(),
        read_cycle(s, &w.hr_token(), &cycle, &Value::Null).await,
        read_cycle(s, &auditor, &cycle, &Value::Null).await,
        read_cycle(s, &w.as_employee(&w.subject), &cycle, &Value::Null).await,
        listed["data"]["feedbackCycles"]["nodes"][0].clone(),
    ] {
        assert_eq!(view, report);
        // No path of the API names a rater.
        for rater in w.raters() {
            assert!(!view.to_string().contains(rater.as_str()));
        }
    }

    // As a superuser, after the close. (a) No event outside the raters' own
    // employee streams names a peer or direct report, in payload, metadata
    // or actor; the cycle's events name no rater but the subject it is about.
    for rater in w.raters() {
        let like = format!("%{rater}%");
        let named: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM events WHERE stream_id NOT LIKE 'employee-%'
               AND (payload::text LIKE $1 OR metadata::text LIKE $1 OR actor = $2)",
        )
        .bind(&like)
        .bind(rater)
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
        assert_eq!(named, 0, "an event names rater {rater}");
    }
    let stream = format!("feedback-cycle-{cycle}");
    for person in [&w.subject, &w.boss] {
        let named: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM events WHERE stream_id = $1 AND event_type IN ('RaterInvited', 'FeedbackSubmitted')
               AND (payload::text LIKE $2 OR metadata::text LIKE $2 OR actor = $3)",
        )
        .bind(&stream)
        .bind(format!("%{person}%"))
        .bind(person)
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
        assert_eq!(named, 0, "an invitation or submission names {person}");
    }
    // (b) The key, the sealed submissions and the inbox rows are gone.
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM feedback_cycle_keys WHERE cycle_id = $1::uuid")
        .bind(&cycle)
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM feedback_pending")
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    let inbox: i64 = sqlx::query_scalar("SELECT count(*) FROM feedback_inbox WHERE cycle_id = $1::uuid")
        .bind(&cycle)
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    assert_eq!(
        (keys, pending, inbox),
        (0, 0, 0),
        "the key, the submissions and who was invited"
    );
    assert_eq!(invitations(s, &peer0).await, json!([]), "a closed cycle invites nobody");
    // (c, d) The submissions are in pseudonym order, written in one append
    // at one time, by the closer.
    let rows: Vec<(
        String,
        String,
        chrono::DateTime<chrono::Utc>,
        chrono::DateTime<chrono::Utc>,
    )> = sqlx::query_as(
        "SELECT payload->>'pseudonym', actor, recorded_at, occurred_at FROM events
          WHERE stream_id = $1 AND event_type = 'FeedbackSubmitted' ORDER BY position",
    )
    .bind(&stream)
    .fetch_all(&s.db.pool)
    .await
    .unwrap();
    assert_eq!(
        rows.len(),
        5,
        "self, manager and three peers: the two direct reports are under the minimum"
    );
    // (c') What no report may show is in no event and no read model: the
    // direct reports' answers were never written.
    let secret: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE payload::text LIKE '%Slepens%'")
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    let secret_rm: i64 =
        sqlx::query_scalar("SELECT count(*) FROM rm_feedback_response WHERE relationship = 'DIRECT_REPORT'")
            .fetch_one(&s.db.pool)
            .await
            .unwrap();
    assert_eq!((secret, secret_rm), (0, 0));
    let pseudonyms: Vec<&String> = rows.iter().map(|r| &r.0).collect();
    let mut sorted = pseudonyms.clone();
    sorted.sort();
    assert_eq!(pseudonyms, sorted, "not in pseudonym order");
    assert!(rows.iter().all(|r| r.1 == w.hr), "the actor is the closer");
    assert!(
        rows.iter().all(|r| r.2 == rows[0].2 && r.3 == rows[0].3),
        "one time for all"
    );
    // (e) No read model holds a pseudonym, or a rater.
    for table in ["rm_feedback_cycle", "rm_feedback_invited", "rm_feedback_response"] {
        let text: String = sqlx::query_scalar(&format!("SELECT coalesce(string_agg(t::text, ' '), '') FROM {table} t"))
            .fetch_one(&s.db.pool)
            .await
            .unwrap();
        for p in &pseudonyms {
            assert!(!text.contains(p.as_str()), "{table} holds a pseudonym");
        }
        for rater in w.raters() {
            assert!(!text.contains(rater.as_str()), "{table} names a rater");
        }
    }

    // A closed cycle's result is recorded as a FEEDBACK_360 assessment.
    let unknown = as_who(
        s,
        &w.boss_token(),
        "recordFeedbackResult",
        "RecordFeedbackResultInput",
        "cycleId userErrors { code field message }",
        json!({ "cycleId": cycle, "competency": "9.9", "level": 3, "assessedOn": "2026-06-01" }),
    )
    .await;
    assert_eq!(refusal(&unknown), ("NOT_FOUND".into(), "input.competency".into()));
    let recorded = as_who(
        s,
        &w.boss_token(),
        "recordFeedbackResult",
        "RecordFeedbackResultInput",
        "cycleId position userErrors { code field message }",
        json!({ "cycleId": cycle, "competency": "1.1", "level": 3, "assessedOn": "2026-06-01" }),
    )
    .await;
    ok(&recorded);
    assert_eq!(recorded["cycleId"], json!(cycle));
    let profile = s
        .gql(
            "query($e: UUID!, $f: UUID!, $p: Position) { competencyProfile(employeeId: $e, frameworkId: $f,
               atLeastPosition: $p) { competencies { competency { code } current { level method feedbackCycleId } }
               history { competency level method } } }",
            json!({ "e": w.subject, "f": w.framework, "p": recorded["position"] }),
        )
        .await;
    let competencies = &profile["data"]["competencyProfile"]["competencies"];
    let first = competencies
        .as_array()
        .unwrap_or_else(|| panic!("{profile}"))
        .iter()
        .find(|c| c["competency"]["code"] == "1.1")
        .unwrap();
    assert_eq!(
        first["current"],
        json!({ "level": 3, "method": "FEEDBACK_360", "feedbackCycleId": cycle }),
        "{profile}"
    );
    assert_eq!(
        profile["data"]["competencyProfile"]["history"],
        json!([{ "competency": "1.1", "level": 3, "method": "FEEDBACK_360" }]),
        "{profile}"
    );
    w.s.shut_down().await;
}

#[tokio::test]
async fn a_cancelled_cycle_destroys_its_key_and_its_submissions_unwritten() {
    let w = world().await;
    let s = &w.s;
    let cycle = open(&w).await;
    let keys = |cycle: String| {
        let pool = s.db.pool.clone();
        async move {
            let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM feedback_cycle_keys WHERE cycle_id = $1::uuid")
                .bind(&cycle)
                .fetch_one(&pool)
                .await
                .unwrap();
            let pending: i64 = sqlx::query_scalar("SELECT count(*) FROM feedback_pending WHERE cycle_id = $1::uuid")
                .bind(&cycle)
                .fetch_one(&pool)
                .await
                .unwrap();
            (keys, pending)
        }
    };
    assert_eq!(keys(cycle.clone()).await, (1, 0));
    ok(&invite(&w, &cycle, &w.peers[0], "PEER").await);
    ok(&submit(
        s,
        &w.as_employee(&w.peers[0]),
        &cycle,
        ratings(3, None),
        Some("atcelts"),
    )
    .await);
    assert_eq!(keys(cycle.clone()).await, (1, 1));

    let cancel = |who: String| {
        let cycle = cycle.clone();
        async move {
            as_who(
                s,
                &who,
                "cancelFeedbackCycle",
                "CancelFeedbackCycleInput",
                "cycleId position userErrors { code field message }",
                json!({ "cycleId": cycle, "reason": "Reorganizācija" }),
            )
            .await
        }
    };
    let cancelled = cancel(w.hr_token()).await;
    ok(&cancelled);
    assert_eq!(keys(cycle.clone()).await, (0, 0));
    assert_eq!(
        refusal(&cancel(w.hr_token()).await),
        ("INVALID_VALUE".into(), "input.cycleId".into())
    );
    assert_eq!(
        refusal(&submit(s, &w.as_employee(&w.peers[1]), &cycle, ratings(3, None), None).await),
        ("INVALID_VALUE".into(), "input.cycleId".into())
    );
    let view = read_cycle(s, &w.boss_token(), &cycle, &cancelled["position"]).await;
    assert_eq!(view["status"], "CANCELLED");
    assert_eq!(view["cancelReason"], "Reorganizācija");
    assert_eq!(view["report"], Value::Null);
    assert_eq!(
        view["groups"],
        json!([{ "relationship": "PEER", "invited": 1, "responded": 0, "released": false }])
    );
    let text: String = sqlx::query_scalar("SELECT coalesce(string_agg(payload::text, ' '), '') FROM events")
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    assert!(!text.contains("atcelts"), "a cancelled submission was written");

    // The subject's cycles, latest deadline first, paged; a peer reaches none.
    let second = open(&w).await;
    let invited = invite(&w, &second, &w.peers[0], "PEER").await;
    ok(&invited);
    let at = invited["position"].clone();
    let subject = w.subject.clone();
    let list = |who: String, args: &'static str| {
        let (subject, at) = (subject.clone(), at.clone());
        async move {
            let (_, body) = s
                .gql_as(
                    &who,
                    &format!(
                        "query($e: UUID!, $p: Position) {{ feedbackCycles(subjectId: $e, atLeastPosition: $p, {args}) {{ totalCount
                       pageInfo {{ hasNextPage endCursor }} nodes {{ cycleId status }} }} }}"
                    ),
                    json!({ "e": subject, "p": at }),
                )
                .await;
            body
        }
    };
    let all = list(w.boss_token(), "first: 5").await;
    let listed = &all["data"]["feedbackCycles"];
    assert_eq!(listed["totalCount"], 2, "{all}");
    let mut ids: Vec<&Value> = listed["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["cycleId"])
        .collect();
    ids.sort_by_key(|v| v.as_str().unwrap().to_owned());
    let mut expected = [json!(cycle), json!(second)];
    expected.sort_by_key(|v| v.as_str().unwrap().to_owned());
    assert_eq!(ids, expected.iter().collect::<Vec<_>>());
    let first = list(w.boss_token(), "first: 1").await;
    assert_eq!(
        first["data"]["feedbackCycles"]["pageInfo"]["hasNextPage"], true,
        "{first}"
    );
    let peer = list(w.as_employee(&w.peers[0]), "first: 5").await;
    assert_eq!(peer["errors"][0]["extensions"]["code"], "NOT_FOUND", "{peer}");
    w.s.shut_down().await;
}

#[tokio::test]
async fn only_the_subjects_manager_or_hr_opens_a_cycle() {
    let w = world().await;
    let s = &w.s;
    // A peer is nobody's manager here: refused by the policy.
    let (_, body) = s
        .gql_as(
            &token(&w.peers[0], &[Role::Manager], Some(w.institution), None),
            "mutation($i: OpenFeedbackCycleInput!) { openFeedbackCycle(input: $i) { cycleId } }",
            json!({ "i": { "subjectId": w.subject, "frameworkId": w.framework, "frameworkVersion": 1,
                           "competencies": ["1.1"], "deadline": "2035-12-31" } }),
        )
        .await;
    assert!(body.get("errors").is_some(), "{body}");
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM feedback_cycle_keys")
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    assert_eq!(keys, 0, "a refused opening made a key");
    // A refused opening leaves no key either.
    let refused = as_who(
        s,
        &w.hr_token(),
        "openFeedbackCycle",
        "OpenFeedbackCycleInput",
        "cycleId userErrors { code field message }",
        json!({ "subjectId": w.subject, "frameworkId": w.framework, "frameworkVersion": 1,
                "competencies": ["1.1"], "deadline": "2035-12-31", "minRaters": 2 }),
    )
    .await;
    assert_eq!(
        refusal(&refused),
        ("OUT_OF_RANGE".into(), "input.minRaters".into()),
        "at 2, each of a released pair would learn the other's answers"
    );
    let keys: i64 = sqlx::query_scalar("SELECT count(*) FROM feedback_cycle_keys")
        .fetch_one(&s.db.pool)
        .await
        .unwrap();
    assert_eq!(keys, 0, "a refused opening left a key");
    w.s.shut_down().await;
}

/// `feedbackCycleUpdated` over graphql-ws: an update per invitation and on
/// the close, none for a submission (which changes nothing the log sees),
/// and a cycle out of reach reads as missing.
#[tokio::test]
async fn the_subscription_sends_invitations_and_the_close_but_never_a_submission() {
    use futures::SinkExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    let w = world().await;
    let s = &w.s;
    let cycle = open(&w).await;
    let send = |v: Value| Message::Text(v.to_string().into());
    let addr = s.addr;
    let connect = |token: String| async move {
        let mut request = format!("ws://{addr}/graphql").into_client_request().unwrap();
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        ws.send(send(common::server::connection_init(&token))).await.unwrap();
        assert_eq!(common::server::next_json(&mut ws).await["type"], "connection_ack");
        ws
    };
    let subscribe = |id: &str| {
        send(json!({ "id": id, "type": "subscribe", "payload": { "query": format!(
            "subscription {{ feedbackCycleUpdated(cycleId: \"{cycle}\") {{ position cycle {{ status
               groups {{ relationship invited responded }} report {{ groups {{ relationship responses released }} }} }} }} }}") } }))
    };
    // A peer may not watch the cycle they rate.
    let mut ws = connect(w.as_employee(&w.peers[0])).await;
    ws.send(subscribe("x")).await.unwrap();
    let refused = common::server::next_json(&mut ws).await;
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "NOT_FOUND",
        "{refused}"
    );
    drop(ws);

    let mut ws = connect(w.boss_token()).await;
    ws.send(subscribe("c")).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let invited = invite(&w, &cycle, &w.peers[0], "PEER").await;
    ok(&invited);
    let update = common::server::next_json(&mut ws).await;
    let data = &update["payload"]["data"]["feedbackCycleUpdated"];
    assert_eq!(data["position"], invited["position"], "{update}");
    assert_eq!(
        data["cycle"]["groups"],
        json!([{ "relationship": "PEER", "invited": 1, "responded": 0 }])
    );
    ok(&submit(s, &w.as_employee(&w.peers[0]), &cycle, ratings(3, None), None).await);
    let closed = as_who(
        s,
        &w.hr_token(),
        "closeFeedbackCycle",
        "CloseFeedbackCycleInput",
        "cycleId position userErrors { code field message }",
        json!({ "cycleId": cycle }),
    )
    .await;
    ok(&closed);
    // The next message is the close: the submission sent none.
    let update = common::server::next_json(&mut ws).await;
    let data = &update["payload"]["data"]["feedbackCycleUpdated"];
    assert_eq!(data["position"], closed["position"], "{update}");
    assert_eq!(data["cycle"]["status"], "CLOSED");
    assert_eq!(
        data["cycle"]["report"]["groups"],
        json!([{ "relationship": "PEER", "responses": 1, "released": false }])
    );
    drop(ws);
    w.s.shut_down().await;
}

/// A close whose delete never ran (the process stopped after the append)
/// leaves the key, the sealed submissions and the inbox behind; the sweep the
/// server runs at start and every minute destroys them, and only them.
#[tokio::test]
async fn the_sweep_destroys_what_an_interrupted_close_left_and_nothing_of_an_open_cycle() {
    let w = world().await;
    let s = &w.s;
    let (closed, open_one) = (open(&w).await, open(&w).await);
    ok(&invite(&w, &open_one, &w.peers[0], "PEER").await);
    ok(&as_who(
        s,
        &w.hr_token(),
        "closeFeedbackCycle",
        "CloseFeedbackCycleInput",
        "cycleId userErrors { code field message }",
        json!({ "cycleId": closed }),
    )
    .await);
    // What the delete would have removed, put back as it was before it.
    for sql in [
        "INSERT INTO feedback_cycle_keys (cycle_id, key) VALUES ($1::uuid, decode(repeat('ab', 32), 'hex'))",
        "INSERT INTO feedback_pending (cycle_id, pseudonym, relationship, nonce, sealed)
         VALUES ($1::uuid, 'p', 'PEER', '\\x00', '\\x00')",
        "INSERT INTO feedback_inbox (rater_id, cycle_id) VALUES (gen_random_uuid(), $1::uuid)",
    ] {
        sqlx::query(sql).bind(&closed).execute(&s.db.pool).await.unwrap();
    }
    let count = |table: &'static str, cycle: String| {
        let pool = s.db.pool.clone();
        async move {
            let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {table} WHERE cycle_id = $1::uuid"))
                .bind(cycle)
                .fetch_one(&pool)
                .await
                .unwrap();
            n
        }
    };
    assert_eq!(FeedbackKeys::destroy_leftovers(&s.db.pool).await.unwrap(), 1);
    for table in ["feedback_cycle_keys", "feedback_pending", "feedback_inbox"] {
        assert_eq!(count(table, closed.clone()).await, 0, "{table}");
    }
    assert_eq!(
        count("feedback_cycle_keys", open_one.clone()).await,
        1,
        "the open cycle keeps its key"
    );
    assert_eq!(count("feedback_inbox", open_one).await, 1, "and its invitation");
    w.s.shut_down().await;
}
