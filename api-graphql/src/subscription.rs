use std::collections::VecDeque;
use std::sync::Arc;

use async_graphql::{Context, SimpleObject, Subscription};
use futures::Stream;
use prasme_projections::{Change, ChangeNotice};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use uuid::Uuid;

use crate::assessment::CompetencyProfile;
use crate::context::{api, read_models, scope, ApiContext};
use crate::development_plan::DevelopmentPlan;
use crate::errors::{db, internal, not_found};
use crate::feedback::{load_cycle, FeedbackCycle};
use crate::kpi::{IndicatorStatus, KpiSeries};
use crate::kpi_updates::{current, Updates};
use crate::model::InstitutionBudget;
use crate::offering::{load_offering, load_transcript, Offering, Transcript};
use crate::plan::with_kpis_from;
use crate::scalars::Position;
use prasme_commands::ReadOf;
use prasme_projections::budget::read::{self, InstitutionFilter};
use prasme_projections::competency::profile;
use prasme_projections::development_plan::read as plans;
use prasme_projections::ReadScope;

pub struct SubscriptionRoot;

/// An institution's training budget for one year, sent after a change to it.
#[derive(SimpleObject)]
pub struct TrainingBudgetUpdate {
    /// The global position of the event that changed the budget (after the subscriber fell
    /// behind: the position every read model had reached).
    pub position: Position,
    /// The year's budget as the read model has it when the update is sent.
    pub budget: InstitutionBudget,
}

struct Feed {
    changes: Receiver<ChangeNotice>,
    api: ApiContext,
    institution_id: Uuid,
    /// The subscriber's budget scope, as it was when it subscribed.
    scope: ReadScope,
    /// Years to send before reading further changes.
    pending: VecDeque<(i64, i32)>,
}

/// An offering, sent after a change to it.
#[derive(SimpleObject)]
pub struct OfferingUpdate {
    /// The global position of the event that changed the offering (after the subscriber fell
    /// behind: the position every read model had reached).
    pub position: Position,
    /// The offering as the read model has it when the update is sent.
    pub offering: Offering,
}

/// An employee's transcript, sent after one of their completions was recorded or revoked.
#[derive(SimpleObject)]
pub struct TranscriptUpdate {
    /// The global position of the event that changed the transcript (after the subscriber fell
    /// behind: the position every read model had reached).
    pub position: Position,
    /// The transcript as the read model has it when the update is sent.
    pub transcript: Transcript,
}

/// An employee's competency profile, sent after an assessment or talent review of theirs was recorded.
#[derive(SimpleObject)]
pub struct CompetencyProfileUpdate {
    /// The global position of the event that changed the record (after the subscriber fell
    /// behind: the position every read model had reached).
    pub position: Position,
    /// The profile as the read models have it when the update is sent.
    pub profile: CompetencyProfile,
}

/// A development plan, sent after a change to it.
#[derive(SimpleObject)]
pub struct DevelopmentPlanUpdate {
    /// The global position of the event that changed the plan (after the subscriber fell
    /// behind: the position every read model had reached).
    pub position: Position,
    /// The plan as the read model has it when the update is sent.
    pub plan: DevelopmentPlan,
}

/// A 360-degree feedback cycle, sent after it was opened, invited a rater, closed or was cancelled.
#[derive(SimpleObject)]
pub struct FeedbackCycleUpdate {
    /// The global position of the event that changed the cycle (after the subscriber fell
    /// behind: the position every read model had reached).
    pub position: Position,
    /// The cycle as the read model has it when the update is sent: counts while open, the report once closed.
    pub cycle: FeedbackCycle,
}

/// The positions of the changes one subscriber wants. When it falls behind
/// the broadcast, it is handed the runner's position, so that it reloads the
/// current state rather than silently missing what it skipped.
struct Watch {
    changes: Receiver<ChangeNotice>,
    api: ApiContext,
    wants: Change,
}

impl Watch {
    async fn next(&mut self) -> Option<i64> {
        loop {
            match self.changes.recv().await {
                Ok(notice) if notice.change == self.wants => return Some(notice.position),
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "subscriber fell behind; resending the current state");
                    return Some(self.api.projections.position());
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }
}

/// An indicator's values, sent after an event changed its whole-plan total.
#[derive(SimpleObject, Clone)]
pub struct KpiUpdate {
    /// The global position of the event that changed it (after the subscriber fell behind: the position every
    /// read model had reached, with every watched indicator's current values).
    pub position: Position,
    /// Such as "1.4.1".
    pub indicator_id: String,
    /// Its series as the read model has them when the update is sent, for the whole plan.
    pub series: Vec<KpiSeries>,
    /// The worse of its series' statuses.
    pub status: Option<IndicatorStatus>,
}

/// Which indicators a `kpiUpdated` subscriber watches.
#[derive(Clone)]
struct KpiFilter {
    priority: Option<i32>,
    measure: Option<String>,
    indicator: Option<String>,
}

impl KpiFilter {
    fn wants(&self, priority: i32, measure: &str, indicator: &str) -> bool {
        self.priority.is_none_or(|p| p == priority)
            && self.measure.as_deref().is_none_or(|m| m == measure)
            && self.indicator.as_deref().is_none_or(|i| i == indicator)
    }
}

struct KpiFeed {
    updates: Receiver<Updates>,
    api: ApiContext,
    filter: KpiFilter,
    pending: VecDeque<KpiUpdate>,
}

impl KpiFeed {
    async fn next(&mut self) -> Option<async_graphql::Result<KpiUpdate>> {
        loop {
            if let Some(update) = self.pending.pop_front() {
                return Some(Ok(update));
            }
            let updates = match self.updates.recv().await {
                Ok(updates) => updates,
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "subscriber fell behind; resending the current state");
                    Arc::new(current(&self.api.pool, self.api.projections.position()).await)
                }
                Err(RecvError::Closed) => return None,
            };
            match &*updates {
                Ok(moved) => self.pending.extend(
                    moved
                        .iter()
                        .filter(|m| self.filter.wants(m.priority, &m.measure, &m.update.indicator_id))
                        .map(|m| m.update.clone()),
                ),
                Err(e) => return Some(Err(e.clone())),
            }
        }
    }
}

/// Updates pushed over a WebSocket as the read models change.
#[Subscription]
impl SubscriptionRoot {
    /// An indicator's values each time the KPI projection has committed an event that changed its whole-plan
    /// total: once per change. Every argument narrows what is watched; none watches every indicator.
    async fn kpi_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A priority, 1 to 5.")] priority: Option<i32>,
        #[graphql(desc = "A measure, such as \"1.4\".")] measure: Option<String>,
        #[graphql(desc = "An indicator, such as \"1.4.1\".")] indicator: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<KpiUpdate>>> {
        let api = api(ctx)?.clone();
        let updates = api.kpi_updates.subscribe(&api);
        api.reach_head(read_models::KPIS).await?;
        let plan = with_kpis_from(&api.pool, None, None)
            .await?
            .ok_or_else(|| not_found("the plan is not published yet"))?;
        let filter = KpiFilter {
            priority,
            measure,
            indicator,
        };
        if !plan.indicators().any(|(p, m, i)| filter.wants(p, m, &i.indicator_id)) {
            return Err(not_found("the plan has no indicator that matches"));
        }
        let feed = KpiFeed {
            updates,
            api,
            filter,
            pending: VecDeque::new(),
        };
        Ok(futures::stream::unfold(feed, |mut feed| async move {
            let item = feed.next().await?;
            Some((item, feed))
        }))
    }

    /// The offering (and through it its roster) each time the offering
    /// projection has committed a change to it.
    async fn offering_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The offering to watch.")] offering_id: Uuid,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<OfferingUpdate>>> {
        let api = api(ctx)?.clone();
        // Listening starts before the checks, so no change committed while
        // they run is missed.
        let changes = api.projections.subscribe();
        // An offering scheduled a moment ago may not be projected yet.
        if load_offering(&api.pool, offering_id).await?.is_none() {
            api.reach_head(read_models::OFFERINGS).await?;
            if load_offering(&api.pool, offering_id).await?.is_none() {
                return Err(not_found("no offering has this id"));
            }
        }
        let watch = Watch {
            changes,
            api,
            wants: Change::Offering { offering_id },
        };
        Ok(futures::stream::unfold(watch, move |mut w| async move {
            let position = w.next().await?;
            let item = load_offering(&w.api.pool, offering_id).await.and_then(|o| {
                o.map(|offering| OfferingUpdate {
                    position: Position(position),
                    offering,
                })
                .ok_or_else(|| internal("the offering is not in the read model"))
            });
            Some((item, w))
        }))
    }

    /// The employee's transcript each time a completion of theirs is
    /// recorded or revoked.
    async fn employee_transcript_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The employee whose transcript to watch.")] employee_id: Uuid,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<TranscriptUpdate>>> {
        let api = api(ctx)?.clone();
        let changes = api.projections.subscribe();
        // One the caller may not read is refused as one that does not exist;
        // one hired a moment ago may not be projected yet.
        api.reach_head(read_models::EMPLOYEES).await?;
        crate::employee::require_employee(ctx, employee_id).await?;
        let scope = scope(ctx, ReadOf::Personal).await?.clone();
        let watch = Watch {
            changes,
            api,
            wants: Change::Transcript { employee_id },
        };
        Ok(futures::stream::unfold(watch, move |mut w| {
            let scope = scope.clone();
            async move {
                let position = w.next().await?;
                let item = load_transcript(&w.api.pool, &scope, employee_id)
                    .await
                    .map(|transcript| TranscriptUpdate {
                        position: Position(position),
                        transcript,
                    });
                Some((item, w))
            }
        }))
    }

    /// An employee's competency profile against a framework each time an
    /// assessment or talent review of theirs is recorded.
    async fn competency_profile_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The employee whose profile to watch.")] employee_id: Uuid,
        #[graphql(desc = "The framework the profile is against.")] framework_id: Uuid,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<CompetencyProfileUpdate>>> {
        let api = api(ctx)?.clone();
        let changes = api.projections.subscribe();
        api.reach_head(read_models::COMPETENCE).await?;
        crate::employee::require_employee(ctx, employee_id).await?;
        let scope = scope(ctx, ReadOf::Personal).await?.clone();
        if profile::profile(&api.pool, &scope, employee_id, framework_id)
            .await
            .map_err(db)?
            .is_none()
        {
            return Err(not_found("no competency framework has this id"));
        }
        let watch = Watch {
            changes,
            api,
            wants: Change::CompetenceRecord { employee_id },
        };
        Ok(futures::stream::unfold(watch, move |mut w| {
            let scope = scope.clone();
            async move {
                let position = w.next().await?;
                let item = profile::profile(&w.api.pool, &scope, employee_id, framework_id)
                    .await
                    .map_err(db)
                    .and_then(|p| p.ok_or_else(|| internal("the profile is not in the read model")))
                    .map(|p| CompetencyProfileUpdate {
                        position: Position(position),
                        profile: p.into(),
                    });
                Some((item, w))
            }
        }))
    }

    /// A development plan each time the plan projection has committed a change to it.
    async fn development_plan_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The plan to watch.")] plan_id: Uuid,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<DevelopmentPlanUpdate>>> {
        let api = api(ctx)?.clone();
        let changes = api.projections.subscribe();
        api.reach_head(read_models::DEVELOPMENT_PLANS).await?;
        let scope = scope(ctx, ReadOf::Personal).await?.clone();
        let Some(plan) = plans::plan_by_id(&api.pool, &scope, plan_id).await.map_err(db)? else {
            return Err(not_found("no development plan has this id"));
        };
        let watch = Watch {
            changes,
            api,
            wants: Change::DevelopmentPlan {
                plan_id,
                employee_id: plan.employee_id,
            },
        };
        Ok(futures::stream::unfold(watch, move |mut w| {
            let scope = scope.clone();
            async move {
                let position = w.next().await?;
                let item = plans::plan_by_id(&w.api.pool, &scope, plan_id)
                    .await
                    .map_err(db)
                    .and_then(|p| p.ok_or_else(|| internal("the plan is not in the read model")))
                    .map(|p| DevelopmentPlanUpdate {
                        position: Position(position),
                        plan: p.into(),
                    });
                Some((item, w))
            }
        }))
    }

    /// A 360-degree feedback cycle in the caller's reach of personal data (the subject, their manager, HR), each time
    /// it is opened, invites a rater, closes or is cancelled. A submission changes nothing the log or this
    /// subscription sees: it is counted in `feedbackCycle` and written only when the cycle closes.
    async fn feedback_cycle_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The cycle to watch.")] cycle_id: Uuid,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<FeedbackCycleUpdate>>> {
        let api = api(ctx)?.clone();
        let changes = api.projections.subscribe();
        api.reach_head(read_models::FEEDBACK_CYCLES).await?;
        let scope = scope(ctx, ReadOf::Personal).await?.clone();
        if load_cycle(&api.pool, &scope, cycle_id).await?.is_none() {
            return Err(not_found("no feedback cycle has this id"));
        }
        let watch = Watch {
            changes,
            api,
            wants: Change::FeedbackCycle { cycle_id },
        };
        Ok(futures::stream::unfold(watch, move |mut w| {
            let scope = scope.clone();
            async move {
                let position = w.next().await?;
                let item = load_cycle(&w.api.pool, &scope, cycle_id)
                    .await
                    .and_then(|c| c.ok_or_else(|| internal("the cycle is not in the read model")))
                    .map(|cycle| FeedbackCycleUpdate {
                        position: Position(position),
                        cycle,
                    });
                Some((item, w))
            }
        }))
    }

    /// The institution's budget for a year, each time the budget projection
    /// has committed a change to it. If this subscriber falls behind, it is
    /// sent every year's current budget rather than silently missing updates.
    async fn training_budget_updated(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The institution whose budgets to watch.")] institution_id: Uuid,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<TrainingBudgetUpdate>>> {
        let api = api(ctx)?.clone();
        let changes = api.projections.subscribe();
        api.reach_head(read_models::INSTITUTIONS).await?;
        crate::query::require_institution(ctx, institution_id).await?;
        let scope = scope(ctx, ReadOf::Budget).await?.clone();
        if !scope.covers_institution(institution_id) {
            return Err(not_found("no institution has this id"));
        }
        let feed = Feed {
            changes,
            api,
            institution_id,
            scope,
            pending: VecDeque::new(),
        };
        Ok(futures::stream::unfold(feed, |mut feed| async move {
            let item = feed.next().await?;
            Some((item, feed))
        }))
    }
}

impl Feed {
    async fn next(&mut self) -> Option<async_graphql::Result<TrainingBudgetUpdate>> {
        loop {
            if let Some((position, year)) = self.pending.pop_front() {
                match self.load(year).await {
                    Ok(Some(budget)) => {
                        return Some(Ok(TrainingBudgetUpdate {
                            position: Position(position),
                            budget,
                        }))
                    }
                    Ok(None) => continue,
                    Err(e) => return Some(Err(e)),
                }
            }
            match self.changes.recv().await {
                Ok(ChangeNotice {
                    position,
                    change: Change::TrainingBudget { institution_id, year },
                }) if institution_id == self.institution_id => self.pending.push_back((position, year)),
                Ok(_) => {}
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "budget subscriber fell behind; resending current budgets");
                    let position = self.api.projections.position();
                    match read::budget_years(&self.api.pool, &self.scope, self.institution_id).await {
                        Ok(years) => self.pending.extend(years.into_iter().map(|y| (position, y))),
                        Err(e) => return Some(Err(db(e))),
                    }
                }
                Err(RecvError::Closed) => return None,
            }
        }
    }

    async fn load(&self, year: i32) -> async_graphql::Result<Option<InstitutionBudget>> {
        let filter = InstitutionFilter {
            id: Some(self.institution_id),
            ..Default::default()
        };
        let rows = read::budget_rows(&self.api.pool, &self.scope, year, &filter)
            .await
            .map_err(db)?;
        Ok(rows.into_iter().next().map(Into::into))
    }
}
