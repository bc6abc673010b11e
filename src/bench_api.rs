//! `prasme bench api`: the whole command path, measured from outside. It
//! starts the real server on a scratch database and drives GraphQL over
//! HTTP from many connections, beside two ceilings measured in the same run:
//! the trivial query `{ __typename }` and the store's own append rate.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use futures::{StreamExt, TryStreamExt};
use prasme_commands::new_event;
use prasme_domain::course::{
    Course, CourseCommand, CourseDescription, CourseOwner, CourseType, OwnerLevel, OwnerParts,
};
use prasme_domain::employee::{Employee, EmployeeCommand, JobGroup, SealedPersonalData};
use prasme_domain::offering::{Offering, OfferingCommand};
use prasme_domain::reference::StrategicPriority;
use prasme_domain::{Decider, DomainEvent};
use prasme_eventstore::{EventMetadata, EventStore, ExpectedVersion};
use prasme_projections::{rebuild, REBUILD_BATCH};
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::sync::{oneshot, Mutex};
use uuid::Uuid;

use crate::bench::{appends, BenchConfig};
use crate::server::{projections, Application, Security, DEFAULT_AUDIENCE, DEFAULT_ISSUER};

type AnyError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Clone, Copy)]
pub struct ApiBenchConfig {
    /// Concurrent HTTP connections, each sending one request at a time.
    pub connections: usize,
    /// Mutations each connection sends on its own institution.
    pub mutations_per_connection: usize,
    /// Request-and-approve pairs each connection sends on the one hot offering.
    pub pairs_per_connection: usize,
    /// Sequential pairs timed at each length of the long offering stream.
    pub samples: usize,
}

/// Latencies of one scenario, and how long it took as a whole.
pub struct Timed {
    pub requests: usize,
    pub elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Timed {
    pub fn per_second(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    pub fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted.get(index).copied().unwrap_or_default()
    }
}

/// How far the read models were behind the log while a burst ran.
pub struct Lag {
    /// The most events any projection was behind the head.
    pub max_events: i64,
    /// The longest any projection was behind: since the head first passed
    /// its checkpoint.
    pub max_behind: Duration,
    /// Events still to apply when the burst ended, and how long they took.
    pub at_end: i64,
    pub caught_up_in: Duration,
}

pub struct ApiBenchReport {
    pub typename: Timed,
    pub store_events_per_second: f64,
    pub distinct: Timed,
    pub lag: Lag,
    /// Each projection rebuilt over everything the run wrote: its name,
    /// the events of its types, and how long the rebuild took.
    pub rebuilds: Vec<(&'static str, i64, Duration)>,
    pub hot: Timed,
    /// (events in the offering stream, timed request-and-approve pairs).
    pub lengths: Vec<(i64, Timed)>,
}

/// One client connection to the server under test.
struct Client {
    http: reqwest::Client,
    url: String,
    authorization: String,
}

/// The bench's own secret: its server lives for one run on a scratch database.
const BENCH_SECRET: &[u8] = b"prasme bench: a throwaway development secret";

impl Client {
    fn new(addr: std::net::SocketAddr) -> Result<Self, AnyError> {
        // One connection per client, so 64 clients are 64 connections.
        let http = reqwest::Client::builder().pool_max_idle_per_host(1).build()?;
        let request = prasme_api_graphql::identity::TokenRequest {
            subject: "bench".to_owned(),
            roles: vec![prasme_commands::Role::System],
            institution: None,
            resor: None,
            ttl: chrono::Duration::hours(4),
        };
        let token = prasme_api_graphql::identity::mint_development_token(
            BENCH_SECRET,
            DEFAULT_ISSUER,
            DEFAULT_AUDIENCE,
            &request,
        )?;
        Ok(Self {
            http,
            url: format!("http://{addr}/graphql"),
            authorization: format!("Bearer {token}"),
        })
    }

    /// The payload of a one-field operation; a GraphQL error or a user error fails the run.
    async fn call(&self, query: &str, variables: Value) -> Result<Value, AnyError> {
        let body: Value = self
            .http
            .post(&self.url)
            .header("authorization", &self.authorization)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .json()
            .await?;
        if let Some(errors) = body.get("errors") {
            return Err(format!("GraphQL errors: {errors}").into());
        }
        let payload = body["data"]
            .as_object()
            .and_then(|d| d.values().next())
            .cloned()
            .unwrap_or_default();
        match payload.get("userErrors").and_then(Value::as_array) {
            Some(errors) if !errors.is_empty() => Err(format!("refused: {payload}").into()),
            _ => Ok(payload),
        }
    }
}

const REGISTER: &str =
    "mutation($i: RegisterInstitutionInput!) { registerInstitution(input: $i) { institutionId userErrors { code } } }";
const ALLOCATE: &str =
    "mutation($i: AllocateTrainingBudgetInput!) { allocateTrainingBudget(input: $i) { position userErrors { code } } }";
const CATALOGUE: &str =
    "mutation($i: CatalogueCourseInput!) { catalogueCourse(input: $i) { courseId userErrors { code } } }";
const SCHEDULE: &str =
    "mutation($i: ScheduleOfferingInput!) { scheduleOffering(input: $i) { offeringId userErrors { code } } }";
const HIRE: &str = "mutation($i: HireEmployeeInput!) { hireEmployee(input: $i) { employeeId userErrors { code } } }";
const REQUEST: &str = "mutation($i: PlaceInput!) { requestPlace(input: $i) { position userErrors { code } } }";
const APPROVE: &str = "mutation($i: PlaceInput!) { approvePlace(input: $i) { position userErrors { code } } }";

/// Runs `per_client` requests on each client at once; `request(client, i)`
/// sends the i-th of that client's and is timed.
async fn burst<F, Fut>(clients: &[Arc<(usize, Client)>], per_client: usize, request: F) -> Result<Timed, AnyError>
where
    F: Fn(Arc<(usize, Client)>, usize) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = Result<usize, AnyError>> + Send,
{
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in clients {
        let (client, request) = (client.clone(), request.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(per_client);
            let mut requests = 0;
            for i in 0..per_client {
                let sent = Instant::now();
                requests += request(client.clone(), i).await?;
                latencies.push(sent.elapsed());
            }
            Ok::<_, AnyError>((requests, latencies))
        }));
    }
    let mut timed = Timed {
        requests: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for task in tasks {
        let (requests, latencies) = task.await??;
        timed.requests += requests;
        timed.latencies.extend(latencies);
    }
    timed.elapsed = started.elapsed();
    Ok(timed)
}

/// Samples the projections' checkpoints against the head until told to stop.
async fn watch_lag(pool: PgPool, client: Client, stop: oneshot::Receiver<()>) -> Result<(i64, Duration), AnyError> {
    let mut stop = stop;
    let mut heads: Vec<(Instant, i64)> = Vec::new();
    let (mut max_events, mut max_behind) = (0, Duration::ZERO);
    loop {
        let (head, slowest) = positions(&pool, &client).await?;
        let now = Instant::now();
        heads.push((now, head));
        max_events = max_events.max(head - slowest);
        // Behind since the first sample whose head had passed the checkpoint.
        if let Some((since, _)) = heads.iter().find(|(_, h)| *h > slowest) {
            max_behind = max_behind.max(now - *since);
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(50)) => {}
            _ = &mut stop => return Ok((max_events, max_behind)),
        }
    }
}

/// The head of the log, and how far the slowest projection has read as the
/// server says (`projections`): past its last batch over events of types it
/// does not read, which it need not store.
async fn positions(pool: &PgPool, client: &Client) -> Result<(i64, i64), AnyError> {
    let head: Option<i64> = sqlx::query_scalar("SELECT max(position) FROM events")
        .fetch_one(pool)
        .await?;
    let status = client.call("{ projections { position } }", json!({})).await?;
    let slowest = status
        .as_array()
        .and_then(|all| all.iter().filter_map(|p| p["position"].as_i64()).min())
        .ok_or("no projection positions")?;
    Ok((head.unwrap_or(0), slowest))
}

pub async fn run(pool: PgPool, config: ApiBenchConfig) -> Result<ApiBenchReport, AnyError> {
    // One subject drives every connection: the per-subject rate limit is
    // lifted so that the bench measures the command path, not the limiter.
    let mut security = Security::development(BENCH_SECRET);
    security.limits.requests_per_second = u32::MAX / 2;
    security.limits.burst = u32::MAX / 2;
    let app = Application::build(pool.clone(), "127.0.0.1:0".parse()?, Duration::from_secs(5), security).await?;
    let addr = app.local_addr()?;
    let (stop_server, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let clients: Vec<Arc<(usize, Client)>> = (0..config.connections)
        .map(|n| Client::new(addr).map(|c| Arc::new((n, c))))
        .collect::<Result<_, _>>()?;
    let per = config.mutations_per_connection;

    // Ceilings, in the same run: the trivial query, and the store on its own.
    let typename = burst(&clients, per, |c, _| async move {
        c.1.call("{ __typename }", json!({})).await?;
        Ok(1)
    })
    .await?;
    // One store of the benchmark's own (a second writer), for the rebuild,
    // growing the long stream and, once the server has stopped, the store's
    // ceiling (its made-up allocations must not reach the server's projections).
    let bench_store = EventStore::new(pool.clone());

    // Distinct streams: each connection allocates on its own institution.
    let institutions = Arc::new(Mutex::new(vec![Uuid::nil(); config.connections]));
    for client in &clients {
        let p = client
            .1
            .call(
                REGISTER,
                json!({ "i": { "name": format!("Iestāde {}", client.0), "kind": "STATE", "resor": "FM" } }),
            )
            .await?;
        let id = p["institutionId"].as_str().ok_or("no institution id")?.parse()?;
        institutions.lock().await[client.0] = id;
    }
    let (stop_watch, watching) = oneshot::channel();
    let watcher = tokio::spawn(watch_lag(pool.clone(), Client::new(addr)?, watching));
    let ids = institutions.clone();
    let distinct = burst(&clients, per, move |c, _| {
        let ids = ids.clone();
        async move {
            let institution = ids.lock().await[c.0];
            let input = json!({ "i": { "institutionId": institution, "year": 2026, "amountCents": 100, "fundingSource": "STATE_BUDGET" } });
            c.1.call(ALLOCATE, input).await?;
            Ok(1)
        }
    })
    .await?;
    let ended = Instant::now();
    let observer = Client::new(addr)?;
    let (head, slowest) = positions(&pool, &observer).await?;
    while positions(&pool, &observer).await?.1 < head {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let caught_up_in = ended.elapsed();
    let _ = stop_watch.send(());
    let (max_events, max_behind) = watcher.await??;
    let lag = Lag {
        max_events,
        max_behind,
        at_end: head - slowest,
        caught_up_in,
    };

    // One hot offering: every connection requests and approves places in it.
    let admin = &clients[0].1;
    let institution = institutions.lock().await[0];
    let course = admin
        .call(
            CATALOGUE,
            json!({ "i": { "description": { "title": "Ētika valsts pārvaldē", "owner": { "level": "PUBLIC_ADMINISTRATION" },
                "priority": "INTEGRITY", "measures": ["1.1"], "courseType": "E_LEARNING",
                "knowledgeTest": true, "durationMinutes": 120, "language": "lv" } } }),
        )
        .await?["courseId"]
        .as_str()
        .ok_or("no course id")?
        .to_owned();
    let schedule = |capacity: i32| {
        json!({ "i": { "courseId": course, "startsOn": "2035-03-01", "endsOn": "2035-12-31", "format": "SELF_PACED",
                       "capacity": capacity, "costPerParticipantCents": 0, "organiser": "Valsts administrācijas skola" } })
    };
    let hot_offering: Uuid = admin.call(SCHEDULE, schedule(10_000)).await?["offeringId"]
        .as_str()
        .ok_or("no offering id")?
        .parse()?;
    let pairs = config.pairs_per_connection;
    let staff = Arc::new(hire(&clients, institution, pairs).await?);
    let people = staff.clone();
    let hot = burst(&clients, pairs, move |c, i| {
        let people = people.clone();
        async move {
            let input = json!({ "i": { "offeringId": hot_offering, "employeeId": people[c.0][i] } });
            c.1.call(REQUEST, input.clone()).await?;
            c.1.call(APPROVE, input).await?;
            Ok(2)
        }
    })
    .await?;

    // One long stream: grown by the decider's own events, then timed with
    // real requests at each length.
    let long: Uuid = admin.call(SCHEDULE, schedule(10_000)).await?["offeringId"]
        .as_str()
        .ok_or("no offering id")?
        .parse()?;
    let samplers = hire(&clients[..1], institution, config.samples * 3).await?;
    let mut grower = Grower::new(bench_store.clone(), long, institution).await?;
    let mut lengths = Vec::new();
    for (round, target) in [1_000, 10_000, 100_000].into_iter().enumerate() {
        grower.grow_to(target).await?;
        // The read models catch up first, so that their work does not weigh
        // on the longer streams' figures alone.
        let (head, _) = positions(&pool, &observer).await?;
        while positions(&pool, &observer).await?.1 < head {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mine: Vec<Uuid> = samplers[0][round * config.samples..(round + 1) * config.samples].to_vec();
        let timed = burst(&clients[..1], config.samples, move |c, i| {
            let employee = mine[i];
            async move {
                let input = json!({ "i": { "offeringId": long, "employeeId": employee } });
                c.1.call(REQUEST, input.clone()).await?;
                c.1.call(APPROVE, input).await?;
                Ok(2)
            }
        })
        .await?;
        grower.caught_up().await?;
        lengths.push((target, timed));
    }

    // Every projection rebuilt over all of it, the people and courses a
    // ministry's worth of years would bring included.
    let institution_ids = institutions.lock().await.clone();
    seed_people_and_courses(&bench_store, &institution_ids).await?;
    let mut rebuilds = Vec::new();
    for projection in projections() {
        let types: Vec<String> = projection.event_types().into_iter().map(str::to_owned).collect();
        let events: i64 = sqlx::query_scalar("SELECT count(*) FROM events WHERE event_type = ANY($1)")
            .bind(&types)
            .fetch_one(&pool)
            .await?;
        let rebuilding = Instant::now();
        rebuild(&bench_store, projection.as_ref(), REBUILD_BATCH, |_, _| {}).await?;
        rebuilds.push((projection.name(), events, rebuilding.elapsed()));
    }
    let _ = stop_server.send(());
    server.await??;
    let store_config = BenchConfig {
        rounds: 1,
        writers: config.connections,
        appends_per_writer: per,
        hot_streams: 1,
    };
    let store = appends(&bench_store, store_config, "ceiling", |w, _| {
        format!("bench-api-ceiling-{w}")
    })
    .await?;
    Ok(ApiBenchReport {
        typename,
        store_events_per_second: store.per_second(),
        distinct,
        lag,
        rebuilds,
        hot,
        lengths,
    })
}

/// Hires `each` employees for every client (from all clients at once); the
/// ids, client by client.
async fn hire(clients: &[Arc<(usize, Client)>], institution: Uuid, each: usize) -> Result<Vec<Vec<Uuid>>, AnyError> {
    let hired = Arc::new(Mutex::new(vec![Vec::with_capacity(each); clients.len()]));
    let into = hired.clone();
    burst(clients, each, move |c, i| {
        let into = into.clone();
        async move {
            let input = json!({ "i": { "institutionId": institution, "name": format!("Darbinieks {} {i}", c.0),
                                       "jobGroups": ["NEW_EMPLOYEE"], "hiredOn": "2024-01-01" } });
            let id = c.1.call(HIRE, input).await?["employeeId"]
                .as_str()
                .ok_or("no employee id")?
                .parse()?;
            into.lock().await[c.0].push(id);
            Ok(1)
        }
    })
    .await?;
    let hired = Arc::try_unwrap(hired).map_err(|_| "hires still shared")?.into_inner();
    Ok(hired)
}

/// People and courses written straight to the store, as their deciders
/// make them, so that every projection has tens of thousands of events to
/// rebuild: each employee is hired, changes role, moves to another
/// institution and gets a manager; each course is catalogued, revised four
/// times and, one in ten, retired.
async fn seed_people_and_courses(store: &EventStore, institutions: &[Uuid]) -> Result<(), AnyError> {
    const EMPLOYEES: usize = 10_000;
    const COURSES: usize = 2_000;
    const AT_ONCE: usize = 32;
    let day = NaiveDate::from_ymd_opt(2025, 1, 1).ok_or("date")?;
    let institutions = Arc::new(institutions.to_vec());
    futures::stream::iter(0..EMPLOYEES)
        .map(|n| {
            let (store, institutions) = (store.clone(), institutions.clone());
            async move {
                let id = Uuid::now_v7();
                let at = |k: usize| institutions[(n + k) % institutions.len()];
                let commands = [
                    EmployeeCommand::Hire {
                        employee_id: id,
                        institution_id: at(0),
                        job_groups: vec![JobGroup::NewEmployee],
                        civil_servant: true,
                        functions: vec![],
                        personal_data: SealedPersonalData {
                            nonce: "bench".into(),
                            ciphertext: "bench".into(),
                        },
                        hired_on: day,
                    },
                    EmployeeCommand::ChangeRole {
                        job_groups: vec![JobGroup::MiddleOrLowerManager],
                        civil_servant: true,
                        functions: vec![],
                        effective_on: day,
                    },
                    EmployeeCommand::Transfer {
                        to_institution_id: at(1),
                        effective_on: day,
                    },
                    EmployeeCommand::AssignManager {
                        manager_id: Uuid::now_v7(),
                    },
                ];
                decided::<Employee>(&store, id, &commands).await
            }
        })
        .buffer_unordered(AT_ONCE)
        .try_collect::<Vec<()>>()
        .await?;
    futures::stream::iter(0..COURSES)
        .map(|n| {
            let store = store.clone();
            async move {
                let id = Uuid::now_v7();
                let description = |title: String| -> Result<CourseDescription, AnyError> {
                    Ok(CourseDescription {
                        title,
                        owner: CourseOwner::from_parts(OwnerParts {
                            level: OwnerLevel::PublicAdministration,
                            resor: None,
                            institution_id: None,
                            group: None,
                        })?,
                        priority: StrategicPriority::DigitalTransformation,
                        measures: vec!["4.1".into()],
                        course_type: CourseType::ELearning,
                        knowledge_test: true,
                        duration_minutes: 90,
                        language: "lv".into(),
                        competencies: vec!["Datu pratība".into()],
                        develops: vec![],
                    })
                };
                let mut commands = vec![CourseCommand::Catalogue {
                    course_id: id,
                    description: description(format!("Kurss {n}"))?,
                }];
                for edition in 2..=5 {
                    commands.push(CourseCommand::Revise {
                        description: description(format!("Kurss {n}, {edition}. izdevums"))?,
                    });
                }
                if n % 10 == 0 {
                    commands.push(CourseCommand::Retire {
                        reason: "aizstāts".into(),
                    });
                }
                decided::<Course>(&store, id, &commands).await
            }
        })
        .buffer_unordered(AT_ONCE)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(())
}

/// Appends, as one new stream, the events `D`'s decider makes for `commands`.
async fn decided<D: Decider>(store: &EventStore, id: Uuid, commands: &[D::Command]) -> Result<(), AnyError> {
    let mut state = D::State::default();
    let mut events = Vec::new();
    for command in commands {
        for event in D::decide(command, &state)? {
            state = D::evolve(state, &event);
            events.push(new_event(&event, chrono::Utc::now()));
        }
    }
    let meta = EventMetadata::for_command("bench", Uuid::now_v7());
    store
        .append(&D::stream_id(id), ExpectedVersion::NoStream, meta, events)
        .await?;
    Ok(())
}

/// Appends to one offering's stream the events its decider makes for
/// requests and approvals of made-up employees, a thousand to an append:
/// a stream as long as a mandatory e-course's, in seconds.
struct Grower {
    store: EventStore,
    offering: Uuid,
    institution: Uuid,
    state: <Offering as Decider>::State,
    version: i64,
}

impl Grower {
    async fn new(store: EventStore, offering: Uuid, institution: Uuid) -> Result<Self, AnyError> {
        let mut grower = Self {
            store,
            offering,
            institution,
            state: Default::default(),
            version: 0,
        };
        grower.caught_up().await?;
        Ok(grower)
    }

    /// Folds in what the server wrote to the stream meanwhile.
    async fn caught_up(&mut self) -> Result<(), AnyError> {
        let stream = Offering::stream_id(self.offering);
        for stored in self.store.read_stream_after(&stream, self.version).await? {
            let event =
                <Offering as Decider>::Event::from_stored(&stored.event_type, stored.schema_version, &stored.payload)?;
            self.state = Offering::evolve(std::mem::take(&mut self.state), &event);
            self.version = stored.stream_version;
        }
        Ok(())
    }

    async fn grow_to(&mut self, events: i64) -> Result<(), AnyError> {
        let stream = Offering::stream_id(self.offering);
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).ok_or("date")?;
        while self.version < events {
            let mut batch = Vec::new();
            while batch.len() < 1000 && self.version + (batch.len() as i64) < events {
                let employee_id = Uuid::now_v7();
                for command in [
                    OfferingCommand::RequestPlace {
                        employee_id,
                        institution_id: self.institution,
                        today,
                    },
                    OfferingCommand::Approve { employee_id },
                ] {
                    for event in Offering::decide(&command, &self.state)? {
                        self.state = Offering::evolve(std::mem::take(&mut self.state), &event);
                        batch.push(new_event(&event, chrono::Utc::now()));
                    }
                }
            }
            let meta = EventMetadata::for_command("bench", Uuid::now_v7());
            let written = self
                .store
                .append(&stream, ExpectedVersion::Exact(self.version), meta, batch)
                .await?;
            self.version = written.stream_version;
        }
        Ok(())
    }
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// The report as a Markdown table, ratios first.
pub fn to_markdown(config: &ApiBenchConfig, r: &ApiBenchReport) -> String {
    let mut out = format!(
        "{} HTTP connections, {} mutations each on distinct streams, {} request+approve pairs each on one hot offering\n\n",
        config.connections, config.mutations_per_connection, config.pairs_per_connection
    );
    out.push_str("| measure | value | p50 ms | p99 ms |\n|---|---|---|---|\n");
    let row = |name: &str, t: &Timed| {
        format!(
            "| {name} | {:.0}/s | {} | {} |\n",
            t.per_second(),
            ms(t.percentile(0.5)),
            ms(t.percentile(0.99))
        )
    };
    out.push_str(&row("ceiling: `{ __typename }`", &r.typename));
    out.push_str(&format!(
        "| ceiling: store appends, {} writers | {:.0} events/s | | |\n",
        config.connections, r.store_events_per_second
    ));
    out.push_str(&row("allocateTrainingBudget, distinct streams", &r.distinct));
    out.push_str(&row(
        "requestPlace + approvePlace, one hot offering (mutations)",
        &r.hot,
    ));
    for (events, t) in &r.lengths {
        out.push_str(&row(
            &format!("request + approve, offering of {events} events, one client"),
            t,
        ));
    }
    out.push_str(&format!(
        "\n- distinct-stream mutations / `__typename`: {:.0} %; / store appends: {:.0} %\n",
        100.0 * r.distinct.per_second() / r.typename.per_second(),
        100.0 * r.distinct.per_second() / r.store_events_per_second
    ));
    if let (Some((_, first)), Some((_, last))) = (r.lengths.first(), r.lengths.last()) {
        out.push_str(&format!(
            "- p50 at the longest stream / at the shortest: {:.2}\n",
            last.percentile(0.5).as_secs_f64() / first.percentile(0.5).as_secs_f64()
        ));
    }
    out.push_str(&format!(
        "- projections during the burst (sampled every 50 ms): at most {} events and {} ms behind; {} events left at its end, applied in {} ms\n",
        r.lag.max_events,
        ms(r.lag.max_behind),
        r.lag.at_end,
        ms(r.lag.caught_up_in)
    ));
    for (name, events, elapsed) in &r.rebuilds {
        out.push_str(&format!(
            "- rebuild of {name}: {events} events in {} ms ({:.0} events/s)\n",
            ms(*elapsed),
            *events as f64 / elapsed.as_secs_f64()
        ));
    }
    out
}
