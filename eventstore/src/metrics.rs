//! What the store reports to Prometheus, in the process's default registry
//! (served at `/metrics`).

use std::sync::LazyLock;

use prometheus::{exponential_buckets, Histogram, HistogramOpts};

/// Appends the writer sent to PostgreSQL in one batch: how much group
/// commit is gathering under the load of the moment.
pub(crate) static APPEND_BATCH: LazyLock<Histogram> = LazyLock::new(|| {
    let buckets = exponential_buckets(1.0, 2.0, 12).unwrap_or_default();
    let opts = HistogramOpts::new(
        "prasme_append_batch_appends",
        "Appends the event store writer sent to PostgreSQL in one batch",
    )
    .buckets(buckets);
    let histogram = Histogram::with_opts(opts).expect("constant histogram options are valid");
    // Registered once per process; a second registration could only fail
    // as a duplicate, and the histogram still counts.
    let _ = prometheus::register(Box::new(histogram.clone()));
    histogram
});
