//! What one subject (an employee, an institution, a resor, a thing) holds
//! in each series: not one row per breakdown cell, but the few (year,
//! place) pairs its facts put it in, each with how many facts keep it
//! there. Its cells are the union of those pairs' cells, so a change of
//! the pairs gives exactly the cells it enters and leaves. An employee
//! trained in three years at one institution holds four pairs, where a
//! row per cell would be dozens: this is what keeps a rebuild's writes
//! small (docs/kpis.md §4.6).

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use prasme_domain::employee::JobGroup;
use prasme_domain::kpi::cell::cells_in;
use prasme_domain::kpi::{Cell, Place};
use prasme_domain::reference::{InstitutionKind, Resor};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The part of a series a subject counts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(super) enum Part {
    /// The count (a share's numerator).
    #[serde(rename = "N")]
    Count,
    /// A share's or a coverage's population.
    #[serde(rename = "D")]
    Denominator,
}

/// Where a subject stood: the institution, and the job groups when the
/// series breaks down by them (employees only). None: a thing, or a
/// coverage unit, counted in the totals only.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(super) struct Spot {
    #[serde(rename = "i")]
    pub institution: Uuid,
    #[serde(rename = "g", default, skip_serializing_if = "Vec::is_empty")]
    pub job_groups: Vec<JobGroup>,
}

/// A (year, place) pair a subject is held in, and by how many facts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Hold {
    #[serde(rename = "p")]
    pub part: Part,
    #[serde(rename = "y")]
    pub year: i32,
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub spot: Option<Spot>,
    #[serde(rename = "n")]
    pub refs: i32,
}

/// A subject's holdings in one series.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct SeriesHeld {
    #[serde(rename = "h", default, skip_serializing_if = "Vec::is_empty")]
    pub holds: Vec<Hold>,
    /// For an employee share: the employee's qualifying facts and their
    /// dates, since a share counts them from the first one on.
    #[serde(rename = "f", default, skip_serializing_if = "BTreeMap::is_empty")]
    pub facts: BTreeMap<String, NaiveDate>,
}

/// A subject's holdings in every series: one row of `rm_kpi_subject`.
pub(super) type Held = BTreeMap<String, SeriesHeld>;

/// The fixed facts of an institution a place needs.
#[derive(Debug, Clone, Copy)]
pub(super) struct InstitutionFacts {
    pub kind: InstitutionKind,
    pub resor: Option<Resor>,
}

impl SeriesHeld {
    pub fn is_empty(&self) -> bool {
        self.holds.is_empty() && self.facts.is_empty()
    }

    /// The pairs held in `part`.
    pub fn pairs(&self, part: Part) -> BTreeSet<(i32, Option<Spot>)> {
        self.holds
            .iter()
            .filter(|h| h.part == part)
            .map(|h| (h.year, h.spot.clone()))
            .collect()
    }

    /// The first date of a qualifying fact, for an employee share.
    pub fn first_fact(&self) -> Option<NaiveDate> {
        self.facts.values().min().copied()
    }

    /// Adds `delta` facts to each pair, and returns the cells the subject
    /// entered and left by it.
    pub fn adjust(
        &mut self,
        part: Part,
        pairs: &[(i32, Option<Spot>)],
        delta: i32,
        place: impl Fn(&Spot) -> Option<Place>,
    ) -> (Vec<Cell>, Vec<Cell>) {
        let before = self.cells(part, &place);
        for (year, spot) in pairs {
            match self
                .holds
                .iter_mut()
                .find(|h| h.part == part && h.year == *year && h.spot == *spot)
            {
                Some(h) => h.refs += delta,
                None if delta > 0 => self.holds.push(Hold {
                    part,
                    year: *year,
                    spot: spot.clone(),
                    refs: delta,
                }),
                None => {}
            }
        }
        self.holds.retain(|h| h.refs > 0);
        let after = self.cells(part, &place);
        (
            after.difference(&before).cloned().collect(),
            before.difference(&after).cloned().collect(),
        )
    }

    fn cells(&self, part: Part, place: &impl Fn(&Spot) -> Option<Place>) -> BTreeSet<Cell> {
        self.holds
            .iter()
            .filter(|h| h.part == part && h.refs > 0)
            .flat_map(|h| {
                let place = h.spot.as_ref().and_then(place);
                cells_in(h.year, place.as_ref())
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use prasme_domain::kpi::cell::WHOLE_PLAN;
    use prasme_domain::kpi::Dimension;

    fn place(spot: &Spot) -> Option<Place> {
        Some(Place {
            institution_id: spot.institution,
            kind: InstitutionKind::State,
            resor: Some(Resor::Fm),
            job_groups: spot.job_groups.clone(),
        })
    }

    fn at(n: u128) -> Option<Spot> {
        Some(Spot {
            institution: Uuid::from_u128(n),
            job_groups: vec![JobGroup::TopManager],
        })
    }

    #[test]
    fn given_two_facts_in_one_year_when_one_is_taken_back_then_the_subject_stays_in_its_cells() {
        let mut held = SeriesHeld::default();
        let pairs = [(WHOLE_PLAN, at(1)), (2024, at(1))];
        let (entered, left) = held.adjust(Part::Count, &pairs, 1, place);
        assert_eq!(
            (entered.len(), left.len()),
            (10, 0),
            "total, kind, resor, institution, group, twice"
        );
        let (entered, _) = held.adjust(Part::Count, &pairs, 1, place);
        assert!(entered.is_empty(), "a second fact adds no cell");
        let (_, left) = held.adjust(Part::Count, &pairs, -1, place);
        assert!(left.is_empty(), "one fact still keeps it there");
        let (_, left) = held.adjust(Part::Count, &pairs, -1, place);
        assert_eq!(left.len(), 10, "the last fact takes it out");
        assert!(held.is_empty());
    }

    #[test]
    fn given_facts_at_two_institutions_when_one_is_taken_back_then_only_that_institution_is_left() {
        let mut held = SeriesHeld::default();
        held.adjust(Part::Count, &[(WHOLE_PLAN, at(1)), (2023, at(1))], 1, place);
        held.adjust(Part::Count, &[(WHOLE_PLAN, at(2)), (2024, at(2))], 1, place);
        let (_, left) = held.adjust(Part::Count, &[(WHOLE_PLAN, at(1)), (2023, at(1))], -1, place);
        let mut left: Vec<(i32, Dimension)> = left.iter().map(|c| (c.year, c.dimension)).collect();
        left.sort();
        assert_eq!(
            left,
            vec![
                (WHOLE_PLAN, Dimension::Institution),
                (2023, Dimension::Total),
                (2023, Dimension::Kind),
                (2023, Dimension::Resor),
                (2023, Dimension::Institution),
                (2023, Dimension::JobGroup),
            ],
            "the whole plan's total, kind, resor and group are still held at the other institution"
        );
    }

    #[test]
    fn given_a_count_and_a_population_when_the_count_is_taken_back_then_the_population_stays() {
        let mut held = SeriesHeld::default();
        held.adjust(Part::Denominator, &[(2025, at(1))], 1, place);
        held.adjust(Part::Count, &[(2025, at(1))], 1, place);
        let (_, left) = held.adjust(Part::Count, &[(2025, at(1))], -1, place);
        assert_eq!(left.len(), 5);
        assert_eq!(held.pairs(Part::Denominator).len(), 1);
    }
}
