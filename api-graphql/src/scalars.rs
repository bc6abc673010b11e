use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cents(pub i64);

/// An amount of euro cents as a 64-bit integer: `123456` is 1 234,56 EUR.
/// Money is never a float here. Written as a JSON integer; accepted as an
/// integer or as a string of digits (for clients without 64-bit integers).
#[Scalar(name = "Cents")]
impl ScalarType for Cents {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::Number(n) => n
                .as_i64()
                .map(Cents)
                .ok_or_else(|| InputValueError::custom("cents must be a whole number")),
            Value::String(s) => s
                .parse::<i64>()
                .map(Cents)
                .map_err(|_| InputValueError::custom("cents must be a whole number")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::Number(self.0.into())
    }
}

impl From<prasme_domain::Cents> for Cents {
    fn from(c: prasme_domain::Cents) -> Self {
        Cents(c.0)
    }
}

impl From<Cents> for prasme_domain::Cents {
    fn from(c: Cents) -> Self {
        prasme_domain::Cents(c.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position(pub i64);

/// A position in the global event log: a 64-bit integer (`Int` is 32-bit,
/// and the log passes 2^31 events in the system's life). Written as a JSON
/// integer, exact up to 2^53 in JavaScript; accepted as an integer or as a
/// string of digits.
#[Scalar(name = "Position")]
impl ScalarType for Position {
    fn parse(value: Value) -> InputValueResult<Self> {
        let position = match &value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) if s.bytes().all(|b| b.is_ascii_digit()) => s.parse::<i64>().ok(),
            _ => return Err(InputValueError::expected_type(value)),
        };
        match position {
            Some(p) if p >= 0 => Ok(Position(p)),
            _ => Err(InputValueError::custom("a position is a whole number from 0")),
        }
    }

    fn to_value(&self) -> Value {
        Value::Number(self.0.into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub chrono::NaiveDate);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateTime(pub chrono::DateTime<chrono::Utc>);

/// An instant in UTC, written in RFC 3339 with a `Z` offset and
/// microseconds, e.g. `2026-12-02T21:19:09.123456Z`. Accepted with any offset.
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
)]
impl ScalarType for DateTime {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(s) = &value else {
            return Err(InputValueError::expected_type(value));
        };
        chrono::DateTime::parse_from_rfc3339(s)
            .map(|t| DateTime(t.with_timezone(&chrono::Utc)))
            .map_err(|_| InputValueError::custom(format!("an instant is written in RFC 3339, got {s:?}")))
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(_))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
    }
}

/// A calendar date, written `YYYY-MM-DD` exactly (RFC 3339 `full-date`):
/// `2026-1-1` is refused rather than guessed at.
#[Scalar(
    name = "Date",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339#section-5.6"
)]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(s) = &value else {
            return Err(InputValueError::expected_type(value));
        };
        let shaped = s.len() == 10
            && s.bytes().enumerate().all(|(i, b)| {
                if i == 4 || i == 7 {
                    b == b'-'
                } else {
                    b.is_ascii_digit()
                }
            });
        let date = shaped
            .then(|| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
            .flatten();
        date.map(Date)
            .ok_or_else(|| InputValueError::custom(format!("a date is written YYYY-MM-DD, got {s:?}")))
    }

    fn is_valid(value: &Value) -> bool {
        matches!(value, Value::String(_))
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_holds_64_bits_as_a_number_or_a_string_of_digits() {
        let beyond_int = 3_000_000_000_i64;
        assert_eq!(
            Position::parse(Value::Number(beyond_int.into())).ok(),
            Some(Position(beyond_int))
        );
        assert_eq!(
            Position::parse(Value::String("3000000000".into())).ok(),
            Some(Position(beyond_int))
        );
        assert_eq!(Position(beyond_int).to_value(), Value::Number(beyond_int.into()));
        for bad in [
            Value::Number((-1).into()),
            Value::String("-1".into()),
            Value::String("1e3".into()),
            Value::String("".into()),
            Value::Boolean(true),
        ] {
            assert!(Position::parse(bad.clone()).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_date_is_read_only_as_yyyy_mm_dd() {
        let parse = |s: &str| Date::parse(Value::String(s.to_owned())).map(|d| d.0);
        assert_eq!(parse("2026-01-31").ok(), chrono::NaiveDate::from_ymd_opt(2026, 1, 31));
        for bad in [
            "2026-1-1",
            "2026-01-1",
            "26-01-01",
            "2026-02-30",
            "2026/01/01",
            "+2026-01-01",
            " 2026-01-01",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Date(chrono::NaiveDate::from_ymd_opt(2026, 3, 9).unwrap()).to_value(),
            Value::String("2026-03-09".into())
        );
    }
}
