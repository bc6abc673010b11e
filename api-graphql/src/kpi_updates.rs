//! What `kpiUpdated` sends, worked out once per committed change for every
//! subscriber. The KPI projection announces every event it reads; finding
//! which indicators it moved and reading the plan's values are the same
//! work for every subscriber, so one task does them and broadcasts the
//! result, and each subscriber only filters it. Before, each subscriber
//! queried the history at every KPI event and read the whole plan on every
//! change: with a hundred dashboards open, a hundred times the same reads.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use prasme_projections::kpi::read as kpi_read;
use prasme_projections::{Change, ChangeNotice};
use sqlx::PgPool;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};
use tokio::sync::broadcast::{self, Receiver, Sender};
use tokio::sync::watch;

use crate::context::ApiContext;
use crate::errors::db;
use crate::kpi::KpiSnapshot;
use crate::plan::{with_kpis_from, Plan};
use crate::scalars::Position;
use crate::subscription::KpiUpdate;

/// Changes a subscriber may have unread before it is told it fell behind
/// (and then reads the current values itself). Each is one shared `Arc`.
const SUBSCRIBER_BACKLOG: usize = 256;

/// One indicator's update with where it sits in the plan, for filtering.
pub(crate) struct Moved {
    pub(crate) priority: i32,
    pub(crate) measure: String,
    pub(crate) update: KpiUpdate,
}

/// The updates of the committed changes one read covered, in log order;
/// or why they could not be read.
pub(crate) type Updates = Arc<async_graphql::Result<Vec<Moved>>>;

/// The shared feed, started by the first `kpiUpdated` subscriber.
#[derive(Clone, Default)]
pub struct KpiUpdates {
    feed: Arc<OnceLock<Sender<Updates>>>,
}

impl KpiUpdates {
    /// A receiver of every update from now on.
    pub(crate) fn subscribe(&self, api: &ApiContext) -> Receiver<Updates> {
        self.feed
            .get_or_init(|| {
                let (out, _) = broadcast::channel(SUBSCRIBER_BACKLOG);
                // The feed holds the runner's broadcast receiver and its
                // position, not the runner: it ends when the runner's last
                // handle is dropped, with the server.
                tokio::spawn(feed(
                    api.projections.subscribe(),
                    api.projections.position_watch(),
                    api.pool.clone(),
                    out.clone(),
                ));
                out
            })
            .subscribe()
    }
}

/// What the feed was told, in order: an event the KPI projection
/// committed, or a gap where it missed some (it fell behind the runner).
enum Step {
    Event(i64),
    Gap,
}

/// Reads, for the KPI notices waiting, which indicators their events moved
/// (one statement) and, if any, the plan's values (one read), and
/// broadcasts the updates.
async fn feed(mut changes: Receiver<ChangeNotice>, position: watch::Receiver<i64>, pool: PgPool, out: Sender<Updates>) {
    loop {
        let mut steps = Vec::new();
        let first = changes.recv().await;
        let mut closed = step(
            &mut steps,
            first.map_err(|e| match e {
                RecvError::Lagged(missed) => TryRecvError::Lagged(missed),
                RecvError::Closed => TryRecvError::Closed,
            }),
        );
        // Whatever else has been announced meanwhile is answered by the same reads.
        while !closed {
            match changes.try_recv() {
                Err(TryRecvError::Empty) => break,
                next => closed = step(&mut steps, next),
            }
        }
        // Nobody to tell: nothing to read.
        if out.receiver_count() > 0 && !steps.is_empty() {
            let reached = *position.borrow();
            let updates = updates(&pool, &steps, reached).await;
            let _ = out.send(Arc::new(updates));
        }
        if closed {
            return;
        }
    }
}

/// Notes what one receive said; true once the runner has gone.
fn step(steps: &mut Vec<Step>, received: Result<ChangeNotice, TryRecvError>) -> bool {
    match received {
        Ok(notice) if notice.change == Change::Kpis => steps.push(Step::Event(notice.position)),
        Ok(_) | Err(TryRecvError::Empty) => {}
        Err(TryRecvError::Lagged(missed)) => {
            tracing::warn!(missed, "the kpiUpdated feed fell behind; sending the current values");
            steps.push(Step::Gap);
        }
        Err(TryRecvError::Closed) => return true,
    }
    false
}

/// The updates for `steps`: for each event, the indicators whose whole-plan
/// total it changed; for a gap, every indicator, at `reached` (the position
/// every read model has reached).
async fn updates(pool: &PgPool, steps: &[Step], reached: i64) -> async_graphql::Result<Vec<Moved>> {
    let positions: Vec<i64> = steps
        .iter()
        .filter_map(|s| match s {
            Step::Event(p) => Some(*p),
            Step::Gap => None,
        })
        .collect();
    let mut changed: HashMap<i64, Vec<String>> = HashMap::new();
    if !positions.is_empty() {
        for (position, indicator) in kpi_read::changed_at(pool, &positions).await.map_err(db)? {
            changed.entry(position).or_default().push(indicator);
        }
    }
    if changed.is_empty() && !steps.iter().any(|s| matches!(s, Step::Gap)) {
        return Ok(Vec::new());
    }
    let Some(plan) = with_kpis_from(pool, None, None).await? else {
        return Ok(Vec::new());
    };
    let mut moved = Vec::new();
    for s in steps {
        match s {
            Step::Event(position) => {
                if let Some(ids) = changed.get(position) {
                    push(&mut moved, &plan, *position, |id| ids.iter().any(|i| i == id));
                }
            }
            Step::Gap => push(&mut moved, &plan, reached, |_| true),
        }
    }
    Ok(moved)
}

/// Every indicator's current values at `reached`: for a subscriber that
/// fell behind the feed.
pub(crate) async fn current(pool: &PgPool, reached: i64) -> async_graphql::Result<Vec<Moved>> {
    updates(pool, &[Step::Gap], reached).await
}

/// The plan's indicators `wanted` picks, as updates at `position`.
fn push(moved: &mut Vec<Moved>, plan: &Plan, position: i64, wanted: impl Fn(&str) -> bool) {
    moved.extend(
        plan.indicators()
            .filter(|(_, _, i)| wanted(&i.indicator_id))
            .map(|(priority, measure, i)| {
                let series = i.kpi_series();
                Moved {
                    priority,
                    measure: measure.to_owned(),
                    update: KpiUpdate {
                        position: Position(position),
                        indicator_id: i.indicator_id.clone(),
                        status: KpiSnapshot::status(&series),
                        series,
                    },
                }
            }),
    );
}
