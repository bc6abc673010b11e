use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use prasme::bench::{self, BenchConfig};
use prasme::bench_api::{self, ApiBenchConfig};
use prasme::bench_kpi::{self, KpiBenchConfig};
use prasme::database::{drop_scratch, open_scratch, with_database, Database};
use prasme::demo::generator::{self, GeneratorConfig};
use prasme::local_postgres::LocalPostgres;
use prasme::server::{projections, stop_signal, Application, KeySource, Security, DEFAULT_AUDIENCE, DEFAULT_ISSUER};
use prasme::{demo, telemetry};
use prasme_api_graphql::identity::{mint_development_token, TokenRequest};
use prasme_api_graphql::{AccessLimits, Identity};
use prasme_commands::{CommandHandler, Role, UseCases, Vault};
use prasme_domain::reference::Resor;
use prasme_eventstore::{pool_share, verify_chain, EventStore, WRITER_CONNECTIONS};
use prasme_projections::{rebuild, REBUILD_BATCH};
use uuid::Uuid;

/// Every append crosses threads: callers allocate their requests, the
/// writer's thread frees them, and the reverse for the answers. glibc's
/// malloc takes an arena lock for such frees (about a sixth of the writer
/// thread's CPU under load); mimalloc frees them without one. Measured in
/// `prasme bench`: hot streams about 17 % faster, distinct streams about 3 %.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Prasme: the event-sourced ledger of learning and development in Latvia's
/// public administration.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// PostgreSQL to use. Without it, Prasme starts a private cluster from the
    /// system's PostgreSQL binaries (data in PRASME_PG_DIR, default .prasme/pg).
    #[arg(long, env = "DATABASE_URL", global = true)]
    database_url: Option<String>,
    /// Log one JSON object per line instead of human-readable lines.
    #[arg(long, env = "PRASME_LOG_JSON", global = true)]
    log_json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve GraphQL at /graphql (subscriptions over graphql-ws on the same path) and GraphiQL at /.
    Serve {
        #[arg(long, env = "PRASME_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        /// Load the demo dataset first (loading it again changes nothing).
        #[arg(long, env = "PRASME_DEMO")]
        demo: bool,
        /// How long a query with atLeastPosition waits for the read models, in milliseconds.
        #[arg(long, env = "PRASME_READ_WAIT_MS", default_value_t = 5000)]
        read_wait_ms: u64,
        /// Database connections this process may open in all: the pool, and
        /// the event store writer's own connections taken from the same number.
        #[arg(long, env = "PRASME_DB_CONNECTIONS", default_value_t = 32)]
        db_connections: u32,
        #[command(flatten)]
        auth: AuthArgs,
    },
    /// Mint a development token (HS256, signed with PRASME_AUTH_SECRET) for
    /// a server started with the same secret.
    Token {
        /// EMPLOYEE, MANAGER, INSTITUTION_HR, RESOR_COORDINATOR, VAS_ADMIN,
        /// VK_ANALYST, VK_ADMIN, AUDITOR or SYSTEM; repeat for several.
        #[arg(long = "role", required = true, value_parser = parse_role)]
        roles: Vec<Role>,
        #[arg(long)]
        institution: Option<Uuid>,
        /// A resor code such as FM or VARAM.
        #[arg(long, value_parser = parse_resor)]
        resor: Option<Resor>,
        /// The employee the token is for (the subject of EMPLOYEE and MANAGER tokens).
        #[arg(long)]
        employee: Option<Uuid>,
        /// The subject when no employee is given, such as a service's name.
        #[arg(long)]
        subject: Option<String>,
        /// How long the token is valid: 90s, 30m, 8h or 2d.
        #[arg(long, default_value = "8h", value_parser = parse_ttl)]
        ttl: chrono::Duration,
        #[arg(long, env = "PRASME_AUTH_SECRET", hide_env_values = true)]
        secret: String,
        #[arg(long, env = "PRASME_AUTH_ISSUER", default_value = DEFAULT_ISSUER)]
        issuer: String,
        #[arg(long, env = "PRASME_AUTH_AUDIENCE", default_value = DEFAULT_AUDIENCE)]
        audience: String,
    },
    /// Apply the database migrations.
    Migrate,
    /// Recompute the hash chain over the whole event log; exits 1 at the first bad position.
    Verify,
    /// Rebuild a projection from position 0.
    Rebuild {
        /// The projection's name (see the `projections` query).
        name: String,
    },
    /// Measure append throughput in scratch databases; prints a Markdown table.
    /// `prasme bench api` measures the GraphQL command path instead, and
    /// `prasme bench kpi` the KPI reads on an existing database.
    Bench {
        #[command(subcommand)]
        of: Option<BenchOf>,
        /// Rounds, each in a fresh database; the report gives each and the median.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        #[arg(long, default_value_t = 64)]
        writers: usize,
        #[arg(long, default_value_t = 2000)]
        appends_per_writer: usize,
        #[arg(long, default_value_t = 8)]
        hot_streams: usize,
    },
    /// Print the GraphQL schema (SDL), as committed in schema.graphql.
    Schema,
    /// Generate a reproducible dataset into an empty database: institutions,
    /// employees and seven years (2021–2027) of budgets, courses, offerings,
    /// assessments and HR changes. `--scale full` is the plan's size (60 000
    /// employees, about 10 million events). For the small demo to try the
    /// API with, use `serve --demo`.
    Demo {
        #[arg(long, value_enum, default_value_t = Scale::Small)]
        scale: Scale,
        /// Employees instead of the scale's number.
        #[arg(long)]
        employees: Option<usize>,
        /// The same seed gives the same events, ids and payloads.
        #[arg(long, default_value_t = generator::DEFAULT_SEED)]
        seed: u64,
        /// Years from 2021 on (at most 7, to 2027).
        #[arg(long, default_value_t = 7)]
        years: u32,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Scale {
    /// 600 employees: tens of thousands of events, seconds.
    Small,
    /// 60 000 employees: about 10 million events.
    Full,
}

impl Scale {
    fn employees(self) -> usize {
        match self {
            Scale::Small => 600,
            Scale::Full => generator::FULL_EMPLOYEES,
        }
    }
}

/// How callers are identified: a JWKS in production, a secret in development.
#[derive(clap::Args)]
struct AuthArgs {
    /// Development mode: accept HS256 tokens signed with this secret (see
    /// `prasme token`), and serve GraphiQL and introspection.
    #[arg(long, env = "PRASME_AUTH_SECRET", hide_env_values = true)]
    auth_secret: Option<String>,
    /// Production: the JWKS (a file, or an https URL fetched at start and
    /// every 5 minutes) whose RS256 and ES256 keys sign callers' tokens.
    #[arg(long, env = "PRASME_AUTH_JWKS")]
    auth_jwks: Option<String>,
    #[arg(long, env = "PRASME_AUTH_ISSUER", default_value = DEFAULT_ISSUER)]
    auth_issuer: String,
    #[arg(long, env = "PRASME_AUTH_AUDIENCE", default_value = DEFAULT_AUDIENCE)]
    auth_audience: String,
    /// Requests per second each subject may sustain (answered 429 beyond).
    #[arg(long, env = "PRASME_RATE_LIMIT", default_value_t = AccessLimits::default().requests_per_second)]
    rate_limit: u32,
    /// Requests a subject may send at once after being idle.
    #[arg(long, env = "PRASME_RATE_BURST", default_value_t = AccessLimits::default().burst)]
    rate_burst: u32,
    /// WebSockets each subject may hold open.
    #[arg(long, env = "PRASME_SOCKETS_PER_SUBJECT", default_value_t = AccessLimits::default().sockets_per_subject)]
    sockets_per_subject: usize,
    /// Subscriptions each WebSocket may hold.
    #[arg(long, env = "PRASME_SUBSCRIPTIONS_PER_SOCKET", default_value_t = AccessLimits::default().subscriptions_per_socket)]
    subscriptions_per_socket: usize,
}

/// Development secrets shorter than this are refused: HS256 needs a
/// secret at least as long as its 256-bit hash to be worth anything.
const MIN_SECRET_BYTES: usize = 32;

impl AuthArgs {
    fn security(&self) -> Result<Security, AnyError> {
        let identity = match (&self.auth_secret, &self.auth_jwks) {
            (Some(secret), _) if secret.len() < MIN_SECRET_BYTES => {
                return Err(format!("PRASME_AUTH_SECRET must be at least {MIN_SECRET_BYTES} bytes").into())
            }
            (Some(secret), _) => Identity::development(&self.auth_issuer, &self.auth_audience, secret.as_bytes()),
            (None, Some(_)) => Identity::production(&self.auth_issuer, &self.auth_audience),
            (None, None) => {
                return Err("say how callers are identified: --auth-jwks FILE|URL (production) or \
                            --auth-secret SECRET (development; scripts/demo sets one)"
                    .into())
            }
        };
        Ok(Security {
            identity,
            jwks: self.auth_jwks.as_deref().map(KeySource::parse),
            limits: AccessLimits {
                requests_per_second: self.rate_limit,
                burst: self.rate_burst,
                sockets_per_subject: self.sockets_per_subject,
                subscriptions_per_socket: self.subscriptions_per_socket,
            },
        })
    }
}

fn parse_role(name: &str) -> Result<Role, String> {
    Role::from_claim(&name.to_uppercase()).ok_or_else(|| {
        let names: Vec<_> = Role::ALL.iter().map(|r| r.claim()).collect();
        format!("one of {}", names.join(", "))
    })
}

fn parse_resor(code: &str) -> Result<Resor, String> {
    prasme_domain::reference::from_wire_name(&code.to_uppercase()).ok_or_else(|| "a resor code such as FM".to_owned())
}

fn parse_ttl(text: &str) -> Result<chrono::Duration, String> {
    let (number, unit) = text.split_at(text.len().saturating_sub(1));
    let n: i64 = number
        .parse()
        .map_err(|_| "a number and a unit: 90s, 30m, 8h or 2d".to_owned())?;
    let seconds = match unit {
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return Err("a number and a unit: 90s, 30m, 8h or 2d".to_owned()),
    };
    if !(1..=30 * 86_400).contains(&seconds) {
        return Err("between 1 second and 30 days".to_owned());
    }
    Ok(chrono::Duration::seconds(seconds))
}

#[derive(Subcommand)]
enum BenchOf {
    /// The real server on a scratch database, driven over HTTP: mutations/s and
    /// latencies, stream length, projection lag, beside `{ __typename }` and the store.
    Api {
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Mutations per connection on distinct streams.
        #[arg(long, default_value_t = 200)]
        mutations: usize,
        /// Request-and-approve pairs per connection on one hot offering.
        #[arg(long, default_value_t = 20)]
        pairs: usize,
        /// Pairs timed at each length of the long offering stream.
        #[arg(long, default_value_t = 100)]
        samples: usize,
    },
    /// The KPI reads on the existing database DATABASE_URL names (the
    /// full-scale dataset): the dashboard's query for a year, the largest
    /// institution's scorecard, and commit to `kpiUpdated` over graphql-ws,
    /// beside `{ __typename }`. Writes only the lag's mutations (progress
    /// recorded by VK_ADMIN against --indicator, each withdrawn again).
    Kpi {
        /// Measured requests of each query, one at a time.
        #[arg(long, default_value_t = 1000)]
        requests: usize,
        /// Measured mutations for the lag.
        #[arg(long, default_value_t = 200)]
        samples: usize,
        /// The year the dashboard and the scorecard are read for.
        #[arg(long, default_value_t = 2026)]
        year: i32,
        /// An indicator that counts recorded materials.
        #[arg(long, default_value = "1.2.3")]
        indicator: String,
        /// The institution whose scorecard is read (default: the one with the most staff).
        #[arg(long)]
        institution: Option<Uuid>,
        /// Database connections the benchmark's server may open in all.
        #[arg(long, default_value_t = 12)]
        db_connections: u32,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_json);
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("prasme: {e}");
            ExitCode::FAILURE
        }
    }
}

type AnyError = Box<dyn std::error::Error + Send + Sync>;

async fn run(cli: Cli) -> Result<ExitCode, AnyError> {
    let url = cli.database_url.as_deref();
    match cli.command {
        Command::Schema => {
            print!("{}", prasme_api_graphql::sdl());
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo {
            scale,
            employees,
            seed,
            years,
        } => {
            // Two pooled connections beside the writer's four.
            let db = Database::open(url, 2).await?;
            let store = EventStore::new(db.pool.clone());
            let vault = Vault::new(db.pool.clone());
            let config = GeneratorConfig {
                employees: employees.unwrap_or(scale.employees()).max(1),
                seed,
                years,
            };
            let bar = ProgressBar::new(1);
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {msg}").unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let started = Instant::now();
            let mut shown = Instant::now();
            let generated = generator::generate(&store, &vault, config, |p| {
                if shown.elapsed() < Duration::from_millis(250) && p.day < p.days {
                    return;
                }
                shown = Instant::now();
                let secs = started.elapsed().as_secs_f64().max(1e-9);
                bar.set_length(p.days);
                bar.set_position(p.day);
                bar.set_message(format!(
                    "{}: {} events, {:.0} events/s, peak RSS {} MiB",
                    p.date,
                    p.events,
                    p.events as f64 / secs,
                    generator::peak_rss_kib().unwrap_or(0) / 1024
                ));
            })
            .await;
            bar.finish_and_clear();
            let generated = generated?;
            let secs = started.elapsed().as_secs_f64();
            println!(
                "generated {} events ({} appends) in {secs:.1} s: {:.0} events/s, peak RSS {} MiB",
                generated.events,
                generated.appends,
                generated.events as f64 / secs.max(1e-9),
                generator::peak_rss_kib().unwrap_or(0) / 1024
            );
            println!(
                "{} institutions, {} courses, {} hires, {} offerings; seed {seed}, {years} years; last position {}",
                generated.institutions,
                generated.courses,
                generated.hires,
                generated.offerings,
                generated.last_position
            );
            drop(store);
            db.close().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let db = Database::open(url, 2).await?;
            println!("migrations applied");
            db.close().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Token {
            roles,
            institution,
            resor,
            employee,
            subject,
            ttl,
            secret,
            issuer,
            audience,
        } => {
            let subject = match (employee, subject) {
                (Some(id), _) => id.to_string(),
                (None, Some(subject)) => subject,
                (None, None) => return Err("name who the token is for: --employee ID or --subject NAME".into()),
            };
            let request = TokenRequest {
                subject,
                roles,
                institution,
                resor,
                ttl,
            };
            println!(
                "{}",
                mint_development_token(secret.as_bytes(), &issuer, &audience, &request)?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            listen,
            demo,
            read_wait_ms,
            db_connections,
            auth,
        } => {
            let security = auth.security()?;
            let pool_size = pool_share(db_connections);
            tracing::info!(
                total = db_connections,
                pool = pool_size,
                writer = WRITER_CONNECTIONS,
                "database connections"
            );
            let db = Database::open(url, pool_size).await?;
            if demo {
                let started = Instant::now();
                let use_cases = UseCases::new(
                    CommandHandler::new(EventStore::new(db.pool.clone())),
                    Vault::new(db.pool.clone()),
                );
                let loaded = demo::load(&use_cases).await?;
                tracing::info!(
                    institutions = loaded.institutions,
                    courses = loaded.courses,
                    frameworks = loaded.frameworks,
                    employees = loaded.employees,
                    offerings = loaded.offerings,
                    commands = loaded.commands,
                    already_loaded = loaded.already_loaded,
                    last_position = loaded.last_position,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "demo dataset loaded"
                );
            }
            if demo {
                if let Some(secret) = &auth.auth_secret {
                    print_demo_tokens(secret.as_bytes(), &auth.auth_issuer, &auth.auth_audience)?;
                }
            }
            let app =
                Application::build(db.pool.clone(), listen, Duration::from_millis(read_wait_ms), security).await?;
            let addr = app.local_addr()?;
            tracing::info!(%addr, "Prasme is serving GraphQL at http://{addr}/graphql and GraphiQL at http://{addr}/");
            app.run_until(stop_signal()).await?;
            db.close().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify => {
            let db = Database::open(url, 2).await?;
            let bar = spinner("verifying");
            let report = verify_chain(&db.pool, |n| bar.set_position(n as u64)).await?;
            bar.finish_and_clear();
            db.close().await?;
            match report.first_break {
                None => {
                    println!(
                        "hash chain intact: {} events, head position {}",
                        report.events_checked, report.head_position
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some(b) => {
                    println!("hash chain BROKEN at position {}: {}", b.position, b.reason);
                    println!("{} events before it verified", report.events_checked);
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Rebuild { name } => {
            let db = Database::open(url, 2).await?;
            let all = projections();
            let Some(projection) = all.iter().find(|p| p.name() == name) else {
                let names: Vec<_> = all.iter().map(|p| p.name()).collect();
                eprintln!(
                    "prasme: no projection is named {name:?}; there are: {}",
                    names.join(", ")
                );
                return Ok(ExitCode::from(2));
            };
            let store = EventStore::new(db.pool.clone());
            let bar = ProgressBar::new(store.head_position().await?.max(0) as u64);
            bar.set_style(
                ProgressStyle::with_template("{bar:40} {pos}/{len} events, {per_sec}, eta {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let started = Instant::now();
            let position = rebuild(&store, projection.as_ref(), REBUILD_BATCH, |done, head| {
                bar.set_length(head as u64);
                bar.set_position(done as u64);
            })
            .await?;
            bar.finish_and_clear();
            let secs = started.elapsed().as_secs_f64();
            println!(
                "rebuilt {name} to position {position} in {secs:.2} s ({:.0} events/s)",
                position as f64 / secs.max(1e-9)
            );
            db.close().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            of,
            rounds,
            writers,
            appends_per_writer,
            hot_streams,
        } => {
            if let Some(BenchOf::Kpi {
                requests,
                samples,
                year,
                indicator,
                institution,
                db_connections,
            }) = of
            {
                // Unlike the other benchmarks, this one measures the data it
                // is given: ten million events are not made in a scratch database.
                let Some(url) = url else {
                    return Err("prasme bench kpi measures an existing database: name it with DATABASE_URL".into());
                };
                let config = KpiBenchConfig {
                    requests: requests.max(1),
                    samples: samples.max(2),
                    year,
                    indicator,
                    institution,
                };
                let db = Database::open(Some(url), pool_share(db_connections)).await?;
                let report = bench_kpi::run(db.pool.clone(), config.clone()).await;
                db.close().await?;
                print!("{}", bench_kpi::to_markdown(&config, &report?));
                return Ok(ExitCode::SUCCESS);
            }
            // The scratch databases live beside the one named (or in the
            // private cluster); the named database itself is not touched.
            let local = match url {
                Some(_) => None,
                None => Some(LocalPostgres::start(&LocalPostgres::default_data_dir())?),
            };
            let admin_url = match (&local, url) {
                (Some(cluster), _) => cluster.url("postgres"),
                (None, Some(url)) => with_database(url, "postgres"),
                (None, None) => unreachable!("a private cluster is started when no URL is given"),
            };
            if let Some(BenchOf::Api {
                connections,
                mutations,
                pairs,
                samples,
            }) = of
            {
                let config = ApiBenchConfig {
                    connections: connections.max(1),
                    mutations_per_connection: mutations.max(1),
                    pairs_per_connection: pairs.max(1),
                    samples: samples.max(1),
                };
                let name = format!("prasme_bench_api_{}", std::process::id());
                // The server's budget as `serve` has it by default (32), less
                // the second writer the store ceiling opens.
                let pool = open_scratch(&admin_url, &name, pool_share(28)).await?;
                let report = bench_api::run(pool.clone(), config).await;
                drop_scratch(&admin_url, &name, pool).await?;
                print!("{}", bench_api::to_markdown(&config, &report?));
                if let Some(cluster) = local {
                    cluster.stop()?;
                }
                return Ok(ExitCode::SUCCESS);
            }
            let config = BenchConfig {
                rounds: rounds.max(1),
                writers,
                appends_per_writer,
                hot_streams,
            };
            let mut reports = Vec::with_capacity(config.rounds);
            // Round 0 warms the process up (threads, allocator, first-touch
            // page faults) on an eighth of the work and is not reported.
            for round in 0..=config.rounds {
                let config = match round {
                    0 => BenchConfig {
                        appends_per_writer: (config.appends_per_writer / 8).max(1),
                        ..config
                    },
                    _ => config,
                };
                let name = format!("prasme_bench_{}_{round}", std::process::id());
                // Within a budget of 16 beside the 8 the ceiling opens itself, so
                // that a benchmark, a demo and the test suite fit in one server.
                let pool = open_scratch(&admin_url, &name, pool_share(16)).await?;
                let report = bench::run(pool.clone(), config).await;
                drop_scratch(&admin_url, &name, pool).await?;
                let report = report?;
                if round > 0 {
                    reports.push(report);
                }
            }
            if let Some(cluster) = local {
                cluster.stop()?;
            }
            let mut out = std::io::stdout();
            write!(out, "{}", bench::to_markdown(&config, &reports))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// One token per role for people of the demo dataset, valid for 8 hours.
fn print_demo_tokens(secret: &[u8], issuer: &str, audience: &str) -> Result<(), AnyError> {
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "Demo tokens (8 h; send as `Authorization: Bearer <token>`, or paste into GraphiQL):"
    )?;
    for p in demo::principals() {
        let request = TokenRequest {
            subject: p.subject,
            roles: vec![p.role],
            institution: p.institution,
            resor: p.resor,
            ttl: chrono::Duration::hours(8),
        };
        let token = mint_development_token(secret, issuer, audience, &request)?;
        writeln!(out, "\n{} ({}):\n{token}", p.role.claim(), p.who)?;
    }
    writeln!(out)?;
    Ok(())
}

fn spinner(message: &'static str) -> ProgressBar {
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {msg}: {pos} events ({per_sec})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    bar.set_message(message);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}
