//! Relay connections over short lists already in memory (a roster, a
//! transcript): the cursor is the item's offset.

use async_graphql::connection::{Connection, Edge};
use async_graphql::OutputType;

use crate::errors::bad_input;

pub(crate) const MAX_PAGE: i32 = 500;

pub(crate) fn offset_page<T: OutputType>(
    items: Vec<T>,
    first: i32,
    after: Option<String>,
) -> async_graphql::Result<Connection<String, T>> {
    if !(1..=MAX_PAGE).contains(&first) {
        return Err(bad_input(format!("first must be between 1 and {MAX_PAGE}")));
    }
    let start = match after {
        Some(c) => c
            .parse::<usize>()
            .map(|offset| offset + 1)
            .map_err(|_| bad_input("after is not a cursor from this connection"))?,
        None => 0,
    };
    let end = start.saturating_add(first as usize).min(items.len());
    let mut connection = Connection::new(start > 0, end < items.len());
    connection.edges.extend(
        items
            .into_iter()
            .enumerate()
            .skip(start)
            .take(end.saturating_sub(start))
            .map(|(i, item)| Edge::new(i.to_string(), item)),
    );
    Ok(connection)
}

#[cfg(test)]
mod tests {
    use super::offset_page;

    #[test]
    fn pages_follow_their_cursors() {
        let first = offset_page((0..5).collect::<Vec<i32>>(), 2, None).unwrap();
        assert_eq!(first.edges.iter().map(|e| e.node).collect::<Vec<_>>(), vec![0, 1]);
        assert!(first.has_next_page && !first.has_previous_page);
        let cursor = first.edges.last().map(|e| e.cursor.clone());
        let second = offset_page((0..5).collect::<Vec<i32>>(), 2, cursor).unwrap();
        assert_eq!(second.edges.iter().map(|e| e.node).collect::<Vec<_>>(), vec![2, 3]);
        let last = offset_page((0..5).collect::<Vec<i32>>(), 10, Some("3".into())).unwrap();
        assert_eq!(last.edges.iter().map(|e| e.node).collect::<Vec<_>>(), vec![4]);
        assert!(!last.has_next_page);
        assert!(offset_page(vec![1], 2, Some("x".into())).is_err());
        assert!(offset_page(vec![1], 0, None).is_err());
    }
}
