//! Puts every object of a response in the order its fields were selected,
//! as the GraphQL spec requires (§ 6.3, CollectFields). async-graphql 7.2
//! resolves sibling fields concurrently and writes each as it completes,
//! so identical requests came back in different orders. The walk is linear
//! in the response, and each fragment's selections are visited where they
//! are spread, as CollectFields does. A subscription executes once per
//! event, so its events are put in order too.

use std::sync::{Arc, Mutex};

use async_graphql::extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute, NextPrepareRequest};
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Request, Response, ServerResult, Value};

pub(crate) struct FieldOrder;

impl ExtensionFactory for FieldOrder {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(FieldOrderExtension::default())
    }
}

/// Created for each request, to keep its document for as long as the
/// request runs: one response, or a subscription's every event.
#[derive(Default)]
struct FieldOrderExtension {
    document: Mutex<Option<Arc<ExecutableDocument>>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for FieldOrderExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let mut request = request;
        // Parsed already by `limits`, which runs first; a parse error is its to report.
        if let (Ok(document), Ok(mut kept)) = (request.parsed_query(), self.document.lock()) {
            *kept = Some(Arc::new(document.clone()));
        }
        next.run(ctx, request).await
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        // Kept, not taken: a subscription executes once per event.
        let document = self.document.lock().ok().and_then(|d| d.clone());
        if let Some(document) = document {
            let operation = document
                .operations
                .iter()
                .find(|(name, _)| operation_name.is_none() || name.map(|n| n.as_str()) == operation_name);
            if let Some((_, operation)) = operation {
                let data = std::mem::take(&mut response.data);
                response.data = in_selection_order(data, &[&operation.node.selection_set.node], &document);
            }
        }
        response
    }
}

/// Each response key an object's selection sets select, in order, with the
/// sub-selections of every field that answers to it (a key may be selected
/// more than once, its sub-selections merged).
fn collect<'d>(
    sets: &[&'d SelectionSet],
    document: &'d ExecutableDocument,
    keys: &mut Vec<(&'d str, Vec<&'d SelectionSet>)>,
    spread: &mut Vec<&'d str>,
) {
    for set in sets {
        for item in &set.items {
            match &item.node {
                Selection::Field(field) => {
                    let key = field.node.response_key().node.as_str();
                    let sub = &field.node.selection_set.node;
                    match keys.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, subs)) => subs.push(sub),
                        None => keys.push((key, vec![sub])),
                    }
                }
                Selection::InlineFragment(fragment) => {
                    collect(&[&fragment.node.selection_set.node], document, keys, spread)
                }
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.as_str();
                    // Once per object, as CollectFields visits each fragment once.
                    if spread.contains(&name) {
                        continue;
                    }
                    spread.push(name);
                    if let Some(fragment) = document.fragments.get(name) {
                        collect(&[&fragment.node.selection_set.node], document, keys, spread);
                    }
                }
            }
        }
    }
}

fn in_selection_order(value: Value, sets: &[&SelectionSet], document: &ExecutableDocument) -> Value {
    match value {
        Value::Object(mut map) => {
            let mut keys = Vec::new();
            collect(sets, document, &mut keys, &mut Vec::new());
            let mut ordered = IndexMap::with_capacity(map.len());
            for (key, subs) in keys {
                if let Some((name, value)) = map.shift_remove_entry(key) {
                    ordered.insert(name, in_selection_order(value, &subs, document));
                }
            }
            // Nothing should be left; if something is, it is kept, not dropped.
            ordered.extend(map);
            Value::Object(ordered)
        }
        Value::List(items) => Value::List(
            items
                .into_iter()
                .map(|item| in_selection_order(item, sets, document))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::Name;

    fn object(pairs: &[(&str, Value)]) -> Value {
        Value::Object(pairs.iter().map(|(k, v)| (Name::new(*k), v.clone())).collect())
    }

    fn keys(value: &Value) -> Vec<String> {
        match value {
            Value::Object(map) => map.keys().map(|k| k.to_string()).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn objects_follow_the_selection_through_aliases_fragments_and_lists() {
        let query = "fragment F on Institution { name id }
            { b: institutions { edges { node { kind ...F ... on Institution { resor } } } } a: __typename }";
        let document = async_graphql::parser::parse_query(query).unwrap();
        let node = object(&[
            ("resor", Value::Null),
            ("id", Value::from(1)),
            ("name", Value::from("x")),
            ("kind", Value::from("STATE")),
        ]);
        let data = object(&[
            ("a", Value::from("QueryRoot")),
            ("b", object(&[("edges", Value::List(vec![object(&[("node", node)])]))])),
        ]);
        let (_, op) = document.operations.iter().next().unwrap();
        let ordered = in_selection_order(data, &[&op.node.selection_set.node], &document);
        assert_eq!(keys(&ordered), ["b", "a"]);
        let Value::Object(root) = &ordered else { panic!() };
        let Value::Object(b) = &root["b"] else { panic!() };
        let Value::List(edges) = &b["edges"] else { panic!() };
        let Value::Object(edge) = &edges[0] else { panic!() };
        assert_eq!(keys(&edge["node"]), ["kind", "name", "id", "resor"]);
    }
}
