//! One log line per operation at info level, and its metrics: its name,
//! kind, outcome and duration. An operation that failed inside also gets one error line with
//! the first cause, however many fields failed: a report over a thousand
//! institutions must not write a thousand lines.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextParseQuery, NextPrepareRequest, NextRequest,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType};
use async_graphql::{Request, Response, ServerResult, Variables};

use crate::errors::{code_of, Cause, Code};

pub(crate) struct RequestLog;

impl ExtensionFactory for RequestLog {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestLogExtension::default())
    }
}

/// Created for each request, so it can hold what the parse found out.
#[derive(Default)]
struct RequestLogExtension {
    /// The operation name the request gave, if any.
    requested: Mutex<Option<String>>,
    /// The operation's kind and name, once parsed.
    operation: Mutex<Option<(&'static str, String)>>,
}

/// The operation a request runs: the one named, or the only one.
fn operation_of(document: &ExecutableDocument, name: Option<&str>) -> Option<(&'static str, String)> {
    let (op_name, op) = document
        .operations
        .iter()
        .find(|(n, _)| name.is_none() || n.map(|n| n.as_str()) == name)?;
    let kind = match op.node.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    Some((kind, op_name.map_or_else(String::new, |n| n.to_string())))
}

#[async_graphql::async_trait::async_trait]
impl Extension for RequestLogExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if let Ok(mut requested) = self.requested.lock() {
            requested.clone_from(&request.operation_name);
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        let requested = self.requested.lock().ok().and_then(|r| r.clone());
        if let Ok(mut operation) = self.operation.lock() {
            *operation = operation_of(&document, requested.as_deref());
        }
        Ok(document)
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let started = Instant::now();
        let response = next.run(ctx).await;
        let (kind, name) = self
            .operation
            .lock()
            .ok()
            .and_then(|o| o.clone())
            .unwrap_or(("", String::new()));
        let outcome = response
            .errors
            .first()
            .map_or_else(|| "ok".to_owned(), |e| code_of(e).unwrap_or_else(|| "error".to_owned()));
        let took = started.elapsed();
        crate::metrics::operation(&name, kind, &outcome, took);
        tracing::info!(
            operation = name,
            kind,
            outcome,
            errors = response.errors.len(),
            duration_ms = took.as_secs_f64() * 1e3,
            "graphql operation"
        );
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
