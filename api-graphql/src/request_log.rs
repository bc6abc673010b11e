//! One log line per request that failed inside, however many fields failed:
//! a report over a thousand institutions must not write a thousand lines.

use std::sync::Arc;

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextRequest};
use async_graphql::Response;

use crate::errors::{code_of, Cause, Code};

pub(crate) struct RequestLog;

impl ExtensionFactory for RequestLog {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestLogExtension)
    }
}

struct RequestLogExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for RequestLogExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        let internal: Vec<_> = response
            .errors
            .iter()
            .filter(|e| code_of(e).as_deref() == Some(Code::Internal.as_str()))
            .collect();
        if let Some(first) = internal.first() {
            let cause = first.source::<Cause>().map_or("", |c| c.0.as_str());
            tracing::error!(
                failed_fields = internal.len(),
                first_path = ?first.path,
                cause,
                "request failed: {}",
                first.message
            );
        }
        response
    }
}
