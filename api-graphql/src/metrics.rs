//! Prometheus metrics, served at `/metrics` in the text format: operations
//! by name, kind and outcome, their latency, and (read when scraped) each
//! projection's lag and the connections in use. The store adds its append
//! batch sizes to the same default registry.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use prometheus::{
    exponential_buckets, Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, TextEncoder,
};

use crate::ApiContext;

/// Distinct operation names kept as labels. Names come from clients, and
/// every label value is a time series held forever: past this many, new
/// names count as `other`.
pub const MAX_OPERATION_NAMES: usize = 200;
/// Longest operation name kept as a label.
const MAX_NAME_CHARS: usize = 64;

/// Registers `metric` in the default registry once per process. Only a
/// duplicate could fail, and the metric still counts then.
fn registered<M: prometheus::core::Collector + Clone + 'static>(metric: M) -> M {
    let _ = prometheus::register(Box::new(metric.clone()));
    metric
}

static OPERATIONS: LazyLock<IntCounterVec> = LazyLock::new(|| {
    let opts = Opts::new(
        "prasme_graphql_operations_total",
        "GraphQL operations by operation name, kind and outcome (ok, or the first error's extensions.code)",
    );
    registered(IntCounterVec::new(opts, &["operation", "kind", "outcome"]).expect("constant options are valid"))
});

static LATENCY: LazyLock<HistogramVec> = LazyLock::new(|| {
    let opts = HistogramOpts::new("prasme_graphql_operation_seconds", "GraphQL operation latency, by kind")
        .buckets(exponential_buckets(0.000_5, 2.0, 16).unwrap_or_default());
    registered(HistogramVec::new(opts, &["kind"]).expect("constant options are valid"))
});

static PROJECTION_LAG: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    let opts = Opts::new(
        "prasme_projection_lag_events",
        "Events committed after each projection's checkpoint, when scraped",
    );
    registered(IntGaugeVec::new(opts, &["projection"]).expect("constant options are valid"))
});

static CONNECTIONS: LazyLock<IntGaugeVec> = LazyLock::new(|| {
    let opts = Opts::new(
        "prasme_db_connections",
        "PostgreSQL connections of this process: the pool's in use and idle, the writer's own, and the configured pool maximum",
    );
    registered(IntGaugeVec::new(opts, &["state"]).expect("constant options are valid"))
});

static NAMES: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Default::default);

/// The label for a client's operation name.
fn name_label(name: &str) -> String {
    if name.is_empty() {
        return "anonymous".to_owned();
    }
    let plain = name.chars().count() <= MAX_NAME_CHARS && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let Ok(mut names) = NAMES.lock() else {
        return "other".to_owned();
    };
    if plain && (names.contains(name) || names.len() < MAX_OPERATION_NAMES) {
        names.insert(name.to_owned());
        return name.to_owned();
    }
    "other".to_owned()
}

/// Counts one operation and its latency.
pub(crate) fn operation(name: &str, kind: &str, outcome: &str, took: Duration) {
    let kind = if kind.is_empty() { "unknown" } else { kind };
    OPERATIONS
        .with_label_values(&[name_label(name).as_str(), kind, outcome])
        .inc();
    LATENCY.with_label_values(&[kind]).observe(took.as_secs_f64());
}

/// The text exposition, with the gauges read now.
pub(crate) async fn render(ctx: &ApiContext) -> String {
    if let Ok(lags) = ctx.projections.lags().await {
        for lag in lags {
            PROJECTION_LAG.with_label_values(&[lag.name]).set(lag.lag);
        }
    }
    let size = i64::from(ctx.pool.size());
    let idle = i64::try_from(ctx.pool.num_idle()).unwrap_or(i64::MAX);
    CONNECTIONS.with_label_values(&["pool_in_use"]).set(size - idle);
    CONNECTIONS.with_label_values(&["pool_idle"]).set(idle);
    CONNECTIONS
        .with_label_values(&["pool_max"])
        .set(i64::from(ctx.pool.options().get_max_connections()));
    CONNECTIONS
        .with_label_values(&["writer"])
        .set(i64::from(prasme_eventstore::WRITER_CONNECTIONS));
    let mut text = Vec::new();
    // The text encoder fails only on a metric it cannot write; what it wrote stays.
    let _ = TextEncoder::new().encode(&prometheus::gather(), &mut text);
    String::from_utf8_lossy(&text).into_owned()
}

#[cfg(test)]
mod tests {
    use super::name_label;

    #[test]
    fn client_operation_names_become_labels_only_while_few_and_plain() {
        assert_eq!(name_label(""), "anonymous");
        assert_eq!(name_label("Budgets2027"), "Budgets2027");
        assert_eq!(name_label("bad name\"}"), "other");
        assert_eq!(name_label(&"x".repeat(65)), "other");
        for i in 0..super::MAX_OPERATION_NAMES {
            name_label(&format!("Flood{i}"));
        }
        assert_eq!(name_label("OneTooMany"), "other");
        assert_eq!(name_label("Budgets2027"), "Budgets2027", "names already kept stay");
    }
}
