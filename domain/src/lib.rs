//! Prasme's pure domain model: events, commands, deciders, reference data and
//! the rules of the Learning and Development Plan 2021–2027. No IO, no async.

pub mod access;
pub mod assessment;
pub mod budget;
pub mod calendar;
pub mod competency;
pub mod course;
pub mod decider;
pub mod development_plan;
pub mod disclosure;
pub mod employee;
pub mod error;
pub mod event;
pub mod feedback_cycle;
pub mod institution;
pub mod kpi;
pub mod learning_time;
pub mod money;
pub mod name_search;
pub mod offering;
pub mod plan;
pub mod reference;
pub mod security;
pub mod validate;

pub use decider::Decider;
pub use error::{DomainError, ErrorCode};
pub use event::{DomainEvent, EventDecodeError};
pub use money::Cents;
