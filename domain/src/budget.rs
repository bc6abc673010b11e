//! The training-budget rule of annex 3 (seed 000): state administration
//! institutions are invited to plan training funds of about 5 % of their
//! remuneration budget by 2027, and not less than 1 %. It does not apply to
//! an institution whose remuneration budget also pays other institutions'
//! staff, nor to municipalities, whose share is reported all the same.

use serde::{Deserialize, Serialize};

use crate::money::Cents;
use crate::reference::InstitutionKind;

/// Target share of the remuneration budget, in percent.
pub const TARGET_PERCENT: i128 = 5;
/// Floor share of the remuneration budget, in percent.
pub const FLOOR_PERCENT: i128 = 1;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BudgetStatus {
    MeetsTarget,
    BelowTarget,
    BelowFloor,
    Exempt,
    NoPayrollDeclared,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExemptionReason {
    /// The rule addresses state administration, not municipalities.
    Municipality,
    /// The remuneration budget also funds other institutions' employees.
    FundsOtherInstitutionsStaff,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compliance {
    pub status: BudgetStatus,
    pub exemption: Option<ExemptionReason>,
}

/// One institution's budget for one year, as the rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BudgetLine {
    pub kind: InstitutionKind,
    pub funds_other_institutions_staff: bool,
    pub remuneration: Option<Cents>,
    pub allocated: Cents,
}

impl BudgetLine {
    pub fn compliance(&self) -> Compliance {
        let exemption = match (self.kind, self.funds_other_institutions_staff) {
            (InstitutionKind::Municipal, _) => Some(ExemptionReason::Municipality),
            (InstitutionKind::State, true) => Some(ExemptionReason::FundsOtherInstitutionsStaff),
            (InstitutionKind::State, false) => None,
        };
        let status = match (exemption, self.remuneration) {
            (Some(_), _) => BudgetStatus::Exempt,
            (None, None) => BudgetStatus::NoPayrollDeclared,
            (None, Some(payroll)) => status_of(self.allocated, payroll),
        };
        Compliance { status, exemption }
    }

    /// Allocated as a percentage of payroll, when payroll is declared.
    pub fn share_percent(&self) -> Option<String> {
        self.remuneration.and_then(|p| share_percent(self.allocated, p))
    }
}

/// The thresholds compared exactly, in integer cents: 100·allocated ≥ 5·payroll.
pub fn status_of(allocated: Cents, payroll: Cents) -> BudgetStatus {
    let scaled = i128::from(allocated.0) * 100;
    let payroll = i128::from(payroll.0);
    if payroll <= 0 {
        BudgetStatus::NoPayrollDeclared
    } else if scaled >= TARGET_PERCENT * payroll {
        BudgetStatus::MeetsTarget
    } else if scaled >= FLOOR_PERCENT * payroll {
        BudgetStatus::BelowTarget
    } else {
        BudgetStatus::BelowFloor
    }
}

/// `allocated / payroll` in percent with four decimals, rounded half up,
/// from the integer amounts (e.g. "4.9998"). None when payroll is not positive.
pub fn share_percent(allocated: Cents, payroll: Cents) -> Option<String> {
    const SCALE: i128 = 10_000;
    if payroll.0 <= 0 {
        return None;
    }
    let num = i128::from(allocated.0) * 100 * SCALE;
    let den = i128::from(payroll.0);
    let (q, r) = (num / den, num % den);
    let rounded = if r * 2 >= den { q + 1 } else { q };
    Some(format!("{}.{:04}", rounded / SCALE, rounded % SCALE))
}

/// The rule applied to a group of institutions (a resor, or all of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub institutions: usize,
    pub by_status: Vec<(BudgetStatus, usize)>,
    /// Payroll of the institutions the rule applies to and that declared one.
    pub remuneration: Cents,
    /// Training allocations of those same institutions.
    pub allocated: Cents,
    /// Training allocations of every institution in the group, exempt ones included.
    pub allocated_all: Cents,
    pub share_percent: Option<String>,
    /// Payroll, allocations and share of every institution in the group that
    /// declared a payroll, exempt ones included: a municipality's share is
    /// reported although the rule does not apply to it.
    pub reported_remuneration: Cents,
    pub reported_allocated: Cents,
    pub reported_share_percent: Option<String>,
    /// The group's own share against the thresholds; `NoPayrollDeclared`
    /// when the rule applies to none of its institutions with a payroll.
    pub status: BudgetStatus,
}

pub fn summarise<'a>(lines: impl IntoIterator<Item = &'a BudgetLine>) -> Summary {
    let mut counts = std::collections::BTreeMap::new();
    let (mut institutions, mut remuneration, mut allocated, mut allocated_all) = (0, 0i64, 0i64, 0i64);
    let (mut reported_remuneration, mut reported_allocated) = (0i64, 0i64);
    for line in lines {
        institutions += 1;
        allocated_all += line.allocated.0;
        let status = line.compliance().status;
        *counts.entry(status).or_insert(0) += 1;
        if let Some(payroll) = line.remuneration {
            reported_remuneration += payroll.0;
            reported_allocated += line.allocated.0;
            if line.compliance().exemption.is_none() {
                remuneration += payroll.0;
                allocated += line.allocated.0;
            }
        }
    }
    let (remuneration, allocated) = (Cents(remuneration), Cents(allocated));
    let (reported_remuneration, reported_allocated) = (Cents(reported_remuneration), Cents(reported_allocated));
    Summary {
        institutions,
        by_status: counts.into_iter().collect(),
        remuneration,
        allocated,
        allocated_all: Cents(allocated_all),
        share_percent: share_percent(allocated, remuneration),
        reported_remuneration,
        reported_allocated,
        reported_share_percent: share_percent(reported_allocated, reported_remuneration),
        status: status_of(allocated, remuneration),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(payroll: Option<i64>, allocated: i64) -> BudgetLine {
        BudgetLine {
            kind: InstitutionKind::State,
            funds_other_institutions_staff: false,
            remuneration: payroll.map(Cents),
            allocated: Cents(allocated),
        }
    }

    #[test]
    fn thresholds_are_exact_at_the_cent() {
        assert_eq!(
            state(Some(100_000), 5_000).compliance().status,
            BudgetStatus::MeetsTarget
        );
        assert_eq!(
            state(Some(100_000), 4_999).compliance().status,
            BudgetStatus::BelowTarget
        );
        assert_eq!(
            state(Some(100_000), 1_000).compliance().status,
            BudgetStatus::BelowTarget
        );
        assert_eq!(state(Some(100_000), 999).compliance().status, BudgetStatus::BelowFloor);
        assert_eq!(state(Some(100_000), 0).compliance().status, BudgetStatus::BelowFloor);
        // Amounts where a float would round 5 % either way.
        assert_eq!(
            state(Some(3_333_333_333_333), 166_666_666_667).compliance().status,
            BudgetStatus::MeetsTarget
        );
        assert_eq!(
            state(Some(3_333_333_333_333), 166_666_666_666).compliance().status,
            BudgetStatus::BelowTarget
        );
    }

    #[test]
    fn no_payroll_and_exemptions() {
        assert_eq!(state(None, 5_000).compliance().status, BudgetStatus::NoPayrollDeclared);
        let municipal = BudgetLine {
            kind: InstitutionKind::Municipal,
            ..state(Some(100), 0)
        };
        assert_eq!(
            municipal.compliance(),
            Compliance {
                status: BudgetStatus::Exempt,
                exemption: Some(ExemptionReason::Municipality)
            }
        );
        assert_eq!(
            municipal.share_percent().as_deref(),
            Some("0.0000"),
            "a municipality's share is still reported"
        );
        let funder = BudgetLine {
            funds_other_institutions_staff: true,
            ..state(None, 0)
        };
        assert_eq!(
            funder.compliance().exemption,
            Some(ExemptionReason::FundsOtherInstitutionsStaff)
        );
        assert_eq!(funder.compliance().status, BudgetStatus::Exempt);
    }

    #[test]
    fn share_is_rounded_half_up_to_four_decimals() {
        assert_eq!(share_percent(Cents(1), Cents(3)).as_deref(), Some("33.3333"));
        assert_eq!(share_percent(Cents(2), Cents(3)).as_deref(), Some("66.6667"));
        assert_eq!(
            share_percent(Cents(49_999), Cents(1_000_000)).as_deref(),
            Some("4.9999")
        );
        assert_eq!(share_percent(Cents(5), Cents(0)), None);
    }

    #[test]
    fn summary_counts_statuses_and_sums_only_where_the_rule_applies() {
        let municipal = BudgetLine {
            kind: InstitutionKind::Municipal,
            ..state(Some(1_000_000), 900_000)
        };
        let lines = [
            state(Some(1_000_000), 60_000),
            state(Some(1_000_000), 5_000),
            state(None, 7),
            municipal,
        ];
        let s = summarise(&lines);
        assert_eq!(s.institutions, 4);
        assert_eq!(s.remuneration, Cents(2_000_000));
        assert_eq!(s.allocated, Cents(65_000));
        assert_eq!(s.allocated_all, Cents(965_007));
        assert_eq!(s.share_percent.as_deref(), Some("3.2500"));
        assert_eq!(
            s.reported_remuneration,
            Cents(3_000_000),
            "the municipality's payroll is reported"
        );
        assert_eq!(
            s.reported_allocated,
            Cents(965_000),
            "but not allocations without a payroll"
        );
        assert_eq!(s.reported_share_percent.as_deref(), Some("32.1667"));
        assert_eq!(s.status, BudgetStatus::BelowTarget);
        assert_eq!(
            s.by_status,
            vec![
                (BudgetStatus::MeetsTarget, 1),
                (BudgetStatus::BelowFloor, 1),
                (BudgetStatus::Exempt, 1),
                (BudgetStatus::NoPayrollDeclared, 1)
            ]
        );
        assert_eq!(summarise(&[]).status, BudgetStatus::NoPayrollDeclared);
    }
}
