use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use prasme::bench::{self, BenchConfig};
use prasme::bench_api::{self, ApiBenchConfig};
use prasme::database::{drop_scratch, open_scratch, with_database, Database};
use prasme::local_postgres::LocalPostgres;
use prasme::server::{projections, stop_signal, Application};
use prasme::{demo, telemetry};
use prasme_commands::{CommandHandler, UseCases, Vault};
use prasme_eventstore::{pool_share, verify_chain, EventStore, WRITER_CONNECTIONS};
use prasme_projections::{rebuild, REBUILD_BATCH};

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
    /// `prasme bench api` measures the GraphQL command path instead.
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
        Command::Migrate => {
            let db = Database::open(url, 2).await?;
            println!("migrations applied");
            db.close().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve {
            listen,
            demo,
            read_wait_ms,
            db_connections,
        } => {
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
                    employees = loaded.employees,
                    offerings = loaded.offerings,
                    commands = loaded.commands,
                    already_loaded = loaded.already_loaded,
                    last_position = loaded.last_position,
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "demo dataset loaded"
                );
            }
            let app = Application::build(db.pool.clone(), listen, Duration::from_millis(read_wait_ms)).await?;
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
