use std::collections::VecDeque;

use async_graphql::{Context, SimpleObject, Subscription};
use futures::Stream;
use prasme_projections::{Change, ChangeNotice};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::broadcast::Receiver;
use uuid::Uuid;

use crate::context::{api, ApiContext};
use crate::errors::db;
use crate::model::InstitutionBudget;
use crate::read::{self, InstitutionFilter};

pub struct SubscriptionRoot;

#[derive(SimpleObject)]
pub struct TrainingBudgetUpdate {
    /// The global position of the event that changed the budget.
    pub position: i64,
    pub budget: InstitutionBudget,
}

struct Feed {
    changes: Receiver<ChangeNotice>,
    api: ApiContext,
    institution_id: Uuid,
    /// Years to send before reading further changes.
    pending: VecDeque<(i64, i32)>,
}

#[Subscription]
impl SubscriptionRoot {
    /// The institution's budget for a year, each time the budget projection
    /// has committed a change to it. If this subscriber falls behind, it is
    /// sent every year's current budget rather than silently missing updates.
    async fn training_budget_updated(
        &self,
        ctx: &Context<'_>,
        institution_id: Uuid,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<TrainingBudgetUpdate>>> {
        let api = api(ctx)?.clone();
        let feed = Feed {
            changes: api.projections.subscribe(),
            api,
            institution_id,
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
                    Ok(Some(budget)) => return Some(Ok(TrainingBudgetUpdate { position, budget })),
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
                    match read::budget_years(&self.api.pool, self.institution_id).await {
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
        let rows = read::budget_rows(&self.api.pool, year, &filter).await.map_err(db)?;
        Ok(rows.into_iter().next().map(Into::into))
    }
}
