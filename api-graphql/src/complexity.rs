//! What a field costs against the complexity limit. A field costs 1 plus what
//! it selects; a list multiplies what its items select by how many it can
//! hold: its page size (`first`), or the most there can be. Without that, 300
//! aliases of a report over every institution passed as "simple".

use prasme_domain::validate::{FIRST_YEAR, LAST_YEAR};

/// The most an operation may cost.
pub const MAX_COMPLEXITY: usize = 50_000;

/// A report lists every institution. Latvia's public administration has a
/// few hundred; this bound leaves room to grow.
pub const INSTITUTIONS: usize = 1_000;
/// State resors (ministries and the State Chancellery).
pub const RESORS: usize = 15;
/// Funding sources a budget is broken down by.
pub const FUNDING_SOURCES: usize = 4;
/// The five priorities and money tied to none.
pub const PRIORITY_ROWS: usize = 6;
/// Budget statuses a summary counts.
pub const BUDGET_STATUSES: usize = 8;
/// Years a budget can be planned for.
pub const YEARS: usize = (LAST_YEAR - FIRST_YEAR + 1) as usize;
/// Months in a year of learning hours.
pub const MONTHS: usize = 12;

/// A connection's cost: a page of `first` items.
pub fn page(first: i32, child_complexity: usize) -> usize {
    usize::try_from(first)
        .unwrap_or(0)
        .max(1)
        .saturating_mul(child_complexity)
}

#[cfg(test)]
mod tests {
    use async_graphql::EnumType;

    use super::*;
    use crate::model::{BudgetStatus, FundingSource, Resor};

    #[test]
    fn the_bounds_hold_every_value_of_their_enums() {
        assert!(FUNDING_SOURCES >= FundingSource::items().len());
        assert!(RESORS >= Resor::items().len());
        assert!(BUDGET_STATUSES >= BudgetStatus::items().len());
        assert!(PRIORITY_ROWS > crate::model::StrategicPriority::items().len());
    }
}
