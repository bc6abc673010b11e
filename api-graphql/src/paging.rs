//! Relay connections, as GitHub's and Shopify's APIs have them: `first` and
//! `after` read forward, `last` and `before` read back from the end, and
//! `totalCount` counts the whole list under its filters. A cursor is opaque
//! (base64url of JSON) and holds the item's sort key, not an offset, so it
//! keeps its place while the list changes under it.

use async_graphql::connection::{CursorType, OpaqueCursor, PageInfo};
use async_graphql::{OutputType, SimpleObject, TypeName};
use prasme_projections::page::{Page, Window};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::borrow::Cow;

use crate::errors::bad_input;

pub(crate) const MAX_PAGE: i32 = 500;

/// A page of a list: its items with their cursors, where the page stands,
/// and how long the whole list is. Read on with `first`/`after` from the
/// start, or `last`/`before` from the end.
#[derive(SimpleObject)]
#[graphql(name_type)]
pub struct Keyed<T: OutputType> {
    /// Whether items come before and after this page, and its first and last cursors.
    pub page_info: PageInfo,
    /// This page's items with their cursors, in list order.
    pub edges: Vec<KeyedEdge<T>>,
    /// This page's items, in list order.
    pub nodes: Vec<T>,
    /// How many items the whole list holds under its filters, not only this page.
    pub total_count: i64,
}

/// One item of a page, and its cursor.
#[derive(SimpleObject)]
#[graphql(name_type)]
pub struct KeyedEdge<T: OutputType> {
    /// The item.
    pub node: T,
    /// Where the item stands in its list: pass it as `after` or `before` to read on from there.
    pub cursor: String,
}

/// `CourseConnection` for a list of `Course`, as Relay names them.
impl<T: OutputType> TypeName for Keyed<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Connection", T::type_name()).into()
    }
}

impl<T: OutputType> TypeName for KeyedEdge<T> {
    fn type_name() -> Cow<'static, str> {
        format!("{}Edge", T::type_name()).into()
    }
}

/// The window that `first`/`after` or `last`/`before` ask for: `first`
/// alone reads from the start, `last` from the end, and `default` items
/// from the start when neither is given.
pub(crate) fn window<K: Serialize + DeserializeOwned>(
    first: Option<i32>,
    after: Option<String>,
    last: Option<i32>,
    before: Option<String>,
    default: i32,
) -> async_graphql::Result<Window<K>> {
    let size = match (first, last) {
        (Some(_), Some(_)) => return Err(bad_input("give first or last, not both")),
        (Some(n), None) | (None, Some(n)) => n,
        (None, None) => default,
    };
    if !(1..=MAX_PAGE).contains(&size) {
        return Err(bad_input(format!("first and last must be between 1 and {MAX_PAGE}")));
    }
    Ok(Window {
        after: cursor("after", after)?,
        before: cursor("before", before)?,
        limit: i64::from(size) + 1,
        from_end: last.is_some(),
    })
}

fn cursor<K: Serialize + DeserializeOwned>(argument: &str, value: Option<String>) -> async_graphql::Result<Option<K>> {
    value
        .map(|c| {
            OpaqueCursor::<K>::decode_cursor(&c)
                .map(|c| c.0)
                .map_err(|_| bad_input(format!("{argument} is not a cursor from this connection")))
        })
        .transpose()
}

/// The connection of a reader's page: the window's extra row says whether
/// the list goes on past the page, the other end goes on when a cursor
/// bounds it.
pub(crate) fn connection<K, R, T>(window: &Window<K>, page: Page<K, R>, node: impl Fn(R) -> T) -> Keyed<T>
where
    K: Serialize + DeserializeOwned,
    T: OutputType + Clone,
{
    let Page { mut rows, total } = page;
    let size = usize::try_from(window.limit - 1).unwrap_or(0);
    let more = rows.len() > size;
    rows.truncate(size);
    if window.from_end {
        rows.reverse();
    }
    let (has_previous_page, has_next_page) = if window.from_end {
        (more, window.before.is_some())
    } else {
        (window.after.is_some(), more)
    };
    let edges: Vec<KeyedEdge<T>> = rows
        .into_iter()
        .map(|(key, row)| KeyedEdge {
            node: node(row),
            cursor: OpaqueCursor(key).encode_cursor(),
        })
        .collect();
    Keyed {
        page_info: PageInfo {
            has_previous_page,
            has_next_page,
            start_cursor: edges.first().map(|e| e.cursor.clone()),
            end_cursor: edges.last().map(|e| e.cursor.clone()),
        },
        nodes: edges.iter().map(|e| e.node.clone()).collect(),
        edges,
        total_count: total,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(window: &Window<i32>, items: &[i32]) -> Page<i32, i32> {
        let within = items
            .iter()
            .copied()
            .filter(|i| window.after.is_none_or(|a| *i > a) && window.before.is_none_or(|b| *i < b));
        let limit = window.limit as usize;
        let rows: Vec<i32> = if window.from_end {
            within.rev().take(limit).collect()
        } else {
            within.take(limit).collect()
        };
        Page {
            rows: rows.into_iter().map(|i| (i, i)).collect(),
            total: items.len() as i64,
        }
    }

    fn read(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
        items: &[i32],
    ) -> Keyed<i32> {
        let w = window(first, after, last, before, 50).unwrap();
        connection(&w, page(&w, items), |i| i)
    }

    fn nodes(c: &Keyed<i32>) -> Vec<i32> {
        c.edges.iter().map(|e| e.node).collect()
    }

    fn end_cursor(c: &Keyed<i32>) -> Option<String> {
        c.edges.last().map(|e| e.cursor.clone())
    }

    #[test]
    fn a_cursor_keeps_its_place_when_items_are_added_ahead_of_it() {
        let first = read(Some(2), None, None, None, &[10, 20, 30, 40]);
        assert_eq!(nodes(&first), vec![10, 20]);
        assert!(first.page_info.has_next_page && !first.page_info.has_previous_page);
        // 5 and 15 arrive before the next page is read: an offset would repeat 20.
        let second = read(Some(2), end_cursor(&first), None, None, &[5, 10, 15, 20, 30, 40]);
        assert_eq!(nodes(&second), vec![30, 40]);
        assert!(!second.page_info.has_next_page && second.page_info.has_previous_page);
        assert_eq!(second.total_count, 6);
    }

    #[test]
    fn last_and_before_read_back_from_the_end_in_list_order() {
        let items = [10, 20, 30, 40, 50];
        let tail = read(None, None, Some(2), None, &items);
        assert_eq!(nodes(&tail), vec![40, 50]);
        assert!(tail.page_info.has_previous_page && !tail.page_info.has_next_page);
        let start = tail.edges.first().map(|e| e.cursor.clone());
        let before = read(None, None, Some(2), start, &items);
        assert_eq!(nodes(&before), vec![20, 30]);
        assert!(before.page_info.has_previous_page && before.page_info.has_next_page);
    }

    #[test]
    fn bad_arguments_are_refused() {
        assert!(window::<i32>(Some(1), None, Some(1), None, 50).is_err());
        assert!(window::<i32>(Some(0), None, None, None, 50).is_err());
        assert!(window::<i32>(None, None, Some(MAX_PAGE + 1), None, 50).is_err());
        assert!(
            window::<i32>(Some(1), Some("3".into()), None, None, 50).is_err(),
            "an offset is no cursor"
        );
        assert!(window::<(i32, i32)>(Some(1), Some(OpaqueCursor(7).encode_cursor()), None, None, 50).is_err());
    }
}
