//! Set-based reads for fields that sit on every row of a list: a report over
//! a thousand institutions asks for each one's budget and breakdowns, and
//! those become one statement per kind instead of one per row. A loader
//! lives for one request, so nothing is cached across requests and every
//! request still reads its own writes.

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dataloader::{DataLoader, Loader};
use sqlx::PgPool;
use tokio::sync::Semaphore;
use uuid::Uuid;

use prasme_eventstore::database_unavailable;
use prasme_projections::budget::read::{self, Breakdown, BudgetRow, InstitutionRow};
use prasme_projections::ReadScope;

use crate::errors::DatabaseFailure;

/// An institution's training budget for a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct BudgetKey {
    pub institution_id: Uuid,
    pub year: i32,
}

/// The same line's breakdowns by funding source and priority.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct BreakdownKey(pub BudgetKey);

/// One request's loader; its reads take the request's connection budget.
pub(crate) struct ReadModels {
    pool: PgPool,
    permits: Arc<Semaphore>,
    /// What of the budgets the request may read.
    budgets: ReadScope,
}

pub(crate) type Loaders = DataLoader<ReadModels>;

pub(crate) fn loaders(pool: PgPool, permits: Arc<Semaphore>, budgets: ReadScope) -> Loaders {
    DataLoader::new(ReadModels { pool, permits, budgets }, tokio::spawn)
}

/// What a failed batch tells each field that waited on it (cloned to each).
#[derive(Clone, Debug)]
pub(crate) struct LoadError {
    message: Arc<str>,
    /// The database was unavailable, rather than the read broken.
    unavailable: bool,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl DatabaseFailure for LoadError {
    fn unavailable(&self) -> bool {
        self.unavailable
    }
}

impl ReadModels {
    async fn run<T>(&self, read: impl std::future::Future<Output = Result<T, sqlx::Error>>) -> Result<T, LoadError> {
        let _permit = self.permits.acquire().await.map_err(|e| LoadError {
            message: Arc::from(e.to_string()),
            unavailable: false,
        })?;
        read.await.map_err(|e| LoadError {
            message: Arc::from(e.to_string()),
            unavailable: database_unavailable(&e),
        })
    }
}

fn pairs(keys: &[BudgetKey]) -> Vec<(Uuid, i32)> {
    keys.iter().map(|k| (k.institution_id, k.year)).collect()
}

impl Loader<Uuid> for ReadModels {
    type Value = InstitutionRow;
    type Error = LoadError;

    async fn load(&self, ids: &[Uuid]) -> Result<HashMap<Uuid, InstitutionRow>, LoadError> {
        let rows = self.run(read::institutions_by_ids(&self.pool, ids)).await?;
        Ok(rows.into_iter().map(|r| (r.id, r)).collect())
    }
}

impl Loader<BudgetKey> for ReadModels {
    type Value = BudgetRow;
    type Error = LoadError;

    async fn load(&self, keys: &[BudgetKey]) -> Result<HashMap<BudgetKey, BudgetRow>, LoadError> {
        let rows = self
            .run(read::budget_rows_for(&self.pool, &self.budgets, &pairs(keys)))
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let key = BudgetKey {
                    institution_id: r.institution.id,
                    year: r.year,
                };
                (key, r)
            })
            .collect())
    }
}

impl Loader<BreakdownKey> for ReadModels {
    type Value = Breakdown;
    type Error = LoadError;

    async fn load(&self, keys: &[BreakdownKey]) -> Result<HashMap<BreakdownKey, Breakdown>, LoadError> {
        let lines: Vec<BudgetKey> = keys.iter().map(|k| k.0).collect();
        let found = self
            .run(read::breakdowns(&self.pool, &self.budgets, &pairs(&lines)))
            .await?;
        Ok(found
            .into_iter()
            .map(|((institution_id, year), b)| (BreakdownKey(BudgetKey { institution_id, year }), b))
            .collect())
    }
}
