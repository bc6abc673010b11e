//! Dates as an institution in Latvia reads them.
//!
//! Instants are stored in UTC, but a course that starts "on 24 November"
//! starts on that date in Riga, which is two hours ahead of UTC in winter and
//! three in summer. A date taken from the UTC clock would still say the 23rd
//! for the first hours of the 24th, and let someone request a place in an
//! offering that had already begun.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Europe::Riga;

/// The calendar date in Latvia at the instant `at`.
pub fn date_in_latvia(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Riga).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn after_midnight_in_riga_it_is_already_the_next_day_in_winter() {
        // 00:30 in Riga (UTC+2) on 24 November.
        assert_eq!(date_in_latvia(utc("2026-11-23T22:30:00Z")), date("2026-11-24"));
        assert_eq!(date_in_latvia(utc("2026-11-23T21:59:59Z")), date("2026-11-23"));
    }

    #[test]
    fn summer_time_puts_riga_three_hours_ahead() {
        // 00:30 in Riga (UTC+3) on 1 July.
        assert_eq!(date_in_latvia(utc("2026-06-30T21:30:00Z")), date("2026-07-01"));
        assert_eq!(date_in_latvia(utc("2026-06-30T20:59:59Z")), date("2026-06-30"));
    }
}
