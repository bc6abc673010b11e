//! The KPI engine's rules (issue 21): what an indicator counts, written as
//! data ([`definition`]), where a person stood on a business date
//! ([`career`]), the breakdown cells a counted subject falls into
//! ([`cell`]), and an indicator's status against its target ([`status`]).
//! One projection (`projections/src/kpi/`) evaluates every definition
//! event by event; `docs/kpis.md` §4 says how.

pub mod career;
pub mod cell;
pub mod definition;
pub mod status;

pub use career::{Career, Profile};
pub use cell::{Cell, Dimension, Place};
pub use definition::{Computation, Denominator, Fact, FactKind, Series, Unit, Who};
pub use status::{indicator_status, share_percent, status_on, IndicatorStatus, SeriesValue};

/// The plan's first year: counts and shares start here.
pub const FIRST_YEAR: i32 = 2021;
/// The plan's last year: the reference date of an indicator's headline
/// share is the end of it.
pub const LAST_YEAR: i32 = 2027;
