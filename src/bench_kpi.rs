//! `prasme bench kpi`: the reads issue 21 sets targets on, measured from
//! outside against an existing database (the full-scale dataset, from
//! `prasme demo --scale full`): the dashboard's query for one year, the
//! largest institution's scorecard, and the time from a command's commit to
//! its `kpiUpdated` message over graphql-ws, beside `{ __typename }` in the
//! same run. It starts the real server in-process on that database, waits
//! for every projection to catch up, and then sends one request at a time,
//! so each latency is the request's own and not a queue's.
//!
//! It writes nothing but the lag's mutations: progress recorded against an
//! indicator that counts recorded materials (VK_ADMIN's
//! `recordPlanProgress`), each withdrawn by the next mutation, so the
//! indicator's count ends where it began (the log keeps both events).

use std::time::{Duration, Instant};

use chrono::{Datelike, NaiveDate, Utc};
use futures::{SinkExt, StreamExt};
use prasme_api_graphql::identity::{mint_development_token, TokenRequest};
use prasme_commands::Role;
use prasme_domain::calendar::date_in_latvia;
use serde_json::{json, Value};
use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use uuid::Uuid;

use crate::server::{Application, Security, DEFAULT_AUDIENCE, DEFAULT_ISSUER};

type AnyError = Box<dyn std::error::Error + Send + Sync>;

/// The bench's own secret: its server lives for one run.
const BENCH_SECRET: &[u8] = b"prasme bench kpi: a throwaway development secret";

/// Requests of each kind sent and not counted, before the measured ones.
const WARM_UP: usize = 20;

/// How long a `kpiUpdated` message may take before the run fails.
const LAG_TIMEOUT: Duration = Duration::from_secs(30);

/// The dashboard's own query (`api-graphql/assets/dashboard/dashboard.js`,
/// `PLAN`): every indicator with its series, statuses and history.
const DASHBOARD: &str =
    "query Dashboard($year: Int, $at: Position) { plan(year: $year, atLeastPosition: $at) { priorities { \
    number titleEn measures { code titleEn deadlineYear indicators { indicatorId textEn \
    target { kind value min max unit } actual status notComputableReason \
    series { indicatorId ordinal labelEn unit count denominator sharePercent status target { kind value min max unit } \
    history { position recordedAt count denominator } } } } } } }";

/// The same without `history`: the values and statuses alone.
const DASHBOARD_VALUES: &str = "query Dashboard($year: Int, $at: Position) { plan(year: $year, atLeastPosition: $at) { priorities { \
    number titleEn measures { code titleEn deadlineYear indicators { indicatorId textEn \
    target { kind value min max unit } actual status notComputableReason \
    series { indicatorId ordinal labelEn unit count denominator sharePercent status target { kind value min max unit } } } } } } }";

/// Every field of the scorecard (as `tests/scorecard.rs` reads it).
const SCORECARD: &str = "query($i: UUID!, $y: Int!) { institutionScorecard(institutionId: $i, year: $y) {
    institutionId year referenceDate
    budget { line { remunerationCents allocatedCents shareOfPayrollPercent status } targetPercent floorPercent }
    learning { months employeeMonths minutes minutesPerEmployeePerMonth hoursPerEmployeePerMonth
               targetMinutesPerMonth meetsTarget }
    developmentPlans { headcount withPlan sharePercent targetPercent meetsTarget }
    workplaceLearning { activities workplaceActivities sharePercent targetPercent meetsTarget }
    priorities { priority number participants sharePercent } } }";

const RECORD: &str =
    "mutation($i: RecordPlanProgressInput!) { recordPlanProgress(input: $i) { position userErrors { code message } } }";
const WITHDRAW: &str = "mutation($i: WithdrawPlanProgressInput!) { withdrawPlanProgress(input: $i) { position userErrors { code message } } }";

#[derive(Debug, Clone)]
pub struct KpiBenchConfig {
    /// Measured requests of each query.
    pub requests: usize,
    /// Measured mutations for the lag (rounded up to an even number, so
    /// that every record is withdrawn).
    pub samples: usize,
    /// The year the dashboard and the scorecard are read for.
    pub year: i32,
    /// An indicator that counts recorded things, such as "1.2.3"
    /// (methodological materials published).
    pub indicator: String,
    /// The institution whose scorecard is read; by default the one with the
    /// most staff on the year's reference date.
    pub institution: Option<Uuid>,
}

/// Latencies of one kind of request, in the order measured.
pub struct Latencies(Vec<Duration>);

impl Latencies {
    /// The nearest-rank percentile: the smallest latency at least `p` of
    /// them do not exceed.
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.0.clone();
        sorted.sort();
        let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1));
        sorted.get(rank - 1).copied().unwrap_or_default()
    }

    fn max(&self) -> Duration {
        self.0.iter().max().copied().unwrap_or_default()
    }

    fn count(&self) -> usize {
        self.0.len()
    }
}

pub struct KpiBenchReport {
    pub events: i64,
    pub head: i64,
    /// How long the projections took to catch up before measuring.
    pub caught_up_in: Duration,
    pub typename: Latencies,
    pub dashboard: Latencies,
    /// The dashboard's query without `history`.
    pub values: Latencies,
    /// The dashboard's answer, in bytes.
    pub dashboard_bytes: usize,
    /// History points in that answer.
    pub dashboard_points: usize,
    pub institution: Uuid,
    /// The institution's staff on the reference date, as the scorecard says.
    pub headcount: i64,
    pub scorecard: Latencies,
    /// From sending a mutation to its answer (the commit).
    pub mutation: Latencies,
    /// From a mutation's answer to its `kpiUpdated` message.
    pub lag: Latencies,
    /// Messages that arrived before their mutation's answer (counted as 0).
    pub lag_before_answer: usize,
}

/// One HTTP client acting as one signed-in role.
struct Client {
    http: reqwest::Client,
    url: String,
    authorization: String,
}

fn token(role: Role) -> Result<String, AnyError> {
    let request = TokenRequest {
        subject: format!("bench-{}", role.claim().to_lowercase()),
        roles: vec![role],
        institution: None,
        resor: None,
        ttl: chrono::Duration::hours(4),
    };
    Ok(mint_development_token(
        BENCH_SECRET,
        DEFAULT_ISSUER,
        DEFAULT_AUDIENCE,
        &request,
    )?)
}

impl Client {
    fn new(addr: std::net::SocketAddr, role: Role) -> Result<Self, AnyError> {
        Ok(Self {
            http: reqwest::Client::builder().pool_max_idle_per_host(1).build()?,
            url: format!("http://{addr}/graphql"),
            authorization: format!("Bearer {}", token(role)?),
        })
    }

    /// The answer's text; a GraphQL error fails the run.
    async fn post(&self, query: &str, variables: Value) -> Result<String, AnyError> {
        let text = self
            .http
            .post(&self.url)
            .header("authorization", &self.authorization)
            .json(&json!({ "query": query, "variables": variables }))
            .send()
            .await?
            .text()
            .await?;
        if text.contains("\"errors\":") {
            return Err(format!("GraphQL errors: {text}").into());
        }
        Ok(text)
    }

    /// The payload of a one-field operation; a user error fails the run.
    async fn call(&self, query: &str, variables: Value) -> Result<Value, AnyError> {
        let body: Value = serde_json::from_str(&self.post(query, variables).await?)?;
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

    /// `WARM_UP` requests, then `n` timed, one at a time.
    async fn timed(&self, n: usize, query: &str, variables: Value) -> Result<Latencies, AnyError> {
        for _ in 0..WARM_UP {
            self.post(query, variables.clone()).await?;
        }
        let mut latencies = Vec::with_capacity(n);
        for _ in 0..n {
            let sent = Instant::now();
            self.post(query, variables.clone()).await?;
            latencies.push(sent.elapsed());
        }
        Ok(Latencies(latencies))
    }
}

pub async fn run(pool: PgPool, config: KpiBenchConfig) -> Result<KpiBenchReport, AnyError> {
    // One subject sends every request: the per-subject rate limit is
    // lifted so that the bench measures the reads, not the limiter.
    let mut security = Security::development(BENCH_SECRET);
    security.limits.requests_per_second = u32::MAX / 2;
    security.limits.burst = u32::MAX / 2;
    let started = Instant::now();
    let app = Application::build(pool.clone(), "127.0.0.1:0".parse()?, Duration::from_secs(5), security).await?;
    let addr = app.local_addr()?;
    let (stop_server, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async move {
        let _ = stopped.await;
    }));
    let measured = measure(&pool, addr, &config, started).await;
    let _ = stop_server.send(());
    server.await??;
    measured
}

async fn measure(
    pool: &PgPool,
    addr: std::net::SocketAddr,
    config: &KpiBenchConfig,
    started: Instant,
) -> Result<KpiBenchReport, AnyError> {
    caught_up(addr).await?;
    let caught_up_in = started.elapsed();
    let (events, head): (i64, Option<i64>) = sqlx::query_as("SELECT count(*), max(position) FROM events")
        .fetch_one(pool)
        .await?;
    let reader = Client::new(addr, Role::VkAnalyst)?;

    eprintln!("timing {{ __typename }}, the dashboard and the scorecard");
    let typename = reader.timed(config.requests, "{ __typename }", json!({})).await?;
    let year = json!({ "year": config.year });
    let dashboard = reader.timed(config.requests, DASHBOARD, year.clone()).await?;
    let values = reader.timed(config.requests, DASHBOARD_VALUES, year.clone()).await?;
    let answer = reader.post(DASHBOARD, year).await?;
    let dashboard_points = answer.matches("\"recordedAt\"").count();

    let institution = match config.institution {
        Some(id) => id,
        None => largest_institution(pool, config.year).await?,
    };
    let card = json!({ "i": institution, "y": config.year });
    let headcount = reader.call(SCORECARD, card.clone()).await?["developmentPlans"]["headcount"]
        .as_i64()
        .unwrap_or(0);
    let scorecard = reader.timed(config.requests, SCORECARD, card).await?;

    eprintln!("timing commit to kpiUpdated");
    let (mutation, lag, lag_before_answer) = lag(addr, config).await?;
    Ok(KpiBenchReport {
        events,
        head: head.unwrap_or(0),
        caught_up_in,
        typename,
        dashboard,
        values,
        dashboard_bytes: answer.len(),
        dashboard_points,
        institution,
        headcount,
        scorecard,
        mutation,
        lag,
        lag_before_answer,
    })
}

/// Waits until every projection has applied the whole log, saying how far
/// they are every 10 s.
async fn caught_up(addr: std::net::SocketAddr) -> Result<(), AnyError> {
    let http = reqwest::Client::new();
    let mut said = Instant::now();
    loop {
        let body: Value = http.get(format!("http://{addr}/readyz")).send().await?.json().await?;
        let behind: Vec<String> = body["projections"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|p| p["lag"].as_i64().unwrap_or(1) > 0)
            .map(|p| format!("{} {} behind", p["name"].as_str().unwrap_or("?"), p["lag"]))
            .collect();
        if body["projections"].is_array() && behind.is_empty() {
            return Ok(());
        }
        if said.elapsed() > Duration::from_secs(10) {
            eprintln!("waiting for the projections: {}", behind.join(", "));
            said = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The institution with the most employment periods current on the year's
/// reference date (31 December, or today in the current year).
async fn largest_institution(pool: &PgPool, year: i32) -> Result<Uuid, AnyError> {
    let today = date_in_latvia(Utc::now());
    let reference = NaiveDate::from_ymd_opt(year, 12, 31).map_or(today, |last| last.min(today));
    let id: Option<Uuid> = sqlx::query_scalar(
        "SELECT institution_id FROM rm_employment_period
          WHERE from_date <= $1 AND (to_date IS NULL OR to_date > $1)
          GROUP BY institution_id ORDER BY count(*) DESC, institution_id LIMIT 1",
    )
    .bind(reference)
    .fetch_optional(pool)
    .await?;
    id.ok_or_else(|| "no institution has staff: is this the full-scale dataset?".into())
}

/// Records progress against the indicator and withdraws it, by turns, one
/// mutation at a time, each answered and its `kpiUpdated` message received
/// before the next: the mutations' latencies, the lags from each answer to
/// its message, and how many messages came before their answer.
async fn lag(addr: std::net::SocketAddr, config: &KpiBenchConfig) -> Result<(Latencies, Latencies, usize), AnyError> {
    let admin = Client::new(addr, Role::VkAdmin)?;
    let mut request = format!("ws://{addr}/graphql").into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {}", token(Role::VkAnalyst)?) } });
    ws.send(Message::Text(init.to_string().into())).await?;
    let subscribe = json!({ "id": "kpi", "type": "subscribe", "payload": { "query":
        "subscription($i: String) { kpiUpdated(indicator: $i) { position indicatorId series { count } } }",
        "variables": { "i": config.indicator } } });
    ws.send(Message::Text(subscribe.to_string().into())).await?;
    // The reader stamps each message the moment it arrives, so that the
    // time the bench spends elsewhere is not counted as lag.
    let (arrived, mut arrivals) = mpsc::unbounded_channel::<Result<(i64, Instant), String>>();
    let listening = tokio::spawn(async move {
        while let Some(message) = ws.next().await {
            let at = Instant::now();
            let text = match message {
                Ok(Message::Text(text)) => text,
                Ok(_) => continue,
                Err(e) => {
                    let _ = arrived.send(Err(e.to_string()));
                    return;
                }
            };
            let Ok(body) = serde_json::from_str::<Value>(&text) else {
                continue;
            };
            let sent = match body["type"].as_str() {
                Some("next") => match body["payload"]["data"]["kpiUpdated"]["position"].as_i64() {
                    Some(position) => arrived.send(Ok((position, at))),
                    None => arrived.send(Err(format!("kpiUpdated sent {text}"))),
                },
                Some("error") | Some("complete") => arrived.send(Err(format!("the subscription ended: {text}"))),
                _ => continue,
            };
            if sent.is_err() {
                return;
            }
        }
    });
    // Give the server a moment to register the subscription before writing.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let today = date_in_latvia(Utc::now());
    let occurred_on = NaiveDate::from_ymd_opt(today.year().min(2027), today.month(), 1).unwrap_or(today);
    let samples = config.samples.div_ceil(2) * 2;
    let (mut mutations, mut lags, mut early) = (Vec::new(), Vec::new(), 0);
    let mut record = Uuid::nil();
    for i in 0..samples + WARM_UP * 2 {
        let sent = Instant::now();
        let payload = if i % 2 == 0 {
            record = Uuid::now_v7();
            let input = json!({ "i": { "recordId": record, "indicatorId": config.indicator, "kind": "MATERIAL_PUBLISHED",
                                       "occurredOn": occurred_on, "title": "prasme bench kpi" } });
            admin.call(RECORD, input).await?
        } else {
            let input = json!({ "i": { "recordId": record, "reason": "prasme bench kpi: measured, withdrawn" } });
            admin.call(WITHDRAW, input).await?
        };
        let answered = Instant::now();
        let position = payload["position"].as_i64().ok_or("no position in the answer")?;
        let message_at = loop {
            match tokio::time::timeout(LAG_TIMEOUT, arrivals.recv()).await {
                Err(_) => return Err(format!("no kpiUpdated for position {position} within {LAG_TIMEOUT:?}").into()),
                Ok(None) => return Err("the subscription's socket closed".into()),
                Ok(Some(Err(e))) => return Err(e.into()),
                Ok(Some(Ok((p, at)))) if p == position => break at,
                Ok(Some(Ok(_))) => continue,
            }
        };
        if i < WARM_UP * 2 {
            continue;
        }
        mutations.push(answered - sent);
        if message_at < answered {
            early += 1;
        }
        lags.push(message_at.saturating_duration_since(answered));
    }
    listening.abort();
    Ok((Latencies(mutations), Latencies(lags), early))
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

/// The report as Markdown, ready for `docs/benchmarks.md`.
pub fn to_markdown(config: &KpiBenchConfig, r: &KpiBenchReport) -> String {
    let mut out = format!(
        "{} events (head position {}); projections caught up {:.0} s after the start. One request at a time, \
         {} measured of each after {WARM_UP} not counted; {} mutations for the lag, recording progress against {} \
         and withdrawing it by turns.\n\n",
        r.events,
        r.head,
        r.caught_up_in.as_secs_f64(),
        config.requests,
        r.lag.count(),
        config.indicator
    );
    out.push_str("| measure | n | p50 ms | p95 ms | p99 ms | max ms | target |\n|---|---|---|---|---|---|---|\n");
    let row = |name: &str, l: &Latencies, target: &str| {
        format!(
            "| {name} | {} | {} | {} | {} | {} | {target} |\n",
            l.count(),
            ms(l.percentile(0.5)),
            ms(l.percentile(0.95)),
            ms(l.percentile(0.99)),
            ms(l.max())
        )
    };
    let verdict = |l: &Latencies, limit_ms: f64| {
        let met = l.percentile(0.99).as_secs_f64() * 1000.0 < limit_ms;
        format!("p99 < {limit_ms:.0} ms: {}", if met { "met" } else { "not met" })
    };
    out.push_str(&row("ceiling: `{ __typename }`", &r.typename, ""));
    out.push_str(&row(
        &format!("dashboard: `plan(year: {})` with series and history", config.year),
        &r.dashboard,
        &verdict(&r.dashboard, 20.0),
    ));
    out.push_str(&row(
        "the same without `history`: values and statuses",
        &r.values,
        &verdict(&r.values, 20.0),
    ));
    out.push_str(&row(
        &format!(
            "`institutionScorecard` {}, {}, headcount {}",
            r.institution, config.year, r.headcount
        ),
        &r.scorecard,
        &verdict(&r.scorecard, 20.0),
    ));
    out.push_str(&row(
        "mutation: `recordPlanProgress` / `withdrawPlanProgress`, sent to answered",
        &r.mutation,
        "",
    ));
    out.push_str(&row(
        "lag: answered (committed) to its `kpiUpdated` over graphql-ws",
        &r.lag,
        &verdict(&r.lag, 100.0),
    ));
    out.push_str(&format!(
        "\n- the dashboard's answer: {} bytes, {} history points\n- kpiUpdated messages that arrived before their \
         mutation's answer (counted as 0 ms): {}\n",
        r.dashboard_bytes, r.dashboard_points, r.lag_before_answer
    ));
    out
}
