//! The application layer's command path against a real PostgreSQL: what a
//! process keeps of a stream between commands is never trusted over the
//! stream itself, and a repeated command id answers as the first time.

mod common;

use prasme_commands::{CommandContext, CommandError, CommandHandler};
use prasme_domain::institution::{Institution, InstitutionCommand};
use prasme_domain::reference::{FundingSource, InstitutionKind, Resor};
use prasme_domain::{Cents, ErrorCode};
use prasme_eventstore::EventStore;
use uuid::Uuid;

fn register(id: Uuid) -> InstitutionCommand {
    InstitutionCommand::Register {
        institution_id: id,
        name: "Valsts kanceleja".into(),
        kind: InstitutionKind::State,
        resor: Some(Resor::Vk),
        funds_other_institutions_staff: false,
    }
}

fn allocate(allocation_id: Uuid, amount: i64) -> InstitutionCommand {
    InstitutionCommand::AllocateTrainingBudget {
        allocation_id,
        year: 2026,
        amount: Cents(amount),
        funding_source: FundingSource::StateBudget,
        priority: None,
    }
}

fn correct(allocation_id: Uuid, amount: i64) -> InstitutionCommand {
    InstitutionCommand::CorrectTrainingAllocation {
        allocation_id,
        amount: Cents(amount),
        funding_source: FundingSource::Esf,
        priority: None,
        reason: "pārrēķins".into(),
    }
}

fn allocated(state: &Institution) -> i64 {
    state
        .allocations
        .values()
        .filter(|a| a.year == 2026)
        .map(|a| a.amount.0)
        .sum()
}

fn ctx() -> CommandContext {
    CommandContext::new(Uuid::now_v7(), "test")
}

fn expecting(version: i64) -> CommandContext {
    CommandContext {
        expected_version: Some(version),
        ..ctx()
    }
}

#[tokio::test]
async fn a_stream_kept_by_one_process_and_moved_by_another_is_caught_up_not_trusted() {
    let db = common::fresh_db().await;
    // Two handlers with writers of their own: two processes on one database.
    let here = CommandHandler::new(EventStore::new(db.pool.clone()));
    let there = CommandHandler::new(EventStore::new(db.pool.clone()));
    let id = Uuid::now_v7();
    here.execute::<Institution>(&ctx(), id, &register(id)).await.unwrap();

    // `here` keeps the stream at version 1; `there` allocates (version 2).
    let allocation = Uuid::now_v7();
    there
        .execute::<Institution>(&ctx(), id, &allocate(allocation, 500))
        .await
        .unwrap();

    // Correcting that allocation needs the event `here` has not seen: deciding
    // on what it kept would refuse it as unknown.
    let corrected = here
        .execute::<Institution>(&ctx(), id, &correct(allocation, 700))
        .await
        .unwrap();
    assert_eq!(corrected.stream_version, 3);

    // An expected version ahead of what `here` kept is checked against the stream.
    there
        .execute::<Institution>(&ctx(), id, &allocate(Uuid::now_v7(), 100))
        .await
        .unwrap();
    let fourth = here
        .execute::<Institution>(&expecting(4), id, &allocate(Uuid::now_v7(), 100))
        .await
        .unwrap();
    assert_eq!(fourth.stream_version, 5);

    // An expectation behind the stream is a conflict, naming the stream's version.
    let stale = here
        .execute::<Institution>(&expecting(2), id, &allocate(Uuid::now_v7(), 1))
        .await;
    assert!(
        matches!(stale, Err(CommandError::Conflict { expected: 2, actual: 5 })),
        "{stale:?}"
    );

    // A read of the aggregate from `there` sees what `here` wrote.
    let (state, version) = there.state::<Institution>(id).await.unwrap();
    assert_eq!(version, 5);
    assert_eq!(allocated(&state), 700 + 100 + 100);
    db.drop_db().await;
}

#[tokio::test]
async fn a_repeated_command_id_answers_as_the_first_time_without_writing_again() {
    let db = common::fresh_db().await;
    let commands = CommandHandler::new(EventStore::new(db.pool.clone()));
    let id = Uuid::now_v7();
    let first_ctx = ctx();
    let first = commands
        .execute::<Institution>(&first_ctx, id, &register(id))
        .await
        .unwrap();
    assert!(!first.duplicate);

    // Deciding it again would be refused ("already registered"); the answer is the first result.
    let again = commands
        .execute::<Institution>(&first_ctx, id, &register(id))
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(
        (again.position, again.stream_version),
        (first.position, first.stream_version)
    );

    // A repeated allocation would be accepted again; the writer knows its id.
    let allocation_ctx = ctx();
    let allocation = allocate(Uuid::now_v7(), 10);
    let once = commands
        .execute::<Institution>(&allocation_ctx, id, &allocation)
        .await
        .unwrap();
    let twice = commands
        .execute::<Institution>(&allocation_ctx, id, &allocation)
        .await
        .unwrap();
    assert!(twice.duplicate);
    assert_eq!(twice.position, once.position);
    let (state, version) = commands.state::<Institution>(id).await.unwrap();
    assert_eq!((allocated(&state), version), (10, 2));

    // A new command after the repeats decides on the right state.
    let refused = commands.execute::<Institution>(&ctx(), id, &register(id)).await;
    assert!(
        matches!(&refused, Err(CommandError::Rejected(e)) if e.code == ErrorCode::AlreadyExists),
        "{refused:?}"
    );
    db.drop_db().await;
}
