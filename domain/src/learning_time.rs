//! The plan's rule on learning time: institutions give each employee at least
//! 2 hours a month for formal learning (seed 000, annex 3).

/// Two hours a month, in minutes.
pub const MONTHLY_MINUTES: i64 = 120;
