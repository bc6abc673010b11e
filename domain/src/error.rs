use thiserror::Error;

/// Why a command was refused, with the input field it concerns.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}")]
pub struct DomainError {
    pub code: ErrorCode,
    /// The command's input field (camelCase, as the API names it), if one is to blame.
    pub field: Option<&'static str>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    Required,
    TooLong,
    InvalidValue,
    OutOfRange,
    NotFound,
    AlreadyExists,
    NothingToChange,
}

impl DomainError {
    pub fn new(code: ErrorCode, field: Option<&'static str>, message: impl Into<String>) -> Self {
        Self {
            code,
            field,
            message: message.into(),
        }
    }

    pub fn on(field: &'static str, code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(code, Some(field), message)
    }
}
