//! Rows a batch of events reads once, changes in memory and writes once.
//!
//! A projection that kept one statement per event spent its time on round
//! trips: a batch instead loads the rows its events name in one statement
//! per table, folds every event into them in log order, and writes back the
//! rows it changed in one statement per table. The fold is the same code
//! whatever the batch size, so a batch of 2 000 ends as 2 000 batches of one
//! would (`tests/demo.rs` rebuilds both ways and compares).

use std::collections::{HashMap, HashSet};
use std::hash::Hash;

pub(crate) struct Staged<K, R> {
    rows: HashMap<K, R>,
    changed: HashSet<K>,
}

impl<K: Eq + Hash + Copy, R> Staged<K, R> {
    /// The rows as stored before the batch.
    pub(crate) fn loaded(rows: impl IntoIterator<Item = (K, R)>) -> Self {
        Self {
            rows: rows.into_iter().collect(),
            changed: HashSet::new(),
        }
    }

    /// The row to change, if it exists: an event about a row that does not
    /// exist changes nothing, as an `UPDATE … WHERE` would.
    pub(crate) fn change(&mut self, key: K) -> Option<&mut R> {
        let row = self.rows.get_mut(&key)?;
        self.changed.insert(key);
        Some(row)
    }

    /// The row to change, made by `new` when there is none yet.
    pub(crate) fn change_or(&mut self, key: K, new: impl FnOnce() -> R) -> &mut R {
        self.changed.insert(key);
        self.rows.entry(key).or_insert_with(new)
    }

    /// Puts `row` in place of any row under `key`.
    pub(crate) fn put(&mut self, key: K, row: R) {
        self.changed.insert(key);
        self.rows.insert(key, row);
    }

    /// Changes every row `wanted` picks.
    pub(crate) fn change_each(&mut self, wanted: impl Fn(&K, &R) -> bool, change: impl Fn(&mut R)) {
        for (key, row) in &mut self.rows {
            if wanted(key, row) {
                change(row);
                self.changed.insert(*key);
            }
        }
    }

    /// Every row, loaded or changed.
    pub(crate) fn rows(&self) -> impl Iterator<Item = (&K, &R)> {
        self.rows.iter()
    }

    /// The rows the batch changed, to write back.
    pub(crate) fn changed(&self) -> (Vec<K>, Vec<&R>) {
        self.changed
            .iter()
            .filter_map(|k| Some((*k, self.rows.get(k)?)))
            .unzip()
    }
}

/// An array column written through `UNNEST`: PostgreSQL has no array of
/// arrays of different lengths, so each row's array goes as the text of an
/// array literal, cast back with `::text[]` (every element quoted, `"` and
/// `\` escaped, as the array input syntax wants).
pub(crate) fn array_literal(items: &[String]) -> String {
    let mut out = String::from("{");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push('"');
        for c in item.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::array_literal;

    #[test]
    fn an_array_literal_quotes_every_element_and_escapes_quotes_and_backslashes() {
        let items = ["a".to_owned(), "b, \"c\"".to_owned(), "d\\e".to_owned(), String::new()];
        assert_eq!(array_literal(&items), r#"{"a","b, \"c\"","d\\e",""}"#);
        assert_eq!(array_literal(&[]), "{}");
    }
}
