//! The breakdown cells a counted subject falls into. A subject counts
//! once in each cell it has a qualifying fact in: an employee trained in
//! 2022 and again in 2024 counts once in the whole plan (year 0), once in
//! 2022 and once in 2024; one transferred in between counts once for each
//! institution, under the year of each fact.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::employee::JobGroup;
use crate::reference::{wire_name, InstitutionKind, Resor};

/// The year of a cell that spans the whole plan.
pub const WHOLE_PLAN: i32 = 0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Dimension {
    Total,
    /// State or municipal.
    Kind,
    Resor,
    Institution,
    JobGroup,
}

impl Dimension {
    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Total => "TOTAL",
            Dimension::Kind => "KIND",
            Dimension::Resor => "RESOR",
            Dimension::Institution => "INSTITUTION",
            Dimension::JobGroup => "JOB_GROUP",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Dimension::Total,
            Dimension::Kind,
            Dimension::Resor,
            Dimension::Institution,
            Dimension::JobGroup,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
    }
}

/// One cell: a year (or [`WHOLE_PLAN`]), a dimension and its value (the
/// resor's code, the institution's id, the job group's name; empty for
/// the total).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Cell {
    pub year: i32,
    pub dimension: Dimension,
    pub value: String,
}

/// Where a fact's subject stood, as far as cells go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    pub institution_id: Uuid,
    pub kind: InstitutionKind,
    pub resor: Option<Resor>,
    pub job_groups: Vec<JobGroup>,
}

/// The cells of a fact in `year` at `place` (none: a thing of no place,
/// counted in the totals only): each in that year and in the whole plan.
pub fn cells(year: i32, place: Option<&Place>) -> Vec<Cell> {
    let mut out = cells_in(WHOLE_PLAN, place);
    out.extend(cells_in(year, place));
    out
}

/// The cells of one year (or the whole plan) at `place`.
pub fn cells_in(year: i32, place: Option<&Place>) -> Vec<Cell> {
    let cell = |dimension, value: String| Cell { year, dimension, value };
    let mut out = vec![cell(Dimension::Total, String::new())];
    if let Some(p) = place {
        out.push(cell(Dimension::Kind, wire_name(&p.kind)));
        if let Some(r) = p.resor {
            out.push(cell(Dimension::Resor, wire_name(&r)));
        }
        out.push(cell(Dimension::Institution, p.institution_id.to_string()));
        for g in &p.job_groups {
            out.push(cell(Dimension::JobGroup, wire_name(g)));
        }
    }
    out
}

/// The cells that span several years of a share: every year of the plan
/// and the whole plan, each a total (a coverage's denominator).
pub fn totals_of_every_year() -> Vec<Cell> {
    std::iter::once(WHOLE_PLAN)
        .chain(crate::kpi::FIRST_YEAR..=crate::kpi::LAST_YEAR)
        .map(|year| Cell {
            year,
            dimension: Dimension::Total,
            value: String::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_a_fact_at_an_institution_when_cells_are_listed_then_each_dimension_in_its_year_and_the_whole_plan() {
        let place = Place {
            institution_id: Uuid::from_u128(7),
            kind: InstitutionKind::State,
            resor: Some(Resor::Fm),
            job_groups: vec![JobGroup::TopManager, JobGroup::HrSpecialist],
        };
        let c = cells(2024, Some(&place));
        assert_eq!(c.len(), 12);
        assert!(c.contains(&Cell {
            year: 2024,
            dimension: Dimension::Resor,
            value: "FM".into()
        }));
        assert!(c.contains(&Cell {
            year: WHOLE_PLAN,
            dimension: Dimension::JobGroup,
            value: "HR_SPECIALIST".into()
        }));
        assert_eq!(cells(2024, None).len(), 2, "a thing of no place: the totals only");
    }
}
