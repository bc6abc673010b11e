//! The state and version of recently used streams, so that a command needs
//! no read at all when its process saw the stream last, and otherwise reads
//! only the events written since. A stale entry (another process appended
//! meanwhile) is caught by the append's expected version and brought up to
//! date from its own version onwards. Bounded: the stream used least recently
//! is forgotten first.

use std::any::Any;
use std::num::NonZeroUsize;
use std::sync::Mutex;

use lru::LruCache;

/// Streams kept. An offering with tens of thousands of places is the largest
/// state; a few thousand of those fit comfortably in memory.
pub const CACHED_STREAMS: usize = 10_000;

struct Entry {
    version: i64,
    state: Box<dyn Any + Send + Sync>,
}

pub(crate) struct AggregateCache {
    entries: Mutex<LruCache<String, Entry>>,
}

impl AggregateCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(LruCache::new(NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN))),
        }
    }

    /// Takes the entry out: the caller holds the stream's turn, and puts the
    /// state back (`keep`) when its command is done. No copy is made.
    pub fn take<S: 'static>(&self, stream_id: &str) -> Option<(S, i64)> {
        let entry = self.entries.lock().ok()?.pop(stream_id)?;
        let state = entry.state.downcast::<S>().ok()?;
        Some((*state, entry.version))
    }

    /// A copy of the entry, for a command that reads another aggregate.
    pub fn copy<S: Clone + 'static>(&self, stream_id: &str) -> Option<(S, i64)> {
        let mut entries = self.entries.lock().ok()?;
        let entry = entries.get(stream_id)?;
        let state = entry.state.downcast_ref::<S>()?;
        Some((state.clone(), entry.version))
    }

    /// Keeps `state` at `version`, unless a later version is kept already.
    pub fn keep<S: Send + Sync + 'static>(&self, stream_id: &str, state: S, version: i64) {
        let Ok(mut entries) = self.entries.lock() else { return };
        if entries.peek(stream_id).is_some_and(|kept| kept.version > version) {
            return;
        }
        entries.put(
            stream_id.to_owned(),
            Entry {
                version,
                state: Box::new(state),
            },
        );
    }

    /// Forgets the stream: its outcome is unknown, so the next command reads it whole.
    pub fn forget(&self, stream_id: &str) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.pop(stream_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_is_taken_out_and_only_a_later_version_replaces_it() {
        let cache = AggregateCache::new(2);
        cache.keep("s-1", String::from("v2"), 2);
        cache.keep("s-1", String::from("v1"), 1);
        assert_eq!(cache.copy::<String>("s-1"), Some(("v2".to_owned(), 2)));
        assert_eq!(cache.take::<String>("s-1"), Some(("v2".to_owned(), 2)));
        assert_eq!(cache.take::<String>("s-1"), None);
    }

    #[test]
    fn the_least_recently_used_stream_is_forgotten_first() {
        let cache = AggregateCache::new(2);
        cache.keep("a", 1u8, 1);
        cache.keep("b", 2u8, 1);
        assert!(cache.copy::<u8>("a").is_some());
        cache.keep("c", 3u8, 1);
        assert!(cache.copy::<u8>("b").is_none());
        assert!(cache.copy::<u8>("a").is_some() && cache.copy::<u8>("c").is_some());
    }
}
