use serde::{Deserialize, Serialize};

/// An amount of euro cents. Money is never a float in Prasme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cents(pub i64);

impl Cents {
    /// 100 billion euros: far above any Latvian institution's budget, and far
    /// below where sums of many amounts could overflow.
    pub const MAX: Cents = Cents(10_000_000_000_000);

    pub fn value(self) -> i64 {
        self.0
    }
}

impl std::fmt::Display for Cents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}€{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_as_euros_and_cents() {
        assert_eq!(Cents(123_456).to_string(), "€1234.56");
        assert_eq!(Cents(-5).to_string(), "-€0.05");
    }
}
