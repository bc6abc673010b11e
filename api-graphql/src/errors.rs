//! The one place where failures become API answers: refusals a user can act
//! on become `userErrors` in the payload; anything else becomes a GraphQL
//! error with `extensions.code`, its detail kept in the log.

use async_graphql::{Enum, ErrorExtensions, SimpleObject};
use prasme_commands::CommandError;
use prasme_domain::ErrorCode;
use prasme_eventstore::StoreError;

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum UserErrorCode {
    Required,
    TooLong,
    InvalidValue,
    OutOfRange,
    NotFound,
    AlreadyExists,
    NothingToChange,
    /// The stream was not at the `expectedVersion` the input named.
    WrongExpectedVersion,
}

impl From<ErrorCode> for UserErrorCode {
    fn from(c: ErrorCode) -> Self {
        match c {
            ErrorCode::Required => UserErrorCode::Required,
            ErrorCode::TooLong => UserErrorCode::TooLong,
            ErrorCode::InvalidValue => UserErrorCode::InvalidValue,
            ErrorCode::OutOfRange => UserErrorCode::OutOfRange,
            ErrorCode::NotFound => UserErrorCode::NotFound,
            ErrorCode::AlreadyExists => UserErrorCode::AlreadyExists,
            ErrorCode::NothingToChange => UserErrorCode::NothingToChange,
        }
    }
}

/// A refusal the user can correct.
#[derive(SimpleObject, Clone, Debug)]
pub struct UserError {
    pub code: UserErrorCode,
    /// Path to the input field at fault, e.g. `["input", "amountCents"]`.
    pub field: Option<Vec<String>>,
    pub message: String,
    /// With WRONG_EXPECTED_VERSION: the version the input expected.
    pub expected_version: Option<i64>,
    /// With WRONG_EXPECTED_VERSION: the stream's version now.
    pub actual_version: Option<i64>,
}

/// Splits a command failure into user errors or an internal error.
pub(crate) fn user_errors(e: CommandError) -> async_graphql::Result<Vec<UserError>> {
    match e {
        CommandError::Rejected(d) => Ok(vec![UserError {
            code: d.code.into(),
            field: d.field.map(|f| vec!["input".to_owned(), f.to_owned()]),
            message: d.message,
            expected_version: None,
            actual_version: None,
        }]),
        CommandError::Conflict { expected, actual } => Ok(vec![UserError {
            code: UserErrorCode::WrongExpectedVersion,
            field: Some(vec!["input".to_owned(), "expectedVersion".to_owned()]),
            message: format!("expected version {expected}, but the stream is at version {actual}"),
            expected_version: Some(expected),
            actual_version: Some(actual),
        }]),
        CommandError::Store(StoreError::NotKnownDurable(detail)) => {
            // Committed, but the flush could not be confirmed: the caller
            // must not assume either outcome, and a retry is safe.
            tracing::error!(%detail, "append committed but not confirmed durable");
            Err(async_graphql::Error::new(
                "the command may or may not have been recorded; send it again with the same commandId to learn which",
            )
            .extend_with(|_, e| e.set("code", "OUTCOME_UNKNOWN")))
        }
        other => {
            tracing::error!(error = %other, "command failed");
            Err(internal("the command could not be completed"))
        }
    }
}

/// A query argument the caller must correct.
pub(crate) fn bad_input(message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message.into()).extend_with(|_, e| e.set("code", "BAD_USER_INPUT"))
}

pub(crate) fn internal(message: &str) -> async_graphql::Error {
    async_graphql::Error::new(message).extend_with(|_, e| e.set("code", "INTERNAL"))
}

/// Logs a database failure and hides its detail from the client.
pub(crate) fn db(e: sqlx::Error) -> async_graphql::Error {
    tracing::error!(error = %e, "read model query failed");
    internal("the read model could not be read")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_append_not_confirmed_durable_tells_the_client_to_retry_with_the_same_command_id() {
        let failure = CommandError::Store(StoreError::NotKnownDurable("connection reset".into()));
        let error = user_errors(failure).expect_err("not a user error");
        let code = error.extensions.as_ref().and_then(|x| x.get("code")).cloned();
        assert_eq!(code, Some(async_graphql::Value::from("OUTCOME_UNKNOWN")));
        assert!(error.message.contains("same commandId"), "{}", error.message);
    }
}
