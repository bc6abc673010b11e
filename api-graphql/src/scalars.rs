use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};

/// An amount of euro cents, as an integer. Money is never a float here.
/// Accepts a JSON integer or a string of digits (for clients without 64-bit integers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cents(pub i64);

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
