//! The plan as data (issue 21): the Learning and Development Plan
//! 2021–2027's priorities, measures and result indicators (seed 000,
//! annex 2), its financing and planned learners (annex 5) and the State
//! Chancellery's yearly targets (seed 001), kept in `data/` and published
//! as events of one `Plan` aggregate, so that the indicators are defined
//! by the log like everything else. The State Chancellery supplements the
//! plan as the plan allows: it defines an indicator on a measure, changes
//! a target, retires an indicator. See `docs/kpis.md` §4.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::kpi::{Computation, FactKind, Unit};
use crate::validate::{self, MAX_REASON_CHARS};
use crate::{Decider, DomainError, ErrorCode};

/// Annex 2, annex 5 and seed 001's targets, extracted from the Latvian
/// sources (`shared/seeds/000_…`, `001_…`): the plan as first published.
pub const PUBLISHED_PLAN: &str = include_str!("../data/plan-2021-2027.json");

/// An indicator's text is a sentence or two of the annex.
pub const MAX_INDICATOR_CHARS: usize = 1000;

/// What an indicator is measured against, as the annex states it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Target {
    /// At least this many (people, events).
    AtLeastCount { value: u32 },
    /// At least this share of a population, in percent.
    AtLeastPercent { value: u8 },
    /// Between `min` and `max`, both included (2.1: 20–30 active trainers).
    RangeCount { min: u32, max: u32 },
    /// One in every unit (1.1 #4: a trust person from every state institution).
    Every { unit: CoverageUnit },
    /// A yes/no thing: set up, created, published.
    Milestone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CoverageUnit {
    StateInstitution,
    Resor,
}

impl Target {
    /// Refused on the part at fault, under `field` (`target` or
    /// `secondaryTarget`), as the input names it.
    fn validated(self, field: &'static str) -> Result<Self, DomainError> {
        let (value, max) = if field == "target" {
            ("target.value", "target.max")
        } else {
            ("secondaryTarget.value", "secondaryTarget.max")
        };
        let bad = |part, message: &str| Err(DomainError::on(part, ErrorCode::OutOfRange, message.to_owned()));
        match self {
            Target::AtLeastCount { value: 0 } => bad(value, "a count target is at least 1"),
            Target::AtLeastPercent { value: p } if !(1..=100).contains(&p) => bad(value, "a share is 1 to 100 %"),
            Target::RangeCount { min, max: m } if min > m || m == 0 => bad(max, "a range runs from min up to max"),
            target => Ok(target),
        }
    }
}

/// An indicator's targets, each valid; a second one only beside a first.
fn targets(first: Option<Target>, second: Option<Target>) -> Result<(Option<Target>, Option<Target>), DomainError> {
    if first.is_none() && second.is_some() {
        return Err(DomainError::on(
            "secondaryTarget",
            ErrorCode::InvalidValue,
            "a second target stands beside a first",
        ));
    }
    Ok((
        first.map(|t| t.validated("target")).transpose()?,
        second.map(|t| t.validated("secondaryTarget")).transpose()?,
    ))
}

/// A target's kind, as a client names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TargetKind {
    AtLeastCount,
    AtLeastPercent,
    RangeCount,
    Every,
    Milestone,
}

/// A target as a client writes it: a kind and the numbers it needs, which
/// may be missing or out of any range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TargetSpec {
    pub kind: TargetKind,
    pub value: Option<i64>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub unit: Option<CoverageUnit>,
}

impl TargetSpec {
    /// The target, its parts refused on the input fields under `under`
    /// (`target` or `secondaryTarget`).
    fn target(self, under: &'static str) -> Result<Target, DomainError> {
        let [value, min, max, unit] = if under == "target" {
            ["target.value", "target.min", "target.max", "target.unit"]
        } else {
            [
                "secondaryTarget.value",
                "secondaryTarget.min",
                "secondaryTarget.max",
                "secondaryTarget.unit",
            ]
        };
        let number = |n: Option<i64>, field: &'static str| -> Result<u32, DomainError> {
            let n = n.ok_or_else(|| DomainError::on(field, ErrorCode::Required, "required with this kind"))?;
            u32::try_from(n).map_err(|_| DomainError::on(field, ErrorCode::OutOfRange, "out of range"))
        };
        Ok(match self.kind {
            TargetKind::AtLeastCount => Target::AtLeastCount {
                value: number(self.value, value)?,
            },
            // Past 255 it stays past 100, which `Target::validated` refuses.
            TargetKind::AtLeastPercent => Target::AtLeastPercent {
                value: u8::try_from(number(self.value, value)?).unwrap_or(u8::MAX),
            },
            TargetKind::RangeCount => Target::RangeCount {
                min: number(self.min, min)?,
                max: number(self.max, max)?,
            },
            TargetKind::Every => Target::Every {
                unit: self
                    .unit
                    .ok_or_else(|| DomainError::on(unit, ErrorCode::Required, "required with this kind"))?,
            },
            TargetKind::Milestone => Target::Milestone,
        })
    }
}

/// The targets a client wrote, each valid; a second one only beside a first.
fn specified(
    first: Option<TargetSpec>,
    second: Option<TargetSpec>,
) -> Result<(Option<Target>, Option<Target>), DomainError> {
    targets(
        first.map(|t| t.target("target")).transpose()?,
        second.map(|t| t.target("secondaryTarget")).transpose()?,
    )
}

/// One result indicator of a measure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Indicator {
    /// 1, 2, … within its measure, as the annex numbers them.
    pub number: u8,
    pub text_lv: String,
    pub text_en: String,
    pub target: Option<Target>,
    /// A second target of the same indicator (1.1 #4: every institution,
    /// and at least 200 trained in all).
    pub secondary_target: Option<Target>,
    /// How the KPI engine computes it, or why it cannot; none for an
    /// indicator defined without one (`docs/kpis.md` §4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computation: Option<Computation>,
}

impl Indicator {
    fn validated(self) -> Result<Self, DomainError> {
        let (target, secondary_target) = targets(self.target, self.secondary_target)?;
        if let Some(Computation::Computed { series }) = &self.computation {
            let needed = usize::from(target.is_some()) + usize::from(secondary_target.is_some());
            if series.is_empty() || series.len() < needed {
                return Err(DomainError::on(
                    "computation.series",
                    ErrorCode::InvalidValue,
                    "a computed indicator has a series for each of its targets",
                ));
            }
        }
        Ok(Self {
            text_lv: validate::text("textLv", &self.text_lv, MAX_INDICATOR_CHARS)?,
            text_en: validate::text("textEn", &self.text_en, MAX_INDICATOR_CHARS)?,
            target,
            secondary_target,
            ..self
        })
    }
}

/// One measure of annex 2, with its result indicators as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Measure {
    /// "1.1" to "5.5": the priority's number, then the measure's.
    pub code: String,
    pub title_lv: String,
    pub title_en: String,
    /// The "Darbības rezultāts" (outputs) column, bullet by bullet.
    pub outputs_lv: Vec<String>,
    pub responsible: Vec<String>,
    pub co_responsible: Vec<String>,
    pub cooperating: Vec<String>,
    /// The year the measure is due ("Izpildes termiņš").
    pub deadline_year: i32,
    pub indicators: Vec<Indicator>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FundingSource {
    StateBudget,
    Eu,
    Total,
}

/// A year's funding of a priority from annex 5, in euro cents.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct YearFunding {
    pub year: i32,
    pub source: FundingSource,
    pub amount_cents: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Priority {
    /// 1 to 5.
    pub number: u8,
    pub title_lv: String,
    pub title_en: String,
    /// The indicative funding annex 2 states, in euro cents.
    pub indicative_funding_cents: Option<i64>,
    pub funding_note_lv: Option<String>,
    /// Annex 5's planned learners over the period (none for P4 and P5:
    /// the source's table stops after P3).
    pub planned_learners: Option<u32>,
    pub funding_by_year: Vec<YearFunding>,
    pub measures: Vec<Measure>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Direction {
    AtLeast,
    /// Turnover: lower is better.
    AtMost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearTarget {
    pub year: i32,
    pub value: u8,
}

/// One of seed 001's yearly targets (the State Chancellery's strategy
/// 2025–2029, set for its own staff).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChancelleryTarget {
    /// The strategy's objective, such as "M2.3"; several share one.
    pub code: String,
    pub text_lv: String,
    pub text_en: String,
    /// Always "PERCENT" in seed 001's learning targets.
    pub unit: String,
    pub direction: Direction,
    pub targets: Vec<YearTarget>,
    pub note: String,
}

/// The plan as published.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanContent {
    /// "lap-2021-2027".
    pub code: String,
    pub title_lv: String,
    pub title_en: String,
    pub source: String,
    pub priorities: Vec<Priority>,
    pub chancellery_targets: Vec<ChancelleryTarget>,
}

impl PlanContent {
    /// The plan in `data/`, read once. A malformed file is a build defect
    /// that a test catches; the error says where.
    pub fn published() -> Result<&'static Self, String> {
        static PUBLISHED: LazyLock<Result<PlanContent, String>> =
            LazyLock::new(|| serde_json::from_str(PUBLISHED_PLAN).map_err(|e| e.to_string()));
        PUBLISHED.as_ref().map_err(Clone::clone)
    }

    /// The plan's id: the same wherever and whenever it is published.
    pub fn id(&self) -> Uuid {
        Uuid::new_v5(&PLAN_NAMESPACE, self.code.as_bytes())
    }

    /// Numbered without gaps, codes under their priority, each indicator
    /// valid.
    fn validated(mut self) -> Result<Self, DomainError> {
        for (p, priority) in self.priorities.iter_mut().enumerate() {
            if usize::from(priority.number) != p + 1 {
                return Err(DomainError::on(
                    "priorities.number",
                    ErrorCode::InvalidValue,
                    "priorities are numbered 1, 2, … in order",
                ));
            }
            for (m, measure) in priority.measures.iter_mut().enumerate() {
                if measure.code != format!("{}.{}", priority.number, m + 1) {
                    return Err(DomainError::on(
                        "measures.code",
                        ErrorCode::InvalidValue,
                        format!(
                            "measure {} is out of place under priority {}",
                            measure.code, priority.number
                        ),
                    ));
                }
                let indicators = std::mem::take(&mut measure.indicators);
                for (i, indicator) in indicators.into_iter().enumerate() {
                    if usize::from(indicator.number) != i + 1 {
                        return Err(DomainError::on(
                            "indicators.number",
                            ErrorCode::InvalidValue,
                            format!("the indicators of {} are numbered 1, 2, … in order", measure.code),
                        ));
                    }
                    measure.indicators.push(indicator.validated()?);
                }
            }
        }
        Ok(self)
    }
}

/// Namespace of the plan's ids.
const PLAN_NAMESPACE: Uuid = Uuid::from_u128(0x7072_6173_6d65_706c_616e_0000_0000_0001);

/// An indicator's id: its measure's code and its number, such as "1.1.4".
pub fn indicator_id(measure: &str, number: u8) -> String {
    format!("{measure}.{number}")
}

/// What progress against an indicator the State Chancellery records:
/// the things annex 2 counts that no other event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProgressKind {
    /// Set up, created, adopted (a network, a group, a handbook).
    MilestoneReached,
    /// A methodological or good-practice material published.
    MaterialPublished,
    /// An institution joined (the innovation network) or took up a shared
    /// tool (the learning platform's shared space).
    InstitutionJoined,
    /// An activity held (a sprint, a prototype implemented).
    ActivityHeld,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanCommand {
    Publish {
        plan_id: Uuid,
        content: PlanContent,
    },
    /// The State Chancellery adds an indicator to a measure; it takes the
    /// measure's next number.
    DefineIndicator {
        measure: String,
        text_lv: String,
        text_en: String,
        target: Option<TargetSpec>,
        secondary_target: Option<TargetSpec>,
    },
    ChangeIndicatorTarget {
        indicator_id: String,
        target: Option<TargetSpec>,
        secondary_target: Option<TargetSpec>,
        reason: String,
    },
    RetireIndicator {
        indicator_id: String,
        reason: String,
    },
    /// The institution's existence is checked by the caller.
    RecordProgress {
        record_id: Uuid,
        indicator_id: String,
        kind: ProgressKind,
        institution_id: Option<Uuid>,
        occurred_on: NaiveDate,
        title: String,
    },
    /// A correction: the record stays in the history, and stops counting.
    WithdrawProgress {
        record_id: Uuid,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum PlanEvent {
    /// The plan as published, every indicator of annex 2 included.
    PlanPublished { plan_id: Uuid, content: PlanContent },
    IndicatorDefined {
        plan_id: Uuid,
        indicator_id: String,
        measure: String,
        indicator: Indicator,
    },
    IndicatorTargetChanged {
        plan_id: Uuid,
        indicator_id: String,
        target: Option<Target>,
        secondary_target: Option<Target>,
        reason: String,
    },
    IndicatorRetired {
        plan_id: Uuid,
        indicator_id: String,
        reason: String,
    },
    /// Progress the indicator counts: the KPI engine's `RECORDED` facts.
    PlanProgressRecorded {
        plan_id: Uuid,
        record_id: Uuid,
        indicator_id: String,
        kind: ProgressKind,
        institution_id: Option<Uuid>,
        occurred_on: NaiveDate,
        title: String,
    },
    PlanProgressWithdrawn {
        plan_id: Uuid,
        record_id: Uuid,
        indicator_id: String,
        reason: String,
    },
}

crate::domain_event!(PlanEvent {
    PlanPublished,
    IndicatorDefined,
    IndicatorTargetChanged,
    IndicatorRetired,
    PlanProgressRecorded,
    PlanProgressWithdrawn,
});

/// Whether an indicator counts recorded progress, and of what.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordsProgress {
    No,
    /// Each record counts (a material, a sprint, a milestone).
    Things,
    /// Each institution named counts once.
    Institutions,
}

/// What the plan's commands are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndicatorState {
    pub target: Option<Target>,
    pub secondary_target: Option<Target>,
    pub retired: bool,
    pub records: RecordsProgress,
}

impl From<&Indicator> for IndicatorState {
    fn from(i: &Indicator) -> Self {
        let recorded = match &i.computation {
            Some(Computation::Computed { series }) => series.iter().find(|s| s.fact == FactKind::Recorded),
            _ => None,
        };
        Self {
            target: i.target,
            secondary_target: i.secondary_target,
            retired: false,
            records: match recorded.map(|s| s.unit) {
                None => RecordsProgress::No,
                Some(Unit::Institutions) => RecordsProgress::Institutions,
                Some(_) => RecordsProgress::Things,
            },
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub id: Option<Uuid>,
    /// Each measure's code and its indicators' count.
    pub measures: BTreeMap<String, u8>,
    pub indicators: BTreeMap<String, IndicatorState>,
    /// Progress records by id: their indicator, and whether withdrawn.
    pub progress: BTreeMap<Uuid, (String, bool)>,
}

impl Plan {
    fn published(&self) -> Result<Uuid, DomainError> {
        // No input names the plan: there is one.
        self.id
            .ok_or_else(|| DomainError::new(ErrorCode::NotFound, None, "the plan is not published"))
    }

    fn live(&self, indicator_id: &str) -> Result<IndicatorState, DomainError> {
        match self.indicators.get(indicator_id) {
            None => Err(DomainError::on(
                "indicatorId",
                ErrorCode::NotFound,
                "the plan has no indicator with this id",
            )),
            Some(i) if i.retired => Err(DomainError::on(
                "indicatorId",
                ErrorCode::InvalidValue,
                "the indicator is retired",
            )),
            Some(i) => Ok(*i),
        }
    }
}

impl Decider for Plan {
    type Command = PlanCommand;
    type Event = PlanEvent;
    type State = Plan;

    fn stream_id(id: Uuid) -> String {
        format!("plan-{id}")
    }

    fn decide(command: &PlanCommand, state: &Plan) -> Result<Vec<PlanEvent>, DomainError> {
        match command {
            PlanCommand::Publish { plan_id, content } => {
                if state.id.is_some() {
                    return Err(DomainError::on(
                        "planId",
                        ErrorCode::AlreadyExists,
                        "the plan is published",
                    ));
                }
                Ok(vec![PlanEvent::PlanPublished {
                    plan_id: *plan_id,
                    content: content.clone().validated()?,
                }])
            }
            PlanCommand::DefineIndicator {
                measure,
                text_lv,
                text_en,
                target: first,
                secondary_target,
            } => {
                let plan_id = state.published()?;
                let Some(count) = state.measures.get(measure) else {
                    return Err(DomainError::on(
                        "measure",
                        ErrorCode::NotFound,
                        "the plan has no measure with this code",
                    ));
                };
                let number = count.checked_add(1).ok_or_else(|| {
                    DomainError::on(
                        "measure",
                        ErrorCode::OutOfRange,
                        "the measure has all the indicators it can",
                    )
                })?;
                let (target, secondary_target) = specified(*first, *secondary_target)?;
                let indicator = Indicator {
                    number,
                    text_lv: text_lv.clone(),
                    text_en: text_en.clone(),
                    target,
                    secondary_target,
                    computation: None,
                }
                .validated()?;
                Ok(vec![PlanEvent::IndicatorDefined {
                    plan_id,
                    indicator_id: indicator_id(measure, number),
                    measure: measure.clone(),
                    indicator,
                }])
            }
            PlanCommand::ChangeIndicatorTarget {
                indicator_id,
                target: first,
                secondary_target,
                reason,
            } => {
                let plan_id = state.published()?;
                let current = state.live(indicator_id)?;
                let (first, secondary) = specified(*first, *secondary_target)?;
                if (current.target, current.secondary_target) == (first, secondary) {
                    return Err(DomainError::on(
                        "target",
                        ErrorCode::NothingToChange,
                        "the indicator has these targets",
                    ));
                }
                Ok(vec![PlanEvent::IndicatorTargetChanged {
                    plan_id,
                    indicator_id: indicator_id.clone(),
                    target: first,
                    secondary_target: secondary,
                    reason: validate::text("reason", reason, MAX_REASON_CHARS)?,
                }])
            }
            PlanCommand::RetireIndicator { indicator_id, reason } => {
                let plan_id = state.published()?;
                state.live(indicator_id)?;
                Ok(vec![PlanEvent::IndicatorRetired {
                    plan_id,
                    indicator_id: indicator_id.clone(),
                    reason: validate::text("reason", reason, MAX_REASON_CHARS)?,
                }])
            }
            PlanCommand::RecordProgress {
                record_id,
                indicator_id,
                kind,
                institution_id,
                occurred_on,
                title,
            } => {
                let plan_id = state.published()?;
                let indicator = state.live(indicator_id)?;
                match (indicator.records, institution_id) {
                    (RecordsProgress::No, _) => {
                        return Err(DomainError::on(
                            "indicatorId",
                            ErrorCode::InvalidValue,
                            "the indicator is computed from other events, not from recorded progress",
                        ))
                    }
                    (RecordsProgress::Institutions, None) => {
                        return Err(DomainError::on(
                            "institutionId",
                            ErrorCode::Required,
                            "the indicator counts institutions: name the one this is about",
                        ))
                    }
                    _ => {}
                }
                validate::year("occurredOn", occurred_on.year())?;
                if state.progress.contains_key(record_id) {
                    return Err(DomainError::on(
                        "recordId",
                        ErrorCode::AlreadyExists,
                        "a progress record has this id",
                    ));
                }
                Ok(vec![PlanEvent::PlanProgressRecorded {
                    plan_id,
                    record_id: *record_id,
                    indicator_id: indicator_id.clone(),
                    kind: *kind,
                    institution_id: *institution_id,
                    occurred_on: *occurred_on,
                    title: validate::text("title", title, MAX_INDICATOR_CHARS)?,
                }])
            }
            PlanCommand::WithdrawProgress { record_id, reason } => {
                let plan_id = state.published()?;
                match state.progress.get(record_id) {
                    None => Err(DomainError::on(
                        "recordId",
                        ErrorCode::NotFound,
                        "no progress record has this id",
                    )),
                    Some((_, true)) => Err(DomainError::on(
                        "recordId",
                        ErrorCode::InvalidValue,
                        "the record is withdrawn",
                    )),
                    Some((indicator_id, false)) => Ok(vec![PlanEvent::PlanProgressWithdrawn {
                        plan_id,
                        record_id: *record_id,
                        indicator_id: indicator_id.clone(),
                        reason: validate::text("reason", reason, MAX_REASON_CHARS)?,
                    }]),
                }
            }
        }
    }

    fn evolve(mut state: Plan, event: &PlanEvent) -> Plan {
        match event {
            PlanEvent::PlanPublished { plan_id, content } => {
                state.id = Some(*plan_id);
                for measure in content.priorities.iter().flat_map(|p| &p.measures) {
                    state
                        .measures
                        .insert(measure.code.clone(), measure.indicators.len() as u8);
                    for i in &measure.indicators {
                        state.indicators.insert(indicator_id(&measure.code, i.number), i.into());
                    }
                }
            }
            PlanEvent::IndicatorDefined {
                indicator_id,
                measure,
                indicator,
                ..
            } => {
                state.measures.insert(measure.clone(), indicator.number);
                state.indicators.insert(indicator_id.clone(), indicator.into());
            }
            PlanEvent::IndicatorTargetChanged {
                indicator_id,
                target,
                secondary_target,
                ..
            } => {
                if let Some(i) = state.indicators.get_mut(indicator_id) {
                    i.target = *target;
                    i.secondary_target = *secondary_target;
                }
            }
            PlanEvent::IndicatorRetired { indicator_id, .. } => {
                if let Some(i) = state.indicators.get_mut(indicator_id) {
                    i.retired = true;
                }
            }
            PlanEvent::PlanProgressRecorded {
                record_id,
                indicator_id,
                ..
            } => {
                state.progress.insert(*record_id, (indicator_id.clone(), false));
            }
            PlanEvent::PlanProgressWithdrawn { record_id, .. } => {
                if let Some(r) = state.progress.get_mut(record_id) {
                    r.1 = true;
                }
            }
        }
        state
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DomainEvent;
    use PlanCommand as C;
    use PlanEvent as E;

    fn content() -> PlanContent {
        PlanContent::published().expect("the published plan parses").clone()
    }

    fn published() -> Vec<E> {
        let content = content();
        vec![E::PlanPublished {
            plan_id: content.id(),
            content,
        }]
    }

    /// A target as a client would write it.
    fn spec(kind: TargetKind, value: i64) -> Option<TargetSpec> {
        Some(TargetSpec {
            kind,
            value: Some(value),
            min: None,
            max: None,
            unit: None,
        })
    }

    fn when(given: &[E], command: C) -> Result<Vec<E>, DomainError> {
        Plan::decide(&command, &Plan::fold(given))
    }

    fn refusal(r: Result<Vec<E>, DomainError>) -> (ErrorCode, Option<&'static str>) {
        let e = r.expect_err("refused");
        (e.code, e.field)
    }

    #[test]
    fn the_published_plan_holds_annex_2_whole() {
        let plan = content();
        let measures: Vec<&str> = plan
            .priorities
            .iter()
            .flat_map(|p| &p.measures)
            .map(|m| m.code.as_str())
            .collect();
        assert_eq!(
            measures,
            [
                "1.1", "1.2", "1.3", "1.4", "1.5", "1.6", "1.7", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3",
                "3.4", "4.1", "4.2", "4.3", "5.1", "5.2", "5.3", "5.4", "5.5"
            ]
        );
        let indicator = |code: &str, n: usize| {
            plan.priorities
                .iter()
                .flat_map(|p| &p.measures)
                .find(|m| m.code == code)
                .map(|m| m.indicators[n - 1].clone())
                .unwrap()
        };
        // The targets the annex states in numbers (DOMAIN.md, in bold).
        assert_eq!(indicator("3.1", 1).target, Some(Target::AtLeastPercent { value: 80 }));
        assert_eq!(indicator("3.2", 1).target, Some(Target::AtLeastPercent { value: 50 }));
        assert_eq!(indicator("1.3", 1).target, Some(Target::AtLeastCount { value: 300 }));
        assert_eq!(
            (indicator("1.1", 4).target, indicator("1.1", 4).secondary_target),
            (
                Some(Target::Every {
                    unit: CoverageUnit::StateInstitution
                }),
                Some(Target::AtLeastCount { value: 200 })
            )
        );
        assert_eq!(
            indicator("1.5", 2).target,
            Some(Target::Every {
                unit: CoverageUnit::Resor
            })
        );
        assert_eq!(
            indicator("2.1", 2).target,
            Some(Target::RangeCount { min: 20, max: 30 })
        );
        assert_eq!(plan.priorities[3].indicative_funding_cents, Some(820_000_000));
        assert!(plan.clone().validated().is_ok());
    }

    #[test]
    fn publishing_names_every_indicator_once_and_only_once() {
        let then = when(
            &[],
            C::Publish {
                plan_id: content().id(),
                content: content(),
            },
        )
        .unwrap();
        let state = Plan::fold(&then);
        assert_eq!(state.measures.len(), 23);
        assert_eq!(state.indicators.len(), 71);
        assert_eq!(state.measures["1.1"], 6);
        assert_eq!(
            refusal(when(
                &then,
                C::Publish {
                    plan_id: content().id(),
                    content: content()
                }
            )),
            (ErrorCode::AlreadyExists, Some("planId"))
        );
        let payload = then[0].to_payload();
        assert_eq!(E::from_stored("PlanPublished", 1, &payload).unwrap(), then[0]);
    }

    #[test]
    fn a_plan_numbered_out_of_order_is_refused() {
        let mut plan = content();
        plan.priorities[0].measures[1].code = "1.9".into();
        assert_eq!(
            refusal(when(
                &[],
                C::Publish {
                    plan_id: plan.id(),
                    content: plan
                }
            )),
            (ErrorCode::InvalidValue, Some("measures.code"))
        );
    }

    #[test]
    fn a_defined_indicator_takes_the_measures_next_number() {
        let define = |measure: &str, target| C::DefineIndicator {
            measure: measure.into(),
            text_lv: "Iestāžu skaits, kas izmanto attīstības matricu".into(),
            text_en: "Institutions using the development matrix".into(),
            target,
            secondary_target: None,
        };
        let then = when(&published(), define("3.1", spec(TargetKind::AtLeastCount, 40))).unwrap();
        assert!(
            matches!(&then[..], [E::IndicatorDefined { indicator_id, indicator, .. }]
            if indicator_id == "3.1.5" && indicator.number == 5)
        );
        assert_eq!(
            refusal(when(&published(), define("6.1", None))),
            (ErrorCode::NotFound, Some("measure"))
        );
        assert_eq!(
            refusal(when(&published(), define("3.1", spec(TargetKind::AtLeastPercent, 101)))),
            (ErrorCode::OutOfRange, Some("target.value"))
        );
        assert_eq!(refusal(when(&[], define("3.1", None))), (ErrorCode::NotFound, None));
        let no_value = TargetSpec {
            value: None,
            ..spec(TargetKind::AtLeastCount, 0).unwrap()
        };
        assert_eq!(
            refusal(when(&published(), define("3.1", Some(no_value)))),
            (ErrorCode::Required, Some("target.value"))
        );
        assert_eq!(
            refusal(when(&published(), define("3.1", spec(TargetKind::AtLeastCount, -1)))),
            (ErrorCode::OutOfRange, Some("target.value"))
        );
        let second_alone = C::DefineIndicator {
            measure: "3.1".into(),
            text_lv: "t".into(),
            text_en: "t".into(),
            target: None,
            secondary_target: spec(TargetKind::Milestone, 0),
        };
        assert_eq!(
            refusal(when(&published(), second_alone)),
            (ErrorCode::InvalidValue, Some("secondaryTarget"))
        );
    }

    #[test]
    fn a_target_changes_with_a_reason_and_a_retired_indicator_takes_no_change() {
        let change = |target| C::ChangeIndicatorTarget {
            indicator_id: "3.1.1".into(),
            target,
            secondary_target: None,
            reason: "Valdības lēmums".into(),
        };
        let mut given = published();
        given.extend(when(&given, change(spec(TargetKind::AtLeastPercent, 90))).unwrap());
        assert_eq!(
            Plan::fold(&given).indicators["3.1.1"].target,
            Some(Target::AtLeastPercent { value: 90 })
        );
        assert_eq!(
            refusal(when(&given, change(spec(TargetKind::AtLeastPercent, 90)))),
            (ErrorCode::NothingToChange, Some("target"))
        );
        let retire = C::RetireIndicator {
            indicator_id: "3.1.1".into(),
            reason: "Aizstāts ar 3.1.5".into(),
        };
        given.extend(when(&given, retire.clone()).unwrap());
        assert_eq!(
            refusal(when(&given, retire)),
            (ErrorCode::InvalidValue, Some("indicatorId"))
        );
        assert_eq!(
            refusal(when(&given, change(None))),
            (ErrorCode::InvalidValue, Some("indicatorId"))
        );
        let unknown = C::RetireIndicator {
            indicator_id: "9.9.9".into(),
            reason: "x".into(),
        };
        assert_eq!(
            refusal(when(&given, unknown)),
            (ErrorCode::NotFound, Some("indicatorId"))
        );
    }
}
