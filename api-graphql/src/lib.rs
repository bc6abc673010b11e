//! The one GraphQL API: commands as mutations, read models as queries, and
//! projection changes as subscriptions over graphql-ws.

mod activity;
mod complexity;
mod context;
mod course;
mod employee;
mod errors;
mod execution;
mod field_order;
mod limits;
mod loaders;
mod metrics;
mod model;
mod mutation;
mod offering;
mod paging;
mod query;
mod request_log;
mod router;
mod scalars;
mod subscription;

pub use context::{Actor, ApiContext};
pub use router::{router, MAX_BODY_BYTES, READY_LAG};

use async_graphql::{MergedObject, Schema};

#[derive(MergedObject, Default)]
pub struct QueryRoot(
    query::InstitutionQuery,
    employee::EmployeeQuery,
    course::CourseQuery,
    offering::OfferingQuery,
    activity::ActivityQuery,
);

#[derive(MergedObject, Default)]
pub struct MutationRoot(
    mutation::InstitutionMutation,
    employee::EmployeeMutation,
    course::CourseMutation,
    offering::OfferingMutation,
);

pub type PrasmeSchema = Schema<QueryRoot, MutationRoot, subscription::SubscriptionRoot>;

pub fn schema(ctx: Option<ApiContext>) -> PrasmeSchema {
    let builder = Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        subscription::SubscriptionRoot,
    )
    .extension(request_log::RequestLog)
    .extension(limits::RequestLimits)
    .extension(field_order::FieldOrder)
    .limit_complexity(complexity::MAX_COMPLEXITY);
    match ctx {
        Some(ctx) => builder.data(ctx).finish(),
        None => builder.finish(),
    }
}

/// The schema in SDL, as committed in `schema.graphql`, with each scalar's
/// `@specifiedBy` URL (async-graphql leaves it out by default).
pub fn sdl() -> String {
    schema(None).sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}
