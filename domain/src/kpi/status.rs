//! An indicator's status against its target and deadline (`docs/kpis.md`
//! §4.3). Computed when read, from the value, the target, the measure's
//! deadline year and the day it is asked about, so a dashboard "as of" a
//! past date shows the status it showed then.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::kpi::FIRST_YEAR;
use crate::plan::Target;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IndicatorStatus {
    /// Worst first: an indicator with two targets has the worse status.
    Missed,
    AtRisk,
    OnTrack,
    Met,
}

/// A series' value: a count, or a share's numerator and denominator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeriesValue {
    pub value: i64,
    pub denominator: Option<i64>,
}

/// The status of a series against its target on `today`:
/// - `MET` when the value reaches the target (at least the count; at
///   least the share of a non-empty population; at least the range's
///   minimum; every unit of a non-empty set; a milestone recorded);
/// - otherwise `MISSED` once the deadline year has ended;
/// - otherwise `ON_TRACK` when the value reaches the target scaled by the
///   share of the period from 1 January 2021 to the end of the deadline
///   year that has elapsed (a milestone: any day before its deadline year);
/// - otherwise `AT_RISK`.
pub fn status_on(target: &Target, v: SeriesValue, deadline_year: i32, today: NaiveDate) -> IndicatorStatus {
    let start = NaiveDate::from_ymd_opt(FIRST_YEAR, 1, 1).expect("a valid date");
    let end = NaiveDate::from_ymd_opt(deadline_year, 12, 31).expect("a valid date");
    let total = i128::from((end - start).num_days().max(1));
    let elapsed = i128::from((today - start).num_days().clamp(0, (end - start).num_days().max(1)));
    let value = i128::from(v.value);
    let den = i128::from(v.denominator.unwrap_or(0));
    // (met, on track): value against the target, and against the target
    // scaled by the elapsed share (`x * total >= goal * elapsed`).
    let (met, on_track) = match *target {
        Target::AtLeastCount { value: goal } => {
            let goal = i128::from(goal);
            (value >= goal, value * total >= goal * elapsed)
        }
        Target::RangeCount { min, .. } => {
            let goal = i128::from(min);
            (value >= goal, value * total >= goal * elapsed)
        }
        Target::AtLeastPercent { value: p } => {
            let p = i128::from(p);
            (
                den > 0 && value * 100 >= p * den,
                den > 0 && value * 100 * total >= p * den * elapsed,
            )
        }
        Target::Every { .. } => (den > 0 && value >= den, den > 0 && value * total >= den * elapsed),
        Target::Milestone => (value >= 1, today.year() < deadline_year),
    };
    if met {
        IndicatorStatus::Met
    } else if today > end {
        IndicatorStatus::Missed
    } else if on_track {
        IndicatorStatus::OnTrack
    } else {
        IndicatorStatus::AtRisk
    }
}

/// An indicator's status: the worse of its series' statuses against the
/// targets they carry; none for a monitoring count without a target.
pub fn indicator_status(
    targets: &[(Target, SeriesValue)],
    deadline_year: i32,
    today: NaiveDate,
) -> Option<IndicatorStatus> {
    targets
        .iter()
        .map(|(t, v)| status_on(t, *v, deadline_year, today))
        .min()
}

/// A share as a percentage with one decimal, rounded half up; none for an
/// empty population.
pub fn share_percent(v: SeriesValue) -> Option<String> {
    let den = v.denominator.filter(|d| *d > 0)?;
    let tenths = (i128::from(v.value) * 2000 + i128::from(den)) / (2 * i128::from(den));
    Some(format!("{}.{}", tenths / 10, tenths % 10))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::CoverageUnit;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn count(value: i64) -> SeriesValue {
        SeriesValue {
            value,
            denominator: None,
        }
    }

    #[test]
    fn given_300_to_reach_by_2027_when_halfway_through_the_period_then_150_is_on_track_and_100_at_risk() {
        let t = Target::AtLeastCount { value: 300 };
        // 2021-01-01 .. 2027-12-31 is 2555 days; 2024-07-01 is day 1277, and
        // 150 × 2555 ≥ 300 × 1277.
        assert_eq!(
            status_on(&t, count(150), 2027, d("2024-07-01")),
            IndicatorStatus::OnTrack
        );
        assert_eq!(
            status_on(&t, count(100), 2027, d("2024-07-01")),
            IndicatorStatus::AtRisk
        );
        assert_eq!(status_on(&t, count(300), 2027, d("2022-01-01")), IndicatorStatus::Met);
    }

    #[test]
    fn given_a_deadline_passed_when_the_target_is_not_reached_then_missed_and_reached_is_still_met() {
        let t = Target::AtLeastCount { value: 150 };
        assert_eq!(
            status_on(&t, count(149), 2023, d("2024-01-01")),
            IndicatorStatus::Missed
        );
        assert_eq!(status_on(&t, count(150), 2023, d("2026-01-01")), IndicatorStatus::Met);
    }

    #[test]
    fn given_a_share_target_when_the_population_is_empty_then_never_met() {
        let t = Target::AtLeastPercent { value: 80 };
        let share = |value, den| SeriesValue {
            value,
            denominator: Some(den),
        };
        assert_eq!(status_on(&t, share(8, 10), 2027, d("2022-01-01")), IndicatorStatus::Met);
        assert_eq!(
            status_on(&t, share(7, 10), 2027, d("2027-06-01")),
            IndicatorStatus::AtRisk
        );
        assert_eq!(
            status_on(&t, share(0, 0), 2027, d("2021-01-01")),
            IndicatorStatus::AtRisk
        );
        assert_eq!(
            status_on(&t, share(0, 0), 2028, d("2029-01-01")),
            IndicatorStatus::Missed
        );
    }

    #[test]
    fn given_two_targets_when_one_is_met_and_one_missed_then_the_indicator_is_missed() {
        let every = Target::Every {
            unit: CoverageUnit::StateInstitution,
        };
        let trained = Target::AtLeastCount { value: 200 };
        let covered = SeriesValue {
            value: 10,
            denominator: Some(10),
        };
        assert_eq!(
            indicator_status(&[(every, covered), (trained, count(150))], 2026, d("2027-01-01")),
            Some(IndicatorStatus::Missed)
        );
        assert_eq!(indicator_status(&[], 2026, d("2027-01-01")), None);
    }

    #[test]
    fn given_shares_when_shown_then_one_decimal_rounded_half_up() {
        let v = |value, den| SeriesValue {
            value,
            denominator: Some(den),
        };
        assert_eq!(share_percent(v(1, 3)).as_deref(), Some("33.3"));
        assert_eq!(share_percent(v(2, 3)).as_deref(), Some("66.7"));
        assert_eq!(share_percent(v(1, 8)).as_deref(), Some("12.5"));
        assert_eq!(share_percent(v(0, 0)), None);
    }

    #[test]
    fn given_every_unit_when_all_are_covered_then_met() {
        let t = Target::Every {
            unit: CoverageUnit::Resor,
        };
        let v = |value, den| SeriesValue {
            value,
            denominator: Some(den),
        };
        assert_eq!(status_on(&t, v(15, 15), 2023, d("2023-01-01")), IndicatorStatus::Met);
        assert_eq!(status_on(&t, v(14, 15), 2023, d("2024-01-01")), IndicatorStatus::Missed);
    }

    #[test]
    fn given_a_milestone_when_not_recorded_then_on_track_before_its_year_at_risk_in_it_missed_after() {
        let t = Target::Milestone;
        assert_eq!(status_on(&t, count(0), 2025, d("2024-12-31")), IndicatorStatus::OnTrack);
        assert_eq!(status_on(&t, count(0), 2025, d("2025-03-01")), IndicatorStatus::AtRisk);
        assert_eq!(status_on(&t, count(0), 2025, d("2026-01-01")), IndicatorStatus::Missed);
        assert_eq!(status_on(&t, count(1), 2025, d("2026-01-01")), IndicatorStatus::Met);
    }
}
