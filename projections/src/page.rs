//! Keyset windows. A reader returns the rows after and before a key, read
//! from the start or from the end of its order, so that a page keeps its
//! place while rows are added or removed ahead of it (an offer scheduled, a
//! place enrolled): an offset would skip or repeat rows then.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window<K> {
    /// Only rows whose key sorts after this one.
    pub after: Option<K>,
    /// Only rows whose key sorts before this one.
    pub before: Option<K>,
    /// How many rows to read: one more than the page holds, which tells
    /// whether the list goes on.
    pub limit: i64,
    /// Read from the end of the order (`last`): the rows come nearest the
    /// end first.
    pub from_end: bool,
}

impl<K> Window<K> {
    /// The SQL direction of the read.
    pub(crate) fn direction(&self) -> &'static str {
        if self.from_end {
            "DESC"
        } else {
            "ASC"
        }
    }
}

impl<K> Window<K> {
    /// The SQL direction of the read of a list kept newest first (its key
    /// descending): `after` then means an older key.
    pub(crate) fn newest_first(&self) -> &'static str {
        if self.from_end {
            "ASC"
        } else {
            "DESC"
        }
    }
}

/// A reader's page: the rows with their keys, in the window's reading
/// order, and how many rows the whole list holds under the same filters.
pub struct Page<K, R> {
    pub rows: Vec<(K, R)>,
    pub total: i64,
}

type PgQuery<'q> = sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>;

/// Binds a window over a key of two columns, in the order the readers'
/// statements take them: the `after` key's two parts, the `before` key's,
/// then the limit.
pub(crate) fn bind_pair<'q, A, B>(query: PgQuery<'q>, window: &'q Window<(A, B)>) -> PgQuery<'q>
where
    A: sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Sync,
    B: sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Sync,
{
    query
        .bind(window.after.as_ref().map(|k| &k.0))
        .bind(window.after.as_ref().map(|k| &k.1))
        .bind(window.before.as_ref().map(|k| &k.0))
        .bind(window.before.as_ref().map(|k| &k.1))
        .bind(window.limit)
}
