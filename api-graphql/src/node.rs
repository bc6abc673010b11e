//! Relay's `Node` interface and `node(id:)`: any institution, employee,
//! course, offering or competency framework found again by its id alone, as GitHub's and
//! Shopify's APIs allow. An id is a UUID that names one record of any
//! kind, since the create commands refuse an id another kind holds.

use async_graphql::{Context, Interface, Object, ID};
use prasme_projections::record::{self, RecordKind};
use uuid::Uuid;

use crate::competency::{framework_by_id, CompetencyFramework};
use crate::context::{api, read_models, reads};
use crate::course::{course_by_id, Course};
use crate::employee::{employee_by_id, Employee};
use crate::errors::{bad_input, db, found};
use crate::model::Institution;
use crate::offering::{offering_by_id, Offering};
use crate::scalars::Position;

/// A record that `node(id:)` finds again by its id alone.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "The record's id: a UUID that names this record and nothing else."
))]
pub enum Node {
    Institution(Institution),
    Employee(Employee),
    Course(Course),
    Offering(Offering),
    CompetencyFramework(CompetencyFramework),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// The institution, employee, course, offering or competency framework with this id; null
    /// with NOT_FOUND when no record has it.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "An `id` of an institution, employee, course, offering or competency framework.")] id: ID,
        #[graphql(
            desc = "Waits (bounded) until the read models include this event-log position, such as a \
                    mutation's `position`, to read one's own writes; READ_MODEL_BEHIND if they do not in time."
        )]
        at_least_position: Option<Position>,
    ) -> async_graphql::Result<Option<Node>> {
        let api = api(ctx)?;
        let position = at_least_position.map(|p| p.0);
        api.reach(read_models::OFFERINGS, position).await?;
        api.reach(read_models::COMPETENCIES, position).await?;
        let id = Uuid::parse_str(&id).map_err(|_| bad_input("id is not an id of this API"))?;
        let kind = record::kind_of(&*reads(ctx).await?, id).await.map_err(db)?;
        let node = match kind {
            Some(RecordKind::Institution) => crate::model::institution(ctx, id).await?.map(Node::Institution),
            Some(RecordKind::Employee) => employee_by_id(ctx, id).await?.map(Node::Employee),
            Some(RecordKind::Course) => course_by_id(ctx, id).await?.map(Node::Course),
            Some(RecordKind::Offering) => offering_by_id(ctx, id).await?.map(Node::Offering),
            Some(RecordKind::CompetencyFramework) => framework_by_id(ctx, id).await?.map(Node::CompetencyFramework),
            None => None,
        };
        found(node, "no record has this id")
    }
}
