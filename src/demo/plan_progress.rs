//! The State Chancellery's side of the plan in the demo: progress no
//! other event carries (networks set up, materials published, institutions
//! joining the innovation network, laboratory sprints), and targets it set
//! on some of annex 2's monitoring counts, as the plan allows it to
//! supplement them. With these, the dashboard shows each priority with
//! indicators met, on track and at risk (`tests/demo.rs`).

use chrono::NaiveDate;
use prasme_commands::{ChangeIndicatorTarget, CommandError, RecordPlanProgress, UseCases};
use prasme_domain::plan::{ProgressKind, TargetKind, TargetSpec};
use uuid::Uuid;

use super::{context, Loaded, NAMESPACE};

/// One record: (indicator, what, institution by name, when, title).
type Record = (
    &'static str,
    ProgressKind,
    Option<&'static str>,
    (i32, u32, u32),
    &'static str,
);

const RECORDS: [Record; 14] = [
    (
        "1.6.2",
        ProgressKind::MilestoneReached,
        None,
        (2024, 10, 15),
        "Izveidots iekšējo pasniedzēju un mentoru tīkls",
    ),
    (
        "2.3.2",
        ProgressKind::MilestoneReached,
        None,
        (2023, 5, 4),
        "Izveidota starpnozaru diskusiju grupa",
    ),
    (
        "3.4.1",
        ProgressKind::MilestoneReached,
        None,
        (2025, 2, 20),
        "Izveidota un apmācīta pārmaiņu vadības grupa",
    ),
    (
        "1.2.3",
        ProgressKind::MaterialPublished,
        None,
        (2022, 3, 1),
        "Vadlīnijas trauksmes cēlēju aizsardzībai",
    ),
    (
        "1.2.3",
        ProgressKind::MaterialPublished,
        None,
        (2023, 6, 12),
        "Metodiskais materiāls atbildīgajām personām",
    ),
    (
        "5.2.3",
        ProgressKind::MaterialPublished,
        None,
        (2024, 9, 2),
        "Labās prakses katalogs klientorientācijā",
    ),
    (
        "5.4.3",
        ProgressKind::MaterialPublished,
        None,
        (2025, 4, 7),
        "Nākotnes prasmju labās prakses piemēri",
    ),
    (
        "2.2.4",
        ProgressKind::ActivityHeld,
        None,
        (2023, 11, 8),
        "Inovāciju laboratorijas sprints: e-pakalpojumi",
    ),
    (
        "2.2.4",
        ProgressKind::ActivityHeld,
        None,
        (2024, 4, 17),
        "Inovāciju laboratorijas sprints: datu kopīgošana",
    ),
    (
        "2.2.4",
        ProgressKind::ActivityHeld,
        None,
        (2025, 10, 1),
        "Inovāciju laboratorijas sprints: klientu ceļš",
    ),
    (
        "2.2.3",
        ProgressKind::ActivityHeld,
        None,
        (2025, 6, 30),
        "Ieviests prototips: vienotā pieteikšanās",
    ),
    (
        "2.2.2",
        ProgressKind::InstitutionJoined,
        Some("Valsts kanceleja"),
        (2022, 2, 1),
        "Pievienojās inovāciju tīklam",
    ),
    (
        "2.2.2",
        ProgressKind::InstitutionJoined,
        Some("Valsts ieņēmumu dienests"),
        (2023, 3, 15),
        "Pievienojās inovāciju tīklam",
    ),
    (
        "1.1.5",
        ProgressKind::InstitutionJoined,
        Some("Valsts kanceleja"),
        (2022, 9, 1),
        "Izmanto kopīgo mācību vietni",
    ),
];

/// Targets the State Chancellery set on monitoring counts: (indicator, at
/// least). Annex 2 sets none on priority 5's and few on 2's and 4's.
const TARGETS: [(&str, i64); 8] = [
    ("2.2.1", 50),
    ("2.4.2", 30),
    ("3.3.1", 50),
    ("4.1.1", 24),
    ("4.2.2", 40),
    ("5.1.3", 250),
    ("5.3.1", 60),
    ("5.5.1", 35),
];

pub(super) async fn load(use_cases: &UseCases, loaded: &mut Loaded) -> Result<(), CommandError> {
    let by_name = |name: &str| {
        super::budget::institutions()
            .into_iter()
            .find(|d| d.name == name)
            .map(|d| super::budget::institution_id(&d))
    };
    for (n, (indicator, kind, institution, (y, m, d), title)) in RECORDS.iter().enumerate() {
        let id = Uuid::new_v5(&NAMESPACE, format!("plan-progress:{n}").as_bytes());
        let record = RecordPlanProgress {
            record_id: id,
            indicator_id: (*indicator).to_owned(),
            kind: *kind,
            institution_id: institution.and_then(by_name),
            occurred_on: NaiveDate::from_ymd_opt(*y, *m, *d).unwrap_or_default(),
            title: (*title).to_owned(),
        };
        loaded.count(&use_cases.record_plan_progress(&context(id), record).await?);
    }
    for (indicator, at_least) in TARGETS {
        let id = Uuid::new_v5(&NAMESPACE, format!("plan-target:{indicator}").as_bytes());
        let change = ChangeIndicatorTarget {
            indicator_id: indicator.to_owned(),
            target: Some(TargetSpec {
                kind: TargetKind::AtLeastCount,
                value: Some(at_least),
                min: None,
                max: None,
                unit: None,
            }),
            secondary_target: None,
            reason: "Valsts kancelejas noteiktais mērķis uzraudzības rādītājam".to_owned(),
        };
        loaded.count(&use_cases.change_indicator_target(&context(id), change).await?);
    }
    Ok(())
}
