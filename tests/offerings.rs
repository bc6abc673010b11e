//! Offerings and the enrolment lifecycle end to end, capacity under a race.

mod common;

use common::server::{connection_init, start, system_token, Server};
use serde_json::{json, Value};

async fn setup(s: &Server, name: &str) -> (String, String) {
    let inst = s
        .mutate(
            "mutation($i: RegisterInstitutionInput!) { registerInstitution(input: $i) { institutionId } }",
            json!({ "i": { "name": name, "kind": "STATE", "resor": "FM" } }),
        )
        .await["institutionId"]
        .as_str()
        .unwrap()
        .to_owned();
    let course = s
        .mutate(
            "mutation($i: CatalogueCourseInput!) { catalogueCourse(input: $i) { courseId } }",
            json!({ "i": { "description": { "title": "Digitālās prasmes", "owner": { "level": "PUBLIC_ADMINISTRATION" },
                "priority": "DIGITAL_TRANSFORMATION", "measures": ["4.1"], "courseType": "E_LEARNING",
                "knowledgeTest": true, "durationMinutes": 480, "language": "lv" } } }),
        )
        .await["courseId"]
        .as_str()
        .unwrap()
        .to_owned();
    (inst, course)
}

async fn hire(s: &Server, institution: &str, name: &str) -> String {
    let p = s
        .mutate(
            "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { employeeId userErrors { code } } }",
            json!({ "i": { "institutionId": institution, "name": name, "jobGroups": ["NEW_EMPLOYEE"], "hiredOn": "2024-01-01" } }),
        )
        .await;
    p["employeeId"].as_str().expect("hired").to_owned()
}

async fn schedule(s: &Server, course: &str, capacity: i64) -> String {
    let p = s
        .mutate(
            "mutation($i: ScheduleOfferingInput!) { scheduleOffering(input: $i) { offeringId userErrors { code field } } }",
            json!({ "i": { "courseId": course, "startsOn": "2035-03-01", "endsOn": "2035-03-02", "format": "ONLINE",
                           "capacity": capacity, "costPerParticipantCents": 15000, "organiser": "Valsts administrācijas skola" } }),
        )
        .await;
    p["offeringId"].as_str().expect("scheduled").to_owned()
}

const PLACE: &str = "userErrors { code field message } position employeeId place { status }";

async fn place(s: &Server, mutation: &str, offering: &str, employee: &str, extra: Value) -> Value {
    let mut input = json!({ "offeringId": offering, "employeeId": employee });
    for (k, v) in extra.as_object().unwrap() {
        input[k] = v.clone();
    }
    let input_type = match mutation {
        "recordAttendance" => "RecordAttendanceInput",
        "recordCompletion" => "RecordCompletionInput",
        "substituteParticipant" => "SubstituteParticipantInput",
        _ => "PlaceInput",
    };
    s.mutate(
        &format!("mutation($i: {input_type}!) {{ {mutation}(input: $i) {{ {PLACE} }} }}"),
        json!({ "i": input }),
    )
    .await
}

/// The institution's 2035 training budget: what seats committed and spent.
async fn budget(s: &Server, institution: &str, at: &Value) -> Value {
    let q = s
        .gql(
            "query($i: UUID!, $p: Position) { institution(id: $i, atLeastPosition: $p) {
                trainingBudget(year: 2035) { committedCents spentCents } } }",
            json!({ "i": institution, "p": at }),
        )
        .await;
    q["data"]["institution"]["trainingBudget"].clone()
}

async fn verify(s: &Server, number: String) -> Value {
    s.gql(
        "query($n: String!) { certificate(number: $n) { revoked employee { id } } }",
        json!({ "n": number }),
    )
    .await
}

async fn roster(s: &Server, offering: &str, at: &Value) -> Vec<(String, String)> {
    let q = s
        .gql(
            "query($o: UUID!, $p: Position) { offering(id: $o, atLeastPosition: $p) { roster(first: 500) { edges { node { status employee { id } } } } } }",
            json!({ "o": offering, "p": at }),
        )
        .await;
    q["data"]["offering"]["roster"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["node"])
        .map(|p| {
            (
                p["status"].as_str().unwrap().to_owned(),
                p["employee"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn from_request_to_certificate_with_waitlist_and_substitution() {
    let s = start().await;
    let (vid, course) = setup(&s, "Valsts ieņēmumu dienests").await;
    let (other, _) = setup(&s, "Valsts kase").await;
    let anna = hire(&s, &vid, "Anna Liepa").await;
    let janis = hire(&s, &vid, "Jānis Ozols").await;
    let ilze = hire(&s, &vid, "Ilze Kalniņa").await;
    let outsider = hire(&s, &other, "Pēteris Vītols").await;
    let offering = schedule(&s, &course, 1).await;

    for e in [&anna, &janis] {
        assert_eq!(
            place(&s, "requestPlace", &offering, e, json!({})).await["userErrors"],
            json!([])
        );
    }
    let dup = place(&s, "requestPlace", &offering, &anna, json!({})).await;
    assert_eq!(dup["userErrors"][0]["code"], "ALREADY_EXISTS");
    // The payload says where the approval put each: the seat, or the waitlist.
    let p = place(&s, "approvePlace", &offering, &anna, json!({})).await;
    assert_eq!(
        (p["employeeId"].clone(), p["place"]["status"].clone()),
        (json!(anna), json!("ENROLLED"))
    );
    let p = place(&s, "approvePlace", &offering, &janis, json!({})).await;
    assert_eq!(p["place"]["status"], "WAITLISTED", "{p}");
    assert_eq!(
        roster(&s, &offering, &p["position"]).await,
        vec![("ENROLLED".into(), anna.clone()), ("WAITLISTED".into(), janis.clone())]
    );

    // Anna cannot come: Jānis moves up.
    let p = place(
        &s,
        "cancelPlace",
        &offering,
        &anna,
        json!({ "reason": "slimības lapa" }),
    )
    .await;
    assert_eq!(
        roster(&s, &offering, &p["position"]).await[0],
        ("ENROLLED".into(), janis.clone())
    );

    // HR substitutes a colleague for Jānis; not someone from another institution.
    let wrong = place(
        &s,
        "substituteParticipant",
        &offering,
        &janis,
        json!({ "substituteId": outsider }),
    )
    .await;
    assert_eq!(wrong["userErrors"][0]["field"], json!(["input", "substituteId"]));
    let p = place(
        &s,
        "substituteParticipant",
        &offering,
        &janis,
        json!({ "substituteId": ilze }),
    )
    .await;
    assert_eq!(
        roster(&s, &offering, &p["position"]).await[0],
        ("ENROLLED".into(), ilze.clone())
    );
    assert_eq!(
        budget(&s, &vid, &p["position"]).await,
        json!({ "committedCents": 15000, "spentCents": 0 }),
        "one seat committed, whoever holds it"
    );

    let done = json!({ "passed": true, "score": 92, "knowledgeTestPassed": true, "minutes": 480, "completedOn": "2035-03-02" });
    let early = place(&s, "recordCompletion", &offering, &ilze, done.clone()).await;
    assert_eq!(
        early["userErrors"][0]["message"],
        "a completion needs recorded attendance"
    );
    let p = place(
        &s,
        "recordAttendance",
        &offering,
        &ilze,
        json!({ "attendance": "ATTENDED" }),
    )
    .await;
    assert_eq!(
        budget(&s, &vid, &p["position"]).await,
        json!({ "committedCents": 0, "spentCents": 15000 }),
        "attendance turns the commitment into spend"
    );
    let mut bad = done.clone();
    bad["score"] = json!(101);
    let bad = place(&s, "recordCompletion", &offering, &ilze, bad).await;
    assert_eq!(bad["userErrors"][0]["field"], json!(["input", "score"]));
    let p = place(&s, "recordCompletion", &offering, &ilze, done).await;
    assert_eq!(p["userErrors"], json!([]));

    let feedback =
        |kind: &str, value: Value| json!({ "i": { "offeringId": offering, "employeeId": ilze, kind: value } });
    let give = "mutation($i: GiveFeedbackInput!) { giveFeedback(input: $i) { position userErrors { code field } } }";
    let ratings = json!({ "organisation": 5, "content": 4, "trainer": 5, "usefulness": 4, "methods": 3 });
    assert_eq!(
        s.mutate(give, feedback("immediate", ratings.clone())).await["userErrors"],
        json!([])
    );
    let twice = s.mutate(give, feedback("immediate", ratings)).await;
    assert_eq!(twice["userErrors"][0]["code"], "ALREADY_EXISTS", "duplicate feedback");
    let p = s
        .mutate(
            give,
            feedback(
                "followUp",
                json!({ "appliedAtWork": true, "comment": "Izmantoju ikdienā" }),
            ),
        )
        .await;
    let summary = s
        .gql(
            "query($o: UUID!, $p: Position) { offering(id: $o, atLeastPosition: $p) { feedbackSummary {
                immediateResponses organisation methods followUpResponses appliedAtWork } } }",
            json!({ "o": offering, "p": p["position"] }),
        )
        .await;
    assert_eq!(
        summary["data"]["offering"]["feedbackSummary"],
        json!({ "immediateResponses": 1, "organisation": null, "methods": null, "followUpResponses": 1, "appliedAtWork": null }),
        "one participant's answers cannot be read off the summary"
    );

    let transcript = s
        .gql(
            "query($e: UUID!, $p: Position) { transcript(employeeId: $e, atLeastPosition: $p) { totalMinutes
                completions { edges { node { certificateNumber score offering { course { title } } } } } } }",
            json!({ "e": ilze, "p": p["position"] }),
        )
        .await;
    let t = &transcript["data"]["transcript"];
    assert_eq!(t["totalMinutes"], 480);
    let first_completion = &t["completions"]["edges"][0]["node"];
    assert_eq!(first_completion["offering"]["course"]["title"], "Digitālās prasmes");
    let number = first_completion["certificateNumber"].as_str().unwrap().to_owned();
    assert_eq!(
        verify(&s, number.clone()).await["data"]["certificate"],
        json!({ "revoked": false, "employee": { "id": ilze } })
    );

    let p = place(
        &s,
        "revokeCompletion",
        &offering,
        &ilze,
        json!({ "reason": "ievadīts nepareizam dalībniekam" }),
    )
    .await;
    let after = s
        .gql(
            "query($e: UUID!, $p: Position) { transcript(employeeId: $e, atLeastPosition: $p) { totalMinutes } }",
            json!({ "e": ilze, "p": p["position"] }),
        )
        .await;
    assert_eq!(after["data"]["transcript"]["totalMinutes"], 0);
    assert_eq!(verify(&s, number).await["data"]["certificate"]["revoked"], true);

    let hours = s
        .gql(
            "query($e: UUID!, $i: UUID!) {
                employeeLearningHours(employeeId: $e, year: 2035) { month minutes meetsTwoHours }
                institutionLearningHours(institutionId: $i, year: 2035) { month minutes employees minutesPerEmployee meetsTwoHours }
                trainingActivity(institutionId: $i, year: 2035) { requests enrolments cancellations completions passed learners minutes } }",
            json!({ "e": ilze, "i": vid }),
        )
        .await;
    let d = &hours["data"];
    assert_eq!(
        d["employeeLearningHours"][2],
        json!({ "month": 3, "minutes": 0, "meetsTwoHours": false }),
        "revoked"
    );
    assert_eq!(d["institutionLearningHours"][2]["employees"], 3);
    assert_eq!(
        d["trainingActivity"],
        json!({ "requests": 3, "enrolments": 1, "cancellations": 1, "completions": 0, "passed": 0, "learners": 0, "minutes": 0 })
    );

    // An offering that took place cannot be cancelled; nothing happens to a cancelled one.
    let cancel = "mutation($i: CancelOfferingInput!) { cancelOffering(input: $i) { userErrors { code message } } }";
    let took_place = s
        .mutate(cancel, json!({ "i": { "offeringId": offering, "reason": "x" } }))
        .await;
    assert_eq!(
        took_place["userErrors"][0]["message"],
        "attendance is recorded: the offering has taken place"
    );
    let other_offering = schedule(&s, &course, 3).await;
    s.mutate(
        cancel,
        json!({ "i": { "offeringId": other_offering, "reason": "lektors saslima" } }),
    )
    .await;
    let late = place(&s, "requestPlace", &other_offering, &anna, json!({})).await;
    assert_eq!(late["userErrors"][0]["message"], "the offering is cancelled");
    s.shut_down().await;
}

/// The roster's employees, read 30 at a time with `first`/`after`, or
/// with `last`/`before` from the end, in roster order.
async fn roster_in_pages(s: &Server, offering: &str, forward: bool) -> Vec<String> {
    let (size, cursor, page_info) = if forward {
        ("first", "after", "hasNextPage endCursor")
    } else {
        ("last", "before", "hasPreviousPage startCursor")
    };
    let query = format!(
        "query($o: UUID!, $c: String) {{ offering(id: $o) {{ roster({size}: 30, {cursor}: $c) {{
            totalCount pageInfo {{ {page_info} }} edges {{ node {{ employee {{ id }} }} }} }} }} }}"
    );
    let (mut pages, mut at): (Vec<Vec<String>>, Value) = (vec![], Value::Null);
    loop {
        let body = s.gql(&query, json!({ "o": offering, "c": at })).await;
        let roster = &body["data"]["offering"]["roster"];
        assert_eq!(roster["totalCount"], 100, "{body}");
        let page = roster["edges"].as_array().unwrap().iter();
        pages.push(
            page.map(|e| e["node"]["employee"]["id"].as_str().unwrap().to_owned())
                .collect(),
        );
        let (more, next) = if forward {
            (&roster["pageInfo"]["hasNextPage"], &roster["pageInfo"]["endCursor"])
        } else {
            (
                &roster["pageInfo"]["hasPreviousPage"],
                &roster["pageInfo"]["startCursor"],
            )
        };
        if more != true {
            break;
        }
        at = next.clone();
    }
    if !forward {
        pages.reverse();
    }
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>().len(),
        4,
        "30 + 30 + 30 + 10"
    );
    pages.concat()
}

#[tokio::test]
async fn a_hundred_racing_requests_never_exceed_capacity() {
    let s = start().await;
    let (vid, course) = setup(&s, "Valsts policija").await;
    let offering = schedule(&s, &course, 5).await;
    let mut employees = Vec::new();
    for n in 0..100 {
        employees.push(hire(&s, &vid, &format!("Darbinieks {n}")).await);
    }
    let race = |mutation: &'static str| {
        let tasks: Vec<_> = employees
            .iter()
            .map(|e| {
                let (http, addr) = (s.http.clone(), s.addr);
                let body = json!({ "query": format!("mutation($i: PlaceInput!) {{ {mutation}(input: $i) {{ {PLACE} }} }}"),
                                   "variables": { "i": { "offeringId": offering, "employeeId": e } } });
                tokio::spawn(async move {
                    let r: Value = http.post(format!("http://{addr}/graphql")).json(&body).send().await.unwrap().json().await.unwrap();
                    r["data"][mutation].clone()
                })
            })
            .collect::<Vec<_>>();
        async move {
            let mut last = 0;
            for t in tasks {
                let p = t.await.unwrap();
                assert_eq!(p["userErrors"], json!([]), "{p}");
                last = last.max(p["position"].as_i64().unwrap());
            }
            last
        }
    };
    race("requestPlace").await;
    let last = race("approvePlace").await;
    let roster = roster(&s, &offering, &json!(last)).await;
    let enrolled = roster.iter().filter(|(s, _)| s == "ENROLLED").count();
    let waitlisted = roster.iter().filter(|(s, _)| s == "WAITLISTED").count();
    assert_eq!((enrolled, waitlisted), (5, 95));
    let distinct: std::collections::HashSet<_> = roster.iter().map(|(_, e)| e).collect();
    assert_eq!(distinct.len(), 100, "nobody holds two places");
    let everyone: Vec<_> = roster.iter().map(|(_, e)| e.clone()).collect();
    assert_eq!(
        roster_in_pages(&s, &offering, true).await,
        everyone,
        "forward in pages of 30"
    );
    assert_eq!(
        roster_in_pages(&s, &offering, false).await,
        everyone,
        "back from the end"
    );
    let capacity = "mutation($i: ChangeOfferingCapacityInput!) { changeOfferingCapacity(input: $i) {
        position userErrors { code field } } }";
    let below = s
        .mutate(capacity, json!({ "i": { "offeringId": offering, "capacity": 4 } }))
        .await;
    assert_eq!(
        below["userErrors"],
        json!([{ "code": "OUT_OF_RANGE", "field": ["input", "capacity"] }])
    );
    let more = s
        .mutate(capacity, json!({ "i": { "offeringId": offering, "capacity": 7 } }))
        .await;
    let after = self::roster(&s, &offering, &more["position"]).await;
    assert_eq!(
        after.iter().filter(|(s, _)| s == "ENROLLED").count(),
        7,
        "two more seats, taken from the waitlist"
    );
    s.shut_down().await;
}

#[tokio::test]
async fn offering_and_transcript_subscriptions_fire_after_the_projection_commits() {
    use futures::SinkExt;
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;

    let s = start().await;
    let (vid, course) = setup(&s, "Valsts zemes dienests").await;
    let anna = hire(&s, &vid, "Anna Liepa").await;
    let offering = schedule(&s, &course, 2).await;
    let mut request = format!("ws://{}/graphql", s.addr).into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse().unwrap());
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = |v: Value| Message::Text(v.to_string().into());
    ws.send(send(connection_init(&system_token()))).await.unwrap();
    assert_eq!(common::server::next_json(&mut ws).await["type"], "connection_ack");
    ws.send(send(json!({ "id": "o", "type": "subscribe", "payload": { "query":
        format!("subscription {{ offeringUpdated(offeringId: \"{offering}\") {{ position offering {{ roster {{ edges {{ node {{ status }} }} }} }} }} }}") } })))
        .await
        .unwrap();
    ws.send(send(json!({ "id": "t", "type": "subscribe", "payload": { "query":
        format!("subscription {{ employeeTranscriptUpdated(employeeId: \"{anna}\") {{ position transcript {{ totalMinutes }} }} }}") } })))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;

    let requested = place(&s, "requestPlace", &offering, &anna, json!({})).await;
    // The offering's own scheduling may still be on its way through the projection.
    let first = loop {
        let msg = common::server::next_json(&mut ws).await;
        if msg["payload"]["data"]["offeringUpdated"]["position"] == requested["position"] {
            break msg;
        }
    };
    assert_eq!(first["id"], "o");
    assert_eq!(
        first["payload"]["data"]["offeringUpdated"]["offering"]["roster"]["edges"],
        json!([{ "node": { "status": "REQUESTED" } }])
    );

    place(&s, "approvePlace", &offering, &anna, json!({})).await;
    place(
        &s,
        "recordAttendance",
        &offering,
        &anna,
        json!({ "attendance": "ATTENDED" }),
    )
    .await;
    let done = json!({ "passed": true, "minutes": 240, "completedOn": "2035-03-02" });
    let completed = place(&s, "recordCompletion", &offering, &anna, done).await;
    // Approval (enrolment and its cost) and attendance (and its spend) each
    // update the offering; the completion updates both.
    let mut transcript = None;
    while transcript.is_none() {
        let msg = common::server::next_json(&mut ws).await;
        if msg["id"] == "t" {
            transcript = Some(msg);
        }
    }
    let t = &transcript.unwrap()["payload"]["data"]["employeeTranscriptUpdated"];
    assert_eq!(t["position"], completed["position"]);
    assert_eq!(t["transcript"]["totalMinutes"], 240);
    let hours = s
        .gql(
            "query($e: UUID!) { employeeLearningHours(employeeId: $e, year: 2035) { month minutes meetsTwoHours } }",
            json!({ "e": anna }),
        )
        .await;
    assert_eq!(
        hours["data"]["employeeLearningHours"][2],
        json!({ "month": 3, "minutes": 240, "meetsTwoHours": true })
    );
    ws.close(None).await.unwrap();
    s.shut_down().await;
}

#[tokio::test]
async fn a_retry_answers_as_the_original_even_if_its_checks_would_now_fail() {
    let s = start().await;
    let (vid, course) = setup(&s, "Lauku atbalsta dienests").await;
    let anna = hire(&s, &vid, "Anna Liepa").await;
    let offering = schedule(&s, &course, 2).await;
    let command_id = uuid::Uuid::now_v7();
    let first = place(&s, "requestPlace", &offering, &anna, json!({ "commandId": command_id })).await;
    s.mutate(
        "mutation($i: RecordEmployeeLeftInput!) { recordEmployeeLeft(input: $i) { userErrors { code } } }",
        json!({ "i": { "employeeId": anna, "leftOn": "2026-01-31" } }),
    )
    .await;
    let retry = place(&s, "requestPlace", &offering, &anna, json!({ "commandId": command_id })).await;
    assert_eq!(retry["userErrors"], json!([]), "not 'the employee has left': {retry}");
    assert_eq!(retry["position"], first["position"]);
    let fresh = place(&s, "requestPlace", &offering, &anna, json!({})).await;
    assert_eq!(fresh["userErrors"][0]["message"], "the employee has left");
    s.shut_down().await;
}

async fn schedule_on(s: &Server, course: &str, starts_on: &str, format: &str, organiser: &str) -> (String, Value) {
    let p = s
        .mutate(
            "mutation($i: ScheduleOfferingInput!) { scheduleOffering(input: $i) { offeringId position userErrors { code } } }",
            json!({ "i": { "courseId": course, "startsOn": starts_on, "endsOn": starts_on, "format": format,
                           "capacity": 1, "costPerParticipantCents": 0, "organiser": organiser } }),
        )
        .await;
    (
        p["offeringId"].as_str().expect("scheduled").to_owned(),
        p["position"].clone(),
    )
}

const OFFERINGS: &str =
    "query($f: OfferingFilter, $first: Int, $after: String, $last: Int, $before: String, $p: Position) {
  offerings(filter: $f, first: $first, after: $after, last: $last, before: $before, atLeastPosition: $p) {
    totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { node { id startsOn } } } }";

fn ids(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("a connection: {connection}"))
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn offerings_are_listed_filtered_and_paged_both_ways_with_cursors_that_keep_their_place() {
    let s = start().await;
    let (_, course) = setup(&s, "Valsts kase").await;
    let (march, _) = schedule_on(&s, &course, "2035-03-01", "ONLINE", "Valsts administrācijas skola").await;
    let (april, _) = schedule_on(&s, &course, "2035-04-01", "ON_SITE", "VAS").await;
    let (june, _) = schedule_on(&s, &course, "2035-06-01", "ONLINE", "vas").await;
    let cancelled = s
        .mutate(
            "mutation($i: CancelOfferingInput!) { cancelOffering(input: $i) { position userErrors { code } } }",
            json!({ "i": { "offeringId": june, "reason": "Lektors saslima" } }),
        )
        .await;
    let at = cancelled["position"].clone();
    let list = |variables: Value| {
        let (s, mut variables) = (&s, variables);
        variables["p"] = at.clone();
        async move { s.gql(OFFERINGS, variables).await["data"]["offerings"].clone() }
    };

    let all = list(json!({ "f": { "course": course } })).await;
    assert_eq!(
        ids(&all),
        vec![march.clone(), april.clone(), june.clone()],
        "by start date"
    );
    assert_eq!(all["totalCount"], 3);
    let narrowed = [
        (json!({ "status": "CANCELLED" }), vec![june.clone()]),
        (json!({ "status": "SCHEDULED" }), vec![march.clone(), april.clone()]),
        (json!({ "format": "ONLINE" }), vec![march.clone(), june.clone()]),
        (json!({ "organiser": "VAS" }), vec![april.clone(), june.clone()]),
        (json!({ "from": "2035-03-02", "to": "2035-05-31" }), vec![april.clone()]),
    ];
    for (filter, expected) in narrowed {
        let page = list(json!({ "f": filter })).await;
        assert_eq!(ids(&page), expected, "{filter}");
        assert_eq!(page["totalCount"], expected.len(), "{filter}");
    }

    // Forward, then back from the end, in list order either way.
    let head = list(json!({ "first": 2 })).await;
    assert_eq!(ids(&head), vec![march.clone(), april.clone()]);
    assert_eq!(head["pageInfo"]["hasNextPage"], true);
    assert_eq!(head["totalCount"], 3, "the whole list, not the page");
    let rest = list(json!({ "first": 2, "after": head["pageInfo"]["endCursor"] })).await;
    assert_eq!(ids(&rest), vec![june.clone()]);
    assert_eq!(
        (
            rest["pageInfo"]["hasNextPage"].clone(),
            rest["pageInfo"]["hasPreviousPage"].clone()
        ),
        (json!(false), json!(true))
    );
    let tail = list(json!({ "last": 2 })).await;
    assert_eq!(ids(&tail), vec![april.clone(), june.clone()]);
    assert_eq!(tail["pageInfo"]["hasPreviousPage"], true);
    let before = list(json!({ "last": 2, "before": tail["pageInfo"]["startCursor"] })).await;
    assert_eq!(ids(&before), vec![march.clone()]);

    // An offering scheduled ahead of a cursor neither repeats nor hides a row.
    let one = list(json!({ "first": 1 })).await;
    let (january, at) = schedule_on(&s, &course, "2035-01-15", "ONLINE", "VAS").await;
    let next = s
        .gql(
            OFFERINGS,
            json!({ "first": 1, "after": one["pageInfo"]["endCursor"], "p": at }),
        )
        .await["data"]["offerings"]
        .clone();
    assert_eq!(ids(&next), vec![april.clone()]);
    assert_eq!(next["totalCount"], 4);

    let by_course = s
        .gql(
            "query($c: UUID!, $p: Position) { course(id: $c, atLeastPosition: $p) {
                offerings(filter: { status: SCHEDULED }, first: 10) { totalCount edges { node { id } } } } }",
            json!({ "c": course, "p": at }),
        )
        .await;
    let offerings = &by_course["data"]["course"]["offerings"];
    assert_eq!(
        ids(offerings),
        vec![january, march.clone(), april.clone()],
        "{by_course}"
    );

    // Refusals are typed, and nothing is listed.
    for variables in [
        json!({ "first": 1, "last": 1 }),
        json!({ "first": 501 }),
        json!({ "after": "not-a-cursor" }),
        json!({ "f": { "from": "2035-05-01", "to": "2035-04-01" } }),
    ] {
        let body = s.gql(OFFERINGS, variables.clone()).await;
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{variables}: {body}"
        );
    }
    s.shut_down().await;
}

#[tokio::test]
async fn an_employee_sees_their_places_in_every_status() {
    let s = start().await;
    let (institution, course) = setup(&s, "Valsts zemes dienests").await;
    let anna = hire(&s, &institution, "Anna Kalniņa").await;
    let (requested, _) = schedule_on(&s, &course, "2035-02-01", "ONLINE", "VAS").await;
    let (enrolled, _) = schedule_on(&s, &course, "2035-03-01", "ONLINE", "VAS").await;
    assert_eq!(
        place(&s, "requestPlace", &requested, &anna, json!({})).await["userErrors"],
        json!([])
    );
    assert_eq!(
        place(&s, "requestPlace", &enrolled, &anna, json!({})).await["userErrors"],
        json!([])
    );
    let approved = place(&s, "approvePlace", &enrolled, &anna, json!({})).await;
    let places = |status: Value| {
        let (s, at, anna) = (&s, approved["position"].clone(), anna.clone());
        async move {
            s.gql(
                "query($e: UUID!, $s: [PlaceStatus!], $p: Position) { employee(id: $e, atLeastPosition: $p) {
                    places(status: $s) { totalCount edges { node { status offering { id } } } } } }",
                json!({ "e": anna, "s": status, "p": at }),
            )
            .await["data"]["employee"]["places"]
                .clone()
        }
    };
    let every = places(Value::Null).await;
    let seen: Vec<_> = every["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["node"]["status"].clone(), e["node"]["offering"]["id"].clone()))
        .collect();
    assert_eq!(
        seen,
        vec![
            (json!("REQUESTED"), json!(requested)),
            (json!("ENROLLED"), json!(enrolled))
        ]
    );
    assert_eq!(every["totalCount"], 2);
    let only = places(json!(["ENROLLED", "WAITLISTED"])).await;
    assert_eq!(
        (only["totalCount"].clone(), only["edges"].as_array().unwrap().len()),
        (json!(1), 1)
    );
    s.shut_down().await;
}
