//! What a caller asks the writer to append, and what it answers: shared by
//! the writer, the planner and the durability stage, and owned by none.

use serde_json::value::RawValue;
use tokio::sync::oneshot;

use crate::model::{AppendResult, EventMetadata, ExpectedVersion, NewEvent};
use crate::AppendError;

/// One append waiting for the writer.
pub(crate) struct Pending {
    pub stream_id: String,
    pub expected: ExpectedVersion,
    pub metadata: EventMetadata,
    pub events: Vec<NewEvent>,
    /// `canonical_json` of each event's payload and of `metadata.extra`,
    /// for the hash chain: computed by the caller, off the writer's path.
    pub canonical_payloads: Vec<Box<RawValue>>,
    pub canonical_extra: Box<RawValue>,
    pub reply: oneshot::Sender<Result<AppendResult, AppendError>>,
}

/// The answer to one append.
pub(crate) type Outcome = Result<AppendResult, AppendError>;
