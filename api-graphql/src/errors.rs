//! The one place where failures become API answers: refusals a user can act
//! on become `userErrors` in the payload; anything else becomes a GraphQL
//! error with `extensions.code`, its detail kept in the log.

use async_graphql::{Enum, ErrorExtensions, ServerError, SimpleObject};
use prasme_commands::CommandError;
use prasme_commands::VaultError;
use prasme_domain::ErrorCode;
use prasme_eventstore::{database_unavailable, StoreError};
use prasme_projections::ReadError;

/// Why a command was refused. Nothing was written; the `field` of the user
/// error names the input at fault.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum UserErrorCode {
    /// A value the command needs is missing or empty.
    Required,
    /// A text is longer than its limit (the message gives it).
    TooLong,
    /// A value is not one the rule accepts (a malformed email, an unknown owner level).
    InvalidValue,
    /// A number or date lies outside its range (a negative amount, a year outside 2021-2035).
    OutOfRange,
    /// The command refers to something that does not exist (an institution, an employee, a place).
    NotFound,
    /// What the command would create exists already (an institution registered, a place requested).
    AlreadyExists,
    /// The command would change nothing (the state is already what it asks for).
    NothingToChange,
    /// The stream was not at the `expectedVersion` the input named.
    WrongExpectedVersion,
    /// The `commandId` was first sent with another input. A retry must send
    /// the same input; a new request needs a new `commandId`.
    IdempotencyKeyReused,
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
    /// What kind of refusal this is.
    pub code: UserErrorCode,
    /// Path to the input field at fault, e.g. `["input", "amountCents"]`.
    pub field: Option<Vec<String>>,
    /// What is wrong, in English.
    pub message: String,
    /// With WRONG_EXPECTED_VERSION: the version the input expected.
    pub expected_version: Option<i64>,
    /// With WRONG_EXPECTED_VERSION: the stream's version now.
    pub actual_version: Option<i64>,
}

/// Moves refusals about a nested input object under its field: a decider
/// names the fields of what it validates (`title`, `owner.group`), which the
/// client wrote inside `input.<under>`. Fields of the input itself (`outer`)
/// stay where they are.
pub(crate) fn nest_fields(errors: &mut [UserError], under: &str, outer: &[&str]) {
    for e in errors {
        let Some(field) = e.field.as_mut() else { continue };
        if field.len() > 1 && field[0] == "input" && !outer.contains(&field[1].as_str()) {
            field.insert(1, under.to_owned());
        }
    }
}

/// Splits a command failure into user errors or an internal error.
pub(crate) fn user_errors(e: CommandError) -> async_graphql::Result<Vec<UserError>> {
    match e {
        CommandError::Rejected(d) => Ok(vec![UserError {
            code: d.code.into(),
            // A dotted field names a nested input field: `owner.group` is
            // `["input", "owner", "group"]`, as the input is written.
            field: d.field.map(|f| {
                std::iter::once("input")
                    .chain(f.split('.'))
                    .map(str::to_owned)
                    .collect()
            }),
            message: d.message,
            expected_version: None,
            actual_version: None,
        }]),
        CommandError::IdempotencyKeyReused { command_id } => Ok(vec![UserError {
            code: UserErrorCode::IdempotencyKeyReused,
            field: Some(vec!["input".to_owned(), "commandId".to_owned()]),
            message: format!("the commandId {command_id} was already used with another input"),
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
            Err(ApiError::OutcomeUnknown.into())
        }
        // Says no more than the policy did, so that a forbidden target and a
        // missing one cannot be told apart.
        CommandError::Denied(denied) => Err(ApiError::Forbidden(denied.to_string()).into()),
        CommandError::Contended { stream_id, attempts } => Err(ApiError::Contended { stream_id, attempts }.into()),
        CommandError::Store(e) if e.is_unavailable() => Err(unavailable(e)),
        CommandError::Vault(VaultError::Database(e)) if database_unavailable(&e) => Err(unavailable(e)),
        other => Err(internal_because(other, "the command could not be completed")),
    }
}

/// Every failure a resolver answers with, other than a refusal in the
/// payload. Built where it happens; made a GraphQL error with its
/// `extensions.code` by the one conversion below. It is not `Display`, so
/// async-graphql's blanket conversion (which would drop the code) never
/// applies to it.
pub(crate) enum ApiError {
    /// A query argument the caller must correct.
    BadInput(String),
    /// The read models had not reached `wanted` within the wait.
    ReadModelBehind { wanted: i64, reached: i64, waited_ms: u128 },
    /// The policy refused the use case.
    Forbidden(String),
    /// A query's id names nothing.
    NotFound(String),
    /// Other writers kept moving the stream; nothing was written.
    Contended { stream_id: String, attempts: u32 },
    /// Committed, but not confirmed durable.
    OutcomeUnknown,
    /// PostgreSQL is unreachable or refuses connections; `cause` is for the log.
    DatabaseUnavailable { cause: String },
    /// Anything unexpected: `message` for the client, `cause` for the log.
    Internal { message: String, cause: Option<String> },
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::BadInput(message) => Code::BadUserInput.error(message),
            ApiError::ReadModelBehind {
                wanted,
                reached,
                waited_ms,
            } => Code::ReadModelBehind
                .error(format!(
                    "the read models reached position {reached} but not {wanted} within {waited_ms} ms; retry later"
                ))
                .extend_with(|_, x| {
                    x.set("wanted", wanted);
                    x.set("reached", reached);
                }),
            ApiError::Forbidden(message) => Code::Forbidden.error(message),
            ApiError::NotFound(message) => Code::NotFound.error(message),
            ApiError::Contended { stream_id, attempts } => Code::StreamContended.error(format!(
                "{stream_id} kept changing through {attempts} attempts and nothing was written; send the command again with the same commandId"
            )),
            ApiError::OutcomeUnknown => Code::OutcomeUnknown.error(
                "the command may or may not have been recorded; send it again with the same commandId to learn which",
            ),
            ApiError::DatabaseUnavailable { cause } => {
                tracing::warn!(%cause, "the database is unavailable");
                Code::DatabaseUnavailable
                    .error("the database is unavailable or refusing connections; nothing was read or written, retry later")
            }
            ApiError::Internal { message, cause: None } => Code::Internal.error(message),
            ApiError::Internal {
                message,
                cause: Some(cause),
            } => {
                // The cause rides along as the error's source, for the
                // request's one log line; the client sees the message.
                let mut error = async_graphql::Error::new_with_source(Cause(cause));
                error.message = message;
                error.extend_with(|_, x| x.set("code", Code::Internal.as_str()))
            }
        }
    }
}

/// Every `extensions.code` the API answers with, in one place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Code {
    /// The HTTP request itself is wrong: not JSON, a batch, a bad header.
    BadRequest,
    /// `/graphql` takes POST, and GET to open a WebSocket.
    MethodNotAllowed,
    /// The body is larger than the server accepts.
    PayloadTooLarge,
    /// POST bodies must be `application/json`.
    UnsupportedMediaType,
    ParseFailed,
    ValidationFailed,
    QueryTooDeep,
    QueryTooLarge,
    QueryTooComplex,
    /// A query argument the caller must correct.
    BadUserInput,
    ReadModelBehind,
    OutcomeUnknown,
    /// Other writers kept moving the stream; nothing was written.
    StreamContended,
    /// No token, or one that does not verify: HTTP 401.
    Unauthenticated,
    /// The policy does not let the caller run this use case on its target.
    Forbidden,
    /// The caller's requests per second are over its limit: HTTP 429.
    RateLimited,
    /// A WebSocket holds as many subscriptions, or a subject as many
    /// WebSockets, as it may.
    TooManySubscriptions,
    /// A query named an id (or number) that nothing has; the field is null.
    NotFound,
    /// PostgreSQL is unreachable or refuses connections; retry later.
    DatabaseUnavailable,
    Internal,
}

impl Code {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Code::BadRequest => "BAD_REQUEST",
            Code::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Code::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Code::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
            Code::ParseFailed => "GRAPHQL_PARSE_FAILED",
            Code::ValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            Code::QueryTooDeep => "QUERY_TOO_DEEP",
            Code::QueryTooLarge => "QUERY_TOO_LARGE",
            Code::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::ReadModelBehind => "READ_MODEL_BEHIND",
            Code::OutcomeUnknown => "OUTCOME_UNKNOWN",
            Code::StreamContended => "STREAM_CONTENDED",
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Forbidden => "FORBIDDEN",
            Code::RateLimited => "RATE_LIMITED",
            Code::TooManySubscriptions => "TOO_MANY_SUBSCRIPTIONS",
            Code::NotFound => "NOT_FOUND",
            Code::DatabaseUnavailable => "DATABASE_UNAVAILABLE",
            Code::Internal => "INTERNAL",
        }
    }

    pub(crate) fn error(self, message: impl Into<String>) -> async_graphql::Error {
        async_graphql::Error::new(message.into()).extend_with(|_, e| e.set("code", self.as_str()))
    }
}

/// The `extensions.code` of an error, if it has one.
pub(crate) fn code_of(e: &ServerError) -> Option<String> {
    match e.extensions.as_ref()?.get("code")? {
        async_graphql::Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// A query's unknown id: its field is null, and this error says which.
pub(crate) fn not_found(message: impl Into<String>) -> async_graphql::Error {
    ApiError::NotFound(message.into()).into()
}

/// `row` for a nullable field, or `NOT_FOUND` with `message` when there is none.
pub(crate) fn found<T>(row: Option<T>, message: &str) -> async_graphql::Result<Option<T>> {
    match row {
        Some(row) => Ok(Some(row)),
        None => Err(not_found(message)),
    }
}

/// A query argument the caller must correct.
pub(crate) fn bad_input(message: impl Into<String>) -> async_graphql::Error {
    ApiError::BadInput(message.into()).into()
}

/// A year argument, held to the domain's one range of years, the same for
/// every operation, query or command (each says so in its description).
pub(crate) fn year_argument(year: i32) -> async_graphql::Result<i32> {
    prasme_domain::validate::year("year", year).map_err(|e| bad_input(e.message))
}

/// A free-text query argument, held to the rules of text in the domain (no
/// control characters, which PostgreSQL's text cannot even store).
pub(crate) fn text_argument(name: &'static str, value: &str) -> async_graphql::Result<String> {
    prasme_domain::validate::text(name, value, prasme_domain::validate::MAX_NAME_CHARS)
        .map_err(|e| bad_input(e.message))
}

pub(crate) fn internal(message: &str) -> async_graphql::Error {
    ApiError::Internal {
        message: message.to_owned(),
        cause: None,
    }
    .into()
}

/// An `INTERNAL` error whose `cause` goes to the request's log line, not to the client.
pub(crate) fn internal_because(cause: impl std::fmt::Display, message: &str) -> async_graphql::Error {
    ApiError::Internal {
        message: message.to_owned(),
        cause: Some(cause.to_string()),
    }
    .into()
}

/// What went wrong behind an `INTERNAL` error, for the request's one log line.
#[derive(Debug)]
pub(crate) struct Cause(pub String);

impl std::fmt::Display for Cause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Hides a database failure's detail from the client. It is logged once per
/// request (see `logging`), not once per field: a report of a thousand rows
/// must not write a thousand log lines.
pub(crate) fn db(e: impl DatabaseFailure) -> async_graphql::Error {
    if e.unavailable() {
        return unavailable(e);
    }
    internal_because(e, "the read model could not be read")
}

fn unavailable(cause: impl std::fmt::Display) -> async_graphql::Error {
    ApiError::DatabaseUnavailable {
        cause: cause.to_string(),
    }
    .into()
}

/// A failure that may say the database is unavailable rather than broken.
pub(crate) trait DatabaseFailure: std::fmt::Display {
    fn unavailable(&self) -> bool;
}

impl DatabaseFailure for sqlx::Error {
    fn unavailable(&self) -> bool {
        database_unavailable(self)
    }
}

impl DatabaseFailure for VaultError {
    fn unavailable(&self) -> bool {
        matches!(self, VaultError::Database(e) if database_unavailable(e))
    }
}

impl DatabaseFailure for ReadError {
    fn unavailable(&self) -> bool {
        matches!(self, ReadError::Database(e) if database_unavailable(e))
    }
}

impl DatabaseFailure for StoreError {
    fn unavailable(&self) -> bool {
        self.is_unavailable()
    }
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
