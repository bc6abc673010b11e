use async_graphql::{Context, Object};
use prasme_commands::ReadOf;
use prasme_domain::reference as domain;
use uuid::Uuid;

use crate::complexity::page;
use crate::context::{api, read_models, reads, scope};
use crate::errors::{db, found, not_found, year_argument};
use crate::model::{
    BudgetSummary, Institution, InstitutionBudget, InstitutionKind, ProjectionStatus, Resor, ResorBudget, ResorInfo,
    TrainingBudgetReport,
};
use crate::paging::{connection, window, Keyed};
use crate::scalars::Position;
use prasme_projections::budget::read::{self, InstitutionFilter};

#[derive(Default)]
pub struct InstitutionQuery;

/// Refuses a query about an institution that is not registered, rather
/// than answering it with zeros.
pub(crate) async fn require_institution(ctx: &Context<'_>, id: Uuid) -> async_graphql::Result<()> {
    match read::institution_by_id(&*reads(ctx).await?, id).await.map_err(db)? {
        Some(_) => Ok(()),
        None => Err(not_found("no institution has this id")),
    }
}

#[Object]
impl InstitutionQuery {
    /// One institution. With `atLeastPosition`, waits (bounded) until the
    /// read models include that global position, to read one's own writes.
    async fn institution(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The institution's id; NOT_FOUND when no institution has it.")] id: Uuid,
        #[graphql(
            desc = "Waits (briefly) until the read models have projected this log position, e.g. a mutation's \
                    `position`; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Option<Institution>> {
        let api = api(ctx)?;
        api.reach(read_models::INSTITUTIONS, at_least_position.map(|p| p.0))
            .await?;
        let row = read::institution_by_id(&*reads(ctx).await?, id).await.map_err(db)?;
        found(row.map(Into::into), "no institution has this id")
    }

    /// Institutions by name, then id, narrowed by kind and resor; 50 a page
    /// unless `first` or `last` says.
    #[graphql(complexity = "page(first.or(last).unwrap_or(50), child_complexity)")]
    #[allow(clippy::too_many_arguments)]
    async fn institutions(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "How many institutions to read from the start (after `after`), 1 to 500; 50 when neither \
                    `first` nor `last` is given. Not together with `last`."
        )]
        first: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the institutions after it.")] after: Option<String>,
        #[graphql(
            desc = "How many institutions to read from the end (before `before`), 1 to 500. Not together with \
                    `first`."
        )]
        last: Option<i32>,
        #[graphql(desc = "A cursor from this connection: read the institutions before it.")] before: Option<String>,
        #[graphql(desc = "Only institutions of this kind.")] kind: Option<InstitutionKind>,
        #[graphql(desc = "Only institutions of this resor.")] resor: Option<Resor>,
        #[graphql(
            desc = "Waits (briefly) until the read models have projected this log position, e.g. a mutation's \
                    `position`; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Keyed<Institution>> {
        let api = api(ctx)?;
        api.reach(read_models::INSTITUTIONS, at_least_position.map(|p| p.0))
            .await?;
        let window = window(first, after, last, before, 50)?;
        let filter = InstitutionFilter {
            kind: kind.map(Into::into),
            resor: resor.map(Into::into),
            id: None,
        };
        let page = read::institutions_page(&*reads(ctx).await?, &filter, &window)
            .await
            .map_err(db)?;
        Ok(connection(&window, page, Institution::from))
    }

    /// The training budget of `year` against the 5 %-of-payroll rule: per
    /// institution, per resor and for the whole public administration.
    async fn training_budget(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A year from 2021 to 2035: the range every operation accepts.")] year: i32,
        #[graphql(desc = "Only this institution; NOT_FOUND when none has this id.")] institution_id: Option<Uuid>,
        #[graphql(desc = "Only institutions of this resor.")] resor: Option<Resor>,
        #[graphql(desc = "Only institutions of this kind.")] kind: Option<InstitutionKind>,
        #[graphql(
            desc = "Waits (briefly) until the read models have projected this log position, e.g. a mutation's \
                    `position`; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<TrainingBudgetReport> {
        let year = year_argument(year)?;
        let api = api(ctx)?;
        api.reach(read_models::INSTITUTIONS, at_least_position.map(|p| p.0))
            .await?;
        if let Some(id) = institution_id {
            require_institution(ctx, id).await?;
        }
        let filter = InstitutionFilter {
            kind: kind.map(Into::into),
            resor: resor.map(Into::into),
            id: institution_id,
        };
        let scope = scope(ctx, ReadOf::Budget).await?;
        let rows = read::budget_rows(&*reads(ctx).await?, scope, year, &filter)
            .await
            .map_err(db)?;
        // An institution whose budget the caller may not read is answered
        // as one that does not exist.
        if institution_id.is_some() && rows.is_empty() {
            return Err(not_found("no institution has this id"));
        }
        let by_resor = domain::Resor::ALL
            .into_iter()
            .filter_map(|r| {
                let members: Vec<_> = rows.iter().filter(|row| row.institution.resor == Some(r)).collect();
                (!members.is_empty()).then(|| ResorBudget {
                    resor: r.into(),
                    summary: BudgetSummary::of(members),
                })
            })
            .collect();
        let municipalities = BudgetSummary::of(
            rows.iter()
                .filter(|r| r.institution.kind == domain::InstitutionKind::Municipal),
        );
        let total = BudgetSummary::of(&rows);
        Ok(TrainingBudgetReport {
            year,
            institutions: rows.into_iter().map(InstitutionBudget::from).collect(),
            by_resor,
            municipalities,
            total,
        })
    }

    /// The resors (ministry portfolios) institutions can belong to.
    async fn resors(&self) -> Vec<ResorInfo> {
        domain::Resor::ALL.into_iter().map(Into::into).collect()
    }

    /// How far each projection has read the event log.
    async fn projections(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ProjectionStatus>> {
        Ok(api(ctx)?
            .projections
            .checkpoints()
            .into_iter()
            .map(|(name, position)| ProjectionStatus {
                name: name.to_owned(),
                position: Position(position),
            })
            .collect())
    }
}
