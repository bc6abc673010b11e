//! The `prasme` application: configuration, the database it runs on, the
//! server, and the operator commands (verify, rebuild, bench, demo data).

pub mod bench;
pub mod bench_api;
pub mod bench_kpi;
pub mod database;
pub mod demo;
pub mod local_postgres;
pub mod server;
pub mod telemetry;
