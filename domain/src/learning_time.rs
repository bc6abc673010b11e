//! The plan's rule on learning time: institutions give each employee at least
//! 2 hours a month for formal learning (seed 000, annex 3).

/// Two hours a month, in minutes.
pub const MONTHLY_MINUTES: i64 = 120;

/// Whether `minutes` of learning meet the rule on average over
/// `employee_months` (each employee in each month counted once): at least
/// [`MONTHLY_MINUTES`] for each, compared in whole minutes; never without
/// employees.
pub fn meets_on_average(minutes: i64, employee_months: i64) -> bool {
    employee_months > 0 && i128::from(minutes) >= i128::from(MONTHLY_MINUTES) * i128::from(employee_months)
}

/// `part` ÷ `whole` to two decimals, half away from zero, as text (`"37.50"`),
/// as `institutionLearningHours` gives minutes per employee; None for a whole of 0.
pub fn two_decimals(part: i64, whole: i64) -> Option<String> {
    if whole == 0 {
        return None;
    }
    let (part, whole) = (i128::from(part) * 100, i128::from(whole));
    let mut q = part / whole;
    if (part % whole).abs() * 2 >= whole.abs() {
        q += if (part < 0) != (whole < 0) { -1 } else { 1 };
    }
    let sign = if q < 0 { "-" } else { "" };
    Some(format!("{sign}{}.{:02}", q.abs() / 100, q.abs() % 100))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_average_meets_two_hours_from_exactly_120_minutes() {
        assert!(meets_on_average(360, 3));
        assert!(!meets_on_average(359, 3));
        assert!(!meets_on_average(0, 0));
    }

    #[test]
    fn two_decimals_round_half_away_from_zero() {
        assert_eq!(two_decimals(690, 3).as_deref(), Some("230.00"));
        assert_eq!(two_decimals(1, 8).as_deref(), Some("0.13"));
        assert_eq!(two_decimals(1, 3).as_deref(), Some("0.33"));
        assert_eq!(two_decimals(2, 3).as_deref(), Some("0.67"));
        assert_eq!(two_decimals(5, 0), None);
    }
}
