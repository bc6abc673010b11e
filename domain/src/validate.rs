//! Input rules shared by the deciders.

use crate::money::Cents;
use crate::{DomainError, ErrorCode};

/// The plan runs 2021–2027; budgets are planned a few years beyond it.
pub const FIRST_YEAR: i32 = 2021;
pub const LAST_YEAR: i32 = 2035;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_REASON_CHARS: usize = 1000;

pub fn year(field: &'static str, year: i32) -> Result<i32, DomainError> {
    if (FIRST_YEAR..=LAST_YEAR).contains(&year) {
        Ok(year)
    } else {
        Err(DomainError::on(
            field,
            ErrorCode::OutOfRange,
            format!("year must be between {FIRST_YEAR} and {LAST_YEAR}, got {year}"),
        ))
    }
}

/// Trimmed, non-empty, at most `max` characters, no control characters.
pub fn text(field: &'static str, value: &str, max: usize) -> Result<String, DomainError> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(DomainError::on(
            field,
            ErrorCode::Required,
            format!("{field} must not be empty"),
        ));
    }
    let chars = trimmed.chars().count();
    if chars > max {
        return Err(DomainError::on(
            field,
            ErrorCode::TooLong,
            format!("{field} must be at most {max} characters, got {chars}"),
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(DomainError::on(
            field,
            ErrorCode::InvalidValue,
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(trimmed.to_owned())
}

pub fn positive_amount(field: &'static str, amount: Cents) -> Result<Cents, DomainError> {
    if amount.0 <= 0 {
        return Err(DomainError::on(
            field,
            ErrorCode::OutOfRange,
            format!("{field} must be positive, got {} cents", amount.0),
        ));
    }
    at_most_max(field, amount)
}

pub fn non_negative_amount(field: &'static str, amount: Cents) -> Result<Cents, DomainError> {
    if amount.0 < 0 {
        return Err(DomainError::on(
            field,
            ErrorCode::OutOfRange,
            format!("{field} must not be negative, got {} cents", amount.0),
        ));
    }
    at_most_max(field, amount)
}

fn at_most_max(field: &'static str, amount: Cents) -> Result<Cents, DomainError> {
    if amount > Cents::MAX {
        return Err(DomainError::on(
            field,
            ErrorCode::OutOfRange,
            format!("{field} must be at most {} cents", Cents::MAX.0),
        ));
    }
    Ok(amount)
}
