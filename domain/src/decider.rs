use crate::event::DomainEvent;
use crate::DomainError;

/// An aggregate as a pair of pure functions over its own stream.
pub trait Decider {
    type Command;
    type Event: DomainEvent;
    /// Kept between commands by the application layer, hence the bounds.
    type State: Default + Clone + Send + Sync + 'static;

    /// The stream that holds one instance's events.
    fn stream_id(id: uuid::Uuid) -> String;
    fn decide(command: &Self::Command, state: &Self::State) -> Result<Vec<Self::Event>, DomainError>;
    fn evolve(state: Self::State, event: &Self::Event) -> Self::State;

    /// The state after `events`, oldest first.
    fn fold<'a>(events: impl IntoIterator<Item = &'a Self::Event>) -> Self::State
    where
        Self::Event: 'a,
    {
        events
            .into_iter()
            .fold(Self::State::default(), |s, e| Self::evolve(s, e))
    }
}
