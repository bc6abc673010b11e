//! What every operation must meet before async-graphql validates or runs it,
//! on HTTP and WebSocket alike. Each check bounds work that a small request
//! could otherwise make unbounded:
//!
//! - **Nesting**, counted on the text before it is parsed. The parser, its
//!   validators and `Drop` all recurse over values and selections, so a few
//!   kilobytes of `{a:{a:…}}` would overflow a worker's stack and abort the
//!   process. Nothing here recurses deeper than the text nests.
//! - **Expanded size and depth**: fields counted as if every fragment spread were
//!   written out, computed once per fragment (never by expanding), so
//!   fragments that each spread the one below twice cannot make validation
//!   exponential.
//! - **Strictness where the spec is strict**: a directive at most once per
//!   location (none of Prasme's is repeatable), and an enum literal written as
//!   an enum value, not as a string (`kind: STATE`, not `kind: "STATE"`).
//!
//! It also gives parse and validation failures their `extensions.code`.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest, NextValidation,
};
use async_graphql::parser::types::{
    Directive, ExecutableDocument, OperationType, Selection, SelectionSet, VariableDefinition,
};
use async_graphql::registry::{MetaType, MetaTypeName, Registry};
use async_graphql::{
    ErrorExtensions, Pos, Positioned, Request, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
};

use crate::context::ReadBudget;
use crate::errors::{code_of, Code};

/// Deepest nesting of `{`, `[` and `(` in a query text. The standard
/// introspection query nests about 20 deep.
pub const MAX_NESTING: usize = 64;
/// Most fields an operation may select, fragments expanded.
pub const MAX_EXPANDED_FIELDS: usize = 5_000;
/// Deepest chain of fields outside introspection: deep enough for the
/// connection → node → budget shapes the API serves.
pub const MAX_DEPTH: usize = 12;
/// Deepest chain of fields through `__schema` or `__type`. graphql-js 16's
/// standard query reaches 13, and later versions follow `ofType` further.
pub const MAX_INTROSPECTION_DEPTH: usize = 24;
/// Longest query text, in bytes (the body limit bounds it too).
pub const MAX_QUERY_BYTES: usize = 256 * 1024;

pub(crate) struct RequestLimits;

impl ExtensionFactory for RequestLimits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(RequestLimitsExtension)
    }
}

struct RequestLimitsExtension;

#[async_graphql::async_trait::async_trait]
impl Extension for RequestLimitsExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        if request.query.len() > MAX_QUERY_BYTES {
            return Err(refusal(
                Code::QueryTooLarge,
                format!("the query text must be at most {MAX_QUERY_BYTES} bytes"),
                None,
            ));
        }
        check_nesting(&request.query)?;
        let mut request = request;
        // Parsed here, and the document handed on, so that async-graphql's
        // own recursion check (which walks spreads without memory, and so is
        // exponential in them) only ever sees a document of bounded size.
        let document = request.parsed_query().map_err(|e| with_code(e, Code::ParseFailed))?;
        check_shape(document)?;
        check_directives(document)?;
        check_literals(&ctx.schema_env.registry, document)?;
        let budget = match ctx.data::<crate::ApiContext>() {
            Ok(api) => Some(ReadBudget::new(api.pool.clone())),
            // The schema without a database (SDL export, tests) reads nothing.
            Err(_) => None,
        };
        let request = match budget {
            Some(budget) => request.data(budget),
            None => request,
        };
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        // Parsed in prepare_request already; this adds async-graphql's own
        // recursion check, whose refusal is a validation failure.
        next.run(ctx, query, variables)
            .await
            .map_err(|e| with_code(e, Code::ValidationFailed))
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut response = next.run(ctx, operation_name).await;
        // Prasme's resolvers give every error a code; an error without one
        // is async-graphql's own, and during execution those all say that an
        // argument's value could not be read as its type.
        response.errors = std::mem::take(&mut response.errors)
            .into_iter()
            .map(|e| with_code(e, Code::BadUserInput))
            .collect();
        response
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        next.run(ctx).await.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| {
                    // async-graphql words its own limits this way.
                    let code = if e.message.contains("too complex") {
                        Code::QueryTooComplex
                    } else if e.message.contains("nested too deep") {
                        Code::QueryTooDeep
                    } else {
                        Code::ValidationFailed
                    };
                    with_code(e, code)
                })
                .collect()
        })
    }
}

fn refusal(code: Code, message: String, pos: Option<Pos>) -> ServerError {
    async_graphql::Error::new(message)
        .extend_with(|_, e| e.set("code", code.as_str()))
        .into_server_error(pos.unwrap_or_default())
}

fn with_code(mut e: ServerError, code: Code) -> ServerError {
    if code_of(&e).is_none() {
        e.extensions
            .get_or_insert_with(Default::default)
            .set("code", code.as_str());
    }
    e
}

/// Refuses text nested deeper than [`MAX_NESTING`], reading it as the
/// GraphQL lexer does: brackets inside strings, block strings and comments
/// do not count.
pub(crate) fn check_nesting(query: &str) -> ServerResult<()> {
    let bytes = query.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
            }
            b'"' if bytes[i..].starts_with(b"\"\"\"") => {
                i += 3;
                while i < bytes.len() && !bytes[i..].starts_with(b"\"\"\"") {
                    // `\"""` is the only escape in a block string.
                    i += if bytes[i..].starts_with(b"\\\"\"\"") { 4 } else { 1 };
                }
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(refusal(
                        Code::QueryTooDeep,
                        format!("the query nests brackets more than {MAX_NESTING} deep"),
                        None,
                    ));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// What an operation selects, with every fragment spread written out.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub(crate) struct Shape {
    /// Fields selected, saturating.
    pub fields: usize,
    /// Deepest chain of fields outside introspection.
    pub depth: usize,
    /// Deepest chain of fields through `__schema` or `__type`.
    pub introspection_depth: usize,
}

impl Shape {
    fn beside(self, other: Shape) -> Shape {
        Shape {
            fields: self.fields.saturating_add(other.fields),
            depth: self.depth.max(other.depth),
            introspection_depth: self.introspection_depth.max(other.introspection_depth),
        }
    }

    /// The shape of a field selecting `self`. Below `__schema` or `__type`
    /// every chain is introspection, whatever fragment it comes from.
    fn under(self, field: &str) -> Shape {
        let fields = self.fields.saturating_add(1);
        if matches!(field, "__schema" | "__type") {
            let below = self.depth.max(self.introspection_depth);
            return Shape {
                fields,
                depth: 0,
                introspection_depth: below + 1,
            };
        }
        Shape {
            fields,
            depth: self.depth + 1,
            introspection_depth: if self.introspection_depth > 0 {
                self.introspection_depth + 1
            } else {
                0
            },
        }
    }
}

/// The operations' shape, computed once per fragment (never by expanding).
pub(crate) fn shape(document: &ExecutableDocument) -> Shape {
    let mut shapes = FragmentShapes {
        document,
        known: HashMap::new(),
        visiting: HashSet::new(),
    };
    document.operations.iter().fold(Shape::default(), |total, (_, op)| {
        total.beside(shapes.of(&op.node.selection_set.node, 0))
    })
}

struct FragmentShapes<'d> {
    document: &'d ExecutableDocument,
    known: HashMap<&'d str, Shape>,
    visiting: HashSet<&'d str>,
}

impl<'d> FragmentShapes<'d> {
    fn of(&mut self, set: &'d SelectionSet, nesting: usize) -> Shape {
        if nesting > MAX_NESTING {
            // Only fragments spreading fragments get here; count it as too big.
            return Shape {
                fields: usize::MAX,
                depth: usize::MAX / 2,
                introspection_depth: 0,
            };
        }
        let mut total = Shape::default();
        for item in &set.items {
            let shape = match &item.node {
                Selection::Field(f) => self
                    .of(&f.node.selection_set.node, nesting + 1)
                    .under(f.node.name.node.as_str()),
                Selection::InlineFragment(f) => self.of(&f.node.selection_set.node, nesting + 1),
                Selection::FragmentSpread(s) => {
                    let name = s.node.fragment_name.node.as_str();
                    match self.known.get(name) {
                        Some(shape) => *shape,
                        // A cycle: validation refuses it; it adds nothing here.
                        None if self.visiting.contains(name) => Shape::default(),
                        None => match self.document.fragments.get(name) {
                            None => Shape::default(),
                            Some(fragment) => {
                                self.visiting.insert(name);
                                let shape = self.of(&fragment.node.selection_set.node, nesting + 1);
                                self.visiting.remove(name);
                                self.known.insert(name, shape);
                                shape
                            }
                        },
                    }
                }
            };
            total = total.beside(shape);
        }
        total
    }
}

/// Refuses an operation too large or too deep. Introspection has a depth of
/// its own: the standard query (graphql-js `getIntrospectionQuery`, GraphiQL,
/// code generators) follows `ofType` about a dozen levels below
/// `__schema { types { fields { type` , and what it reads is the schema
/// itself, never the database.
fn check_shape(document: &ExecutableDocument) -> ServerResult<()> {
    let shape = shape(document);
    if shape.fields > MAX_EXPANDED_FIELDS {
        return Err(refusal(
            Code::QueryTooLarge,
            format!(
                "the query selects {} fields with its fragments expanded; at most {MAX_EXPANDED_FIELDS} are allowed",
                if shape.fields == usize::MAX {
                    "too many".to_owned()
                } else {
                    shape.fields.to_string()
                }
            ),
            None,
        ));
    }
    if shape.depth > MAX_DEPTH {
        return Err(refusal(
            Code::QueryTooDeep,
            format!(
                "the query nests fields {} deep; at most {MAX_DEPTH} are allowed",
                shape.depth
            ),
            None,
        ));
    }
    if shape.introspection_depth > MAX_INTROSPECTION_DEPTH {
        return Err(refusal(
            Code::QueryTooDeep,
            format!(
                "the query nests introspection fields {} deep; at most {MAX_INTROSPECTION_DEPTH} are allowed",
                shape.introspection_depth
            ),
            None,
        ));
    }
    Ok(())
}

/// Each location's directives, each definition visited once (no expansion):
/// none repeated, and a `@skip`/`@include` condition a Boolean or a variable
/// (async-graphql takes any value there).
fn check_directives(document: &ExecutableDocument) -> ServerResult<()> {
    fn unique(directives: &[Positioned<Directive>]) -> ServerResult<()> {
        let mut seen = HashSet::new();
        for d in directives {
            let name = d.node.name.node.as_str();
            if !seen.insert(name) {
                return Err(refusal(
                    Code::ValidationFailed,
                    format!("the directive @{name} may be used only once at this location"),
                    Some(d.pos),
                ));
            }
            if matches!(name, "skip" | "include") {
                for (arg, value) in &d.node.arguments {
                    // A variable stands in as `true`: its type is checked elsewhere.
                    let literal = value
                        .node
                        .clone()
                        .into_const_with(|_| Ok::<_, ()>(Value::Boolean(true)));
                    if arg.node.as_str() != "if" || !matches!(literal, Ok(Value::Boolean(_))) {
                        return Err(refusal(
                            Code::ValidationFailed,
                            format!("@{name} takes one argument, `if`, a Boolean"),
                            Some(value.pos),
                        ));
                    }
                }
            }
        }
        Ok(())
    }
    fn in_set(set: &SelectionSet) -> ServerResult<()> {
        for item in &set.items {
            unique(item.node.directives())?;
            match &item.node {
                Selection::Field(f) => in_set(&f.node.selection_set.node)?,
                Selection::InlineFragment(f) => in_set(&f.node.selection_set.node)?,
                Selection::FragmentSpread(_) => {}
            }
        }
        Ok(())
    }
    for (_, op) in document.operations.iter() {
        unique(&op.node.directives)?;
        for v in &op.node.variable_definitions {
            unique(&v.node.directives)?;
        }
        in_set(&op.node.selection_set.node)?;
    }
    for fragment in document.fragments.values() {
        unique(&fragment.node.directives)?;
        in_set(&fragment.node.selection_set.node)?;
    }
    Ok(())
}

/// Refuses a string literal where the schema expects an enum. Variables are
/// JSON, where an enum is rightly a string, so only literals are checked.
fn check_literals(registry: &Registry, document: &ExecutableDocument) -> ServerResult<()> {
    let checker = EnumLiterals { registry };
    for (_, op) in document.operations.iter() {
        let root = match op.node.ty {
            OperationType::Query => Some(registry.query_type.as_str()),
            OperationType::Mutation => registry.mutation_type.as_deref(),
            OperationType::Subscription => registry.subscription_type.as_deref(),
        };
        for v in &op.node.variable_definitions {
            checker.variable_default(&v.node)?;
        }
        if let Some(root) = root {
            checker.selection_set(root, &op.node.selection_set.node)?;
        }
    }
    for fragment in document.fragments.values() {
        let on = fragment.node.type_condition.node.on.node.as_str();
        checker.selection_set(on, &fragment.node.selection_set.node)?;
    }
    Ok(())
}

struct EnumLiterals<'r> {
    registry: &'r Registry,
}

impl EnumLiterals<'_> {
    fn selection_set(&self, parent: &str, set: &SelectionSet) -> ServerResult<()> {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let field = self
                        .registry
                        .types
                        .get(parent)
                        .and_then(|t| t.field_by_name(f.node.name.node.as_str()));
                    // An unknown field is validation's to refuse.
                    let Some(field) = field else { continue };
                    for (name, value) in &f.node.arguments {
                        if let Some(arg) = field.args.get(name.node.as_str()) {
                            // Variables are JSON, checked elsewhere; only literals matter here.
                            let literal = value.node.clone().into_const_with(|_| Ok::<_, ()>(Value::Null));
                            if let Ok(literal) = literal {
                                self.value(&arg.ty, &literal, value.pos)?;
                            }
                        }
                    }
                    self.selection_set(MetaTypeName::concrete_typename(&field.ty), &f.node.selection_set.node)?;
                }
                Selection::InlineFragment(f) => {
                    let on = f
                        .node
                        .type_condition
                        .as_ref()
                        .map_or(parent, |t| t.node.on.node.as_str());
                    self.selection_set(on, &f.node.selection_set.node)?;
                }
                Selection::FragmentSpread(_) => {}
            }
        }
        Ok(())
    }

    fn variable_default(&self, v: &VariableDefinition) -> ServerResult<()> {
        if let Some(default) = &v.default_value {
            let ty = v.var_type.node.to_string();
            self.value(&ty, &default.node, default.pos)?;
        }
        Ok(())
    }

    /// `ty` is a type reference such as `[Kind!]!`.
    fn value(&self, ty: &str, value: &Value, pos: Pos) -> ServerResult<()> {
        match MetaTypeName::create(ty) {
            MetaTypeName::NonNull(inner) => self.value(inner, value, pos),
            MetaTypeName::List(inner) => match value {
                Value::List(items) => items.iter().try_for_each(|item| self.value(inner, item, pos)),
                single => self.value(inner, single, pos),
            },
            MetaTypeName::Named(name) => match (self.registry.types.get(name), value) {
                (Some(MetaType::Enum { .. }), Value::String(s)) => Err(refusal(
                    Code::ValidationFailed,
                    format!("{name} is an enum: write {s} without quotes"),
                    Some(pos),
                )),
                (Some(MetaType::InputObject { input_fields, .. }), Value::Object(fields)) => {
                    for (field, value) in fields {
                        if let Some(input) = input_fields.get(field.as_str()) {
                            self.value(&input.ty, value, pos)?;
                        }
                    }
                    Ok(())
                }
                _ => Ok(()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(open: &str, close: &str, depth: usize) -> String {
        format!("{{ f(a: {}1{}) }}", open.repeat(depth), close.repeat(depth))
    }

    #[test]
    fn nesting_is_counted_before_parsing_and_refused_past_the_limit() {
        assert!(check_nesting(&nested("{a: ", "}", MAX_NESTING - 3)).is_ok());
        for (open, close) in [("{a: ", "}"), ("[", "]")] {
            let err = check_nesting(&nested(open, close, 1_500)).expect_err("too deep");
            assert_eq!(code_of(&err), Some("QUERY_TOO_DEEP".to_owned()));
        }
    }

    #[test]
    fn brackets_in_strings_block_strings_and_comments_do_not_count() {
        let deep = "{".repeat(200);
        for query in [
            format!("{{ f(a: \"{deep}\") }}"),
            format!("{{ f(a: \"\"\"{deep} \\\"\"\" {deep}\"\"\") }}"),
            format!("{{ f # {deep}\n }}"),
            format!("{{ f(a: \"\\\"{deep}\") }}"),
        ] {
            assert!(check_nesting(&query).is_ok(), "{query}");
        }
    }

    #[test]
    fn fragments_that_double_at_each_level_are_counted_without_expanding_them() {
        let mut query = String::from("fragment L0 on QueryRoot { __typename }\n");
        for level in 1..=40 {
            let below = level - 1;
            query.push_str(&format!(
                "fragment L{level} on QueryRoot {{ a{level}: __typename ...L{below} ...L{below} }}\n"
            ));
        }
        query.push_str("{ ...L40 }");
        let document = async_graphql::parser::parse_query(&query).expect("parses");
        // 2^41 - 1 fields: expanding them would never finish.
        assert_eq!(shape(&document).fields, (1usize << 41) - 1);
        assert!(check_shape(&document).is_err());
    }

    fn shape_of(query: &str) -> Shape {
        shape(&async_graphql::parser::parse_query(query).expect("parses"))
    }

    #[test]
    fn depth_counts_fields_through_fragments_and_introspection_apart() {
        let data =
            shape_of("fragment N on Institution { id budget { total } } { institutions { edges { node { ...N } } } }");
        assert_eq!((data.depth, data.introspection_depth), (5, 0));
        // A fragment spread below `__schema` is introspection, wherever it is defined.
        let types = shape_of(
            "fragment T on __Type { kind ofType { kind ofType { kind } } } { __typename __schema { types { ...T } } }",
        );
        assert_eq!((types.depth, types.introspection_depth), (1, 5));
        let deep = format!(
            "{{ institutions {}{} }}",
            "{ a ".repeat(MAX_DEPTH),
            "}".repeat(MAX_DEPTH)
        );
        let err = check_shape(&async_graphql::parser::parse_query(&deep).expect("parses")).expect_err("too deep");
        assert_eq!(code_of(&err), Some("QUERY_TOO_DEEP".to_owned()));
        let ok = format!(
            "{{ institutions {}{} }}",
            "{ a ".repeat(MAX_DEPTH - 1),
            "}".repeat(MAX_DEPTH - 1)
        );
        assert!(check_shape(&async_graphql::parser::parse_query(&ok).expect("parses")).is_ok());
    }

    #[test]
    fn a_directive_repeated_at_one_location_is_refused() {
        let document =
            async_graphql::parser::parse_query("{ a: __typename @skip(if: false) @skip(if: false) }").expect("parses");
        assert!(check_directives(&document).is_err());
        let once = async_graphql::parser::parse_query("{ a: __typename @skip(if: false) }").expect("parses");
        assert!(check_directives(&once).is_ok());
    }
}
