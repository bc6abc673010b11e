//! The one GraphQL API: commands as mutations, read models as queries, and
//! projection changes as subscriptions over graphql-ws.

mod activity;
mod assessment;
mod competency;
mod complexity;
mod context;
mod course;
mod dashboard;
mod development_plan;
mod embedded;
mod employee;
mod errors;
mod execution;
mod export;
mod feedback;
mod field_order;
mod graphiql;
pub mod identity;
mod kpi;
mod kpi_updates;
mod limits;
mod loaders;
mod metrics;
mod model;
mod mutation;
mod node;
mod offering;
mod paging;
mod payload;
mod plan;
mod query;
mod request_log;
mod router;
mod scalars;
mod scorecard;
mod socket;
mod subscription;
mod throttle;

pub use context::ApiContext;
pub use identity::Identity;
pub use kpi_updates::KpiUpdates;
pub use router::{router, MAX_BODY_BYTES, READY_LAG};
pub use socket::{CLOSE_TOO_MANY_SOCKETS, CLOSE_UNAUTHENTICATED};
pub use throttle::AccessLimits;

use async_graphql::{MergedObject, Schema};

/// The read models: institutions and their training budgets, employees,
/// the course catalogue, offerings and places, transcripts and learning
/// time. Every query may name `atLeastPosition` to read its own writes.
#[derive(MergedObject, Default)]
pub struct QueryRoot(
    query::InstitutionQuery,
    employee::EmployeeQuery,
    course::CourseQuery,
    offering::OfferingQuery,
    activity::ActivityQuery,
    competency::CompetencyQuery,
    assessment::AssessmentQuery,
    development_plan::DevelopmentPlanQuery,
    feedback::FeedbackQuery,
    plan::PlanQuery,
    scorecard::ScorecardQuery,
    node::NodeQuery,
);

/// The commands. Each takes one `input` with an optional `commandId` (its
/// idempotency key) and answers with a payload: what it changed, the log
/// `position` to read it at, and `userErrors` when it was refused.
#[derive(MergedObject, Default)]
pub struct MutationRoot(
    mutation::InstitutionMutation,
    employee::EmployeeMutation,
    course::CourseMutation,
    offering::OfferingMutation,
    competency::CompetencyMutation,
    assessment::AssessmentMutation,
    development_plan::DevelopmentPlanMutation,
    feedback::FeedbackMutation,
    plan::PlanMutation,
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
        // Outside development the schema is not served: the committed
        // `schema.graphql` is the contract.
        Some(ctx) if !ctx.identity.is_development() => builder.disable_introspection().data(ctx).finish(),
        Some(ctx) => builder.data(ctx).finish(),
        None => builder.finish(),
    }
}

/// The schema in SDL, as committed in `schema.graphql`, with each scalar's
/// `@specifiedBy` URL (async-graphql leaves it out by default).
pub fn sdl() -> String {
    schema(None).sdl_with_options(async_graphql::SDLExportOptions::new().include_specified_by())
}

#[cfg(test)]
mod tests {
    /// Every type, field, argument, input field and enum value of the
    /// schema that has no description, as `Type.field(argument)`.
    async fn undocumented() -> Vec<String> {
        let query = "{ __schema { types { name description
            fields(includeDeprecated: true) { name description args { name description } }
            inputFields { name description } enumValues(includeDeprecated: true) { name description } } } }";
        let response = super::schema(None).execute(query).await;
        assert!(response.errors.is_empty(), "{:?}", response.errors);
        let data = response.data.into_json().expect("JSON");
        let mut missing = vec![];
        let blank = |v: &serde_json::Value| v["description"].as_str().is_none_or(|d| d.trim().is_empty());
        let list = |v: &serde_json::Value| v.as_array().cloned().unwrap_or_default();
        for t in list(&data["__schema"]["types"]) {
            let name = t["name"].as_str().unwrap_or_default().to_owned();
            // Introspection's own types and the spec's scalars are the
            // spec's to describe (async-graphql leaves `ID` without one).
            if name.starts_with("__") || ["String", "Int", "Float", "Boolean", "ID"].contains(&name.as_str()) {
                continue;
            }
            if blank(&t) {
                missing.push(name.clone());
            }
            for f in list(&t["fields"]) {
                let field = format!("{name}.{}", f["name"].as_str().unwrap_or_default());
                if blank(&f) {
                    missing.push(field.clone());
                }
                for a in list(&f["args"]) {
                    if blank(&a) {
                        missing.push(format!("{field}({})", a["name"].as_str().unwrap_or_default()));
                    }
                }
            }
            for f in list(&t["inputFields"]).into_iter().chain(list(&t["enumValues"])) {
                if blank(&f) {
                    missing.push(format!("{name}.{}", f["name"].as_str().unwrap_or_default()));
                }
            }
        }
        missing
    }

    #[tokio::test]
    async fn every_schema_member_is_described() {
        let missing = undocumented().await;
        assert!(
            missing.is_empty(),
            "{} undocumented:\n{}",
            missing.len(),
            missing.join("\n")
        );
    }
}
