//! 360-degree feedback cycles (issue 20): raters in relationship groups rate
//! one employee on a framework's competencies, anonymously by construction.
//! See `docs/competencies.md`, "360-degree feedback: anonymity by
//! construction".
//!
//! While a cycle is open its submissions are not events: the application
//! layer keeps each one sealed under the cycle's key, beside the HMAC
//! pseudonym of its invitation, and hands them all over at close. The log
//! then gets them in pseudonym order, so neither an event's position nor
//! its time says who submitted when, and no event names an invitation.
//! Keys, HMACs and sealing stay in the application layer; the domain sees
//! their outputs as opaque strings.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::competency::Framework;
use crate::employee::SealedPersonalData;
use crate::validate::{self, MAX_REASON_CHARS};
use crate::{Decider, DomainError, ErrorCode};

/// What the API assumes when the minimum raters per group is not given.
pub const DEFAULT_MIN_RATERS: u8 = 3;
/// At 2, either rater of a released group would learn the other's answers
/// by subtracting their own; above 10 few groups in an institution would
/// ever be released.
pub const MIN_RATERS: std::ops::RangeInclusive<u8> = 3..=10;
/// A cycle's report stays readable, and a rater's form short enough to fill in.
pub const MAX_COMPETENCIES: usize = 30;
/// Keeps the cycle's state, and the close that writes every submission at
/// once, small.
pub const MAX_INVITATIONS: usize = 50;
pub const MAX_COMMENT_CHARS: usize = 1000;

/// The rater's relationship to the subject: the group their answers are
/// counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Relationship {
    /// The subject rating themself (`Self` is a Rust keyword).
    #[serde(rename = "SELF")]
    Myself,
    Manager,
    Peer,
    DirectReport,
    Other,
}

impl Relationship {
    /// The subject knows who the self rater is, and a manager is usually
    /// one person whose view is meant to be seen as theirs: there is no
    /// crowd to hide in, so these groups wait for no minimum.
    pub fn exempt_from_minimum(self) -> bool {
        matches!(self, Relationship::Myself | Relationship::Manager)
    }
}

/// One competency of a cycle, copied from the framework at opening so that
/// later checks and the report need no framework.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CycleCompetency {
    pub code: String,
    pub name: String,
    /// The size of the competency's scale: levels run 1 to `levels`.
    pub levels: u8,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rating {
    /// The competency's code in the framework.
    pub competency: String,
    pub level: u8,
}

/// A validated submission: its relationship group, never its invitation or
/// rater.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Submission {
    pub relationship: Relationship,
    /// In the cycle's competency order, whatever order the rater sent.
    pub ratings: Vec<Rating>,
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupResponses {
    pub relationship: Relationship,
    pub responses: u32,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedbackCycleCommand {
    Open {
        cycle_id: Uuid,
        subject_id: Uuid,
        institution_id: Uuid,
        framework_id: Uuid,
        framework_version: u32,
        /// The framework's state, so that the competencies are checked here.
        framework: Framework,
        competencies: Vec<String>,
        deadline: NaiveDate,
        today: NaiveDate,
        min_raters: u8,
    },
    /// That a SELF invitation is for the subject is checked by the caller,
    /// which alone sees the rater before sealing.
    Invite {
        invitation_id: Uuid,
        relationship: Relationship,
        /// Sealed under the cycle's key.
        rater: SealedPersonalData,
    },
    /// Every submission accepted while the cycle was open, each beside its
    /// invitation's pseudonym.
    Close {
        submissions: Vec<(String, Submission)>,
    },
    Cancel {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all_fields = "camelCase")]
pub enum FeedbackCycleEvent {
    FeedbackCycleOpened {
        cycle_id: Uuid,
        subject_id: Uuid,
        institution_id: Uuid,
        framework_id: Uuid,
        framework_version: u32,
        competencies: Vec<CycleCompetency>,
        deadline: NaiveDate,
        min_raters: u8,
    },
    RaterInvited {
        cycle_id: Uuid,
        invitation_id: Uuid,
        relationship: Relationship,
        rater: SealedPersonalData,
    },
    /// Written only at close, in pseudonym order. The pseudonym is an HMAC
    /// of the invitation under the cycle's key, which the close destroys.
    FeedbackSubmitted {
        cycle_id: Uuid,
        pseudonym: String,
        relationship: Relationship,
        ratings: Vec<Rating>,
        comment: Option<String>,
    },
    FeedbackCycleClosed {
        cycle_id: Uuid,
        subject_id: Uuid,
        /// Every invited group, zero responses included, in relationship order.
        responses_by_group: Vec<GroupResponses>,
    },
    /// The submissions are discarded unwritten.
    FeedbackCycleCancelled {
        cycle_id: Uuid,
        subject_id: Uuid,
        reason: String,
    },
}

crate::domain_event!(FeedbackCycleEvent {
    FeedbackCycleOpened,
    RaterInvited,
    FeedbackSubmitted,
    FeedbackCycleClosed,
    FeedbackCycleCancelled,
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CycleStatus {
    Open,
    Closed,
    Cancelled,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedbackCycle {
    pub id: Option<Uuid>,
    /// `None` until opened.
    pub status: Option<CycleStatus>,
    pub subject_id: Uuid,
    pub institution_id: Uuid,
    pub framework_id: Uuid,
    pub framework_version: u32,
    pub competencies: Vec<CycleCompetency>,
    pub deadline: NaiveDate,
    pub min_raters: u8,
    pub invitations: BTreeMap<Uuid, Relationship>,
}

impl FeedbackCycle {
    fn existing(&self) -> Result<Uuid, DomainError> {
        self.id
            .ok_or_else(|| DomainError::on("cycleId", ErrorCode::NotFound, "no feedback cycle exists with this id"))
    }

    /// The cycle's id while it takes invitations and submissions; the
    /// refusal for a missing, closed or cancelled one.
    pub fn open(&self) -> Result<Uuid, DomainError> {
        let id = self.existing()?;
        match self.status {
            Some(CycleStatus::Closed) => Err(DomainError::on(
                "cycleId",
                ErrorCode::InvalidValue,
                "the cycle is closed",
            )),
            Some(CycleStatus::Cancelled) => Err(DomainError::on(
                "cycleId",
                ErrorCode::InvalidValue,
                "the cycle is cancelled",
            )),
            _ => Ok(id),
        }
    }

    /// The subject of a closed cycle: what recording the cycle's result as
    /// a "360 feedback" assessment on another aggregate checks here,
    /// refused on `field` otherwise.
    pub fn closed(&self, field: &'static str) -> Result<Uuid, DomainError> {
        self.existing().map_err(|e| DomainError {
            field: Some(field),
            ..e
        })?;
        match self.status {
            Some(CycleStatus::Closed) => Ok(self.subject_id),
            Some(CycleStatus::Cancelled) => Err(DomainError::on(
                field,
                ErrorCode::InvalidValue,
                "the cycle is cancelled",
            )),
            _ => Err(DomainError::on(
                field,
                ErrorCode::InvalidValue,
                "the cycle is still open",
            )),
        }
    }

    /// A rater's submission to this open cycle, checked and normalised, for
    /// the application layer to seal until close. A second submission on
    /// the same invitation is refused there, by its pseudonym in the side
    /// table: the domain never sees which invitations have submitted, as
    /// that would tie a submission to its invitation.
    pub fn accept_submission(
        &self,
        invitation: Uuid,
        ratings: &[Rating],
        comment: Option<&str>,
        today: NaiveDate,
    ) -> Result<Submission, DomainError> {
        self.open()?;
        let relationship = *self.invitations.get(&invitation).ok_or_else(|| {
            DomainError::on(
                "invitationId",
                ErrorCode::NotFound,
                "no rater is invited to this cycle with this invitation",
            )
        })?;
        if today > self.deadline {
            return Err(DomainError::on(
                "cycleId",
                ErrorCode::InvalidValue,
                format!("the cycle's deadline was {}", self.deadline),
            ));
        }
        if ratings.is_empty() {
            return Err(DomainError::on(
                "ratings",
                ErrorCode::Required,
                "a submission rates at least one competency",
            ));
        }
        let mut indexed: Vec<(usize, Rating)> = Vec::with_capacity(ratings.len());
        for rating in ratings {
            let (index, competency) = self
                .competencies
                .iter()
                .enumerate()
                .find(|(_, c)| c.code == rating.competency)
                .ok_or_else(|| {
                    DomainError::on(
                        "ratings.competency",
                        ErrorCode::NotFound,
                        format!("the cycle does not rate the competency {}", rating.competency),
                    )
                })?;
            if rating.level == 0 || rating.level > competency.levels {
                return Err(DomainError::on(
                    "ratings.level",
                    ErrorCode::OutOfRange,
                    format!(
                        "competency {} has levels 1 to {}, not {}",
                        competency.code, competency.levels, rating.level
                    ),
                ));
            }
            if indexed.iter().any(|(i, _)| *i == index) {
                return Err(DomainError::on(
                    "ratings.competency",
                    ErrorCode::AlreadyExists,
                    format!("the competency {} is rated twice", competency.code),
                ));
            }
            indexed.push((index, rating.clone()));
        }
        indexed.sort_by_key(|(i, _)| *i);
        let comment = comment
            .filter(|c| !c.trim().is_empty())
            .map(|c| validate::text("comment", c, MAX_COMMENT_CHARS))
            .transpose()?;
        Ok(Submission {
            relationship,
            ratings: indexed.into_iter().map(|(_, r)| r).collect(),
            comment,
        })
    }

    /// The responses a group needs before anything of it is shown.
    fn minimum(&self, relationship: Relationship) -> u32 {
        if relationship.exempt_from_minimum() {
            1
        } else {
            u32::from(self.min_raters)
        }
    }

    /// What of `submissions` a report may ever show, each in its place:
    /// `None` for a group under its minimum, and in a group that reached it
    /// the ratings of competencies enough of the group rated (the comment
    /// stays). The close writes only this, so that no event, read model or
    /// export holds an answer no report may show.
    pub fn releasable(&self, submissions: &[&Submission]) -> Vec<Option<Submission>> {
        let in_group = |r: Relationship| submissions.iter().filter(move |s| s.relationship == r);
        let rated = |r: Relationship, code: &str| {
            in_group(r)
                .filter(|s| s.ratings.iter().any(|rating| rating.competency == code))
                .count() as u32
        };
        submissions
            .iter()
            .map(|s| {
                let minimum = self.minimum(s.relationship);
                (in_group(s.relationship).count() as u32 >= minimum).then(|| Submission {
                    relationship: s.relationship,
                    ratings: s
                        .ratings
                        .iter()
                        .filter(|r| rated(s.relationship, &r.competency) >= minimum)
                        .cloned()
                        .collect(),
                    comment: s.comment.clone(),
                })
            })
            .collect()
    }

    /// The invited groups and their response counts, in relationship order.
    pub fn responses_by_group(&self, submissions: &[&Submission]) -> Vec<GroupResponses> {
        let mut groups: Vec<Relationship> = self.invitations.values().copied().collect();
        groups.sort();
        groups.dedup();
        groups
            .into_iter()
            .map(|relationship| GroupResponses {
                relationship,
                responses: submissions.iter().filter(|s| s.relationship == relationship).count() as u32,
            })
            .collect()
    }
}

impl Decider for FeedbackCycle {
    type Command = FeedbackCycleCommand;
    type Event = FeedbackCycleEvent;
    type State = FeedbackCycle;

    fn stream_id(id: Uuid) -> String {
        format!("feedback-cycle-{id}")
    }

    fn decide(command: &FeedbackCycleCommand, state: &FeedbackCycle) -> Result<Vec<FeedbackCycleEvent>, DomainError> {
        match command {
            FeedbackCycleCommand::Open {
                cycle_id,
                subject_id,
                institution_id,
                framework_id,
                framework_version,
                framework,
                competencies,
                deadline,
                today,
                min_raters,
            } => {
                if state.id.is_some() {
                    return Err(DomainError::on(
                        "cycleId",
                        ErrorCode::AlreadyExists,
                        "a feedback cycle with this id exists",
                    ));
                }
                if framework.id != Some(*framework_id) {
                    return Err(DomainError::on(
                        "frameworkId",
                        ErrorCode::NotFound,
                        "no competency framework is published with this id",
                    ));
                }
                if competencies.is_empty() {
                    return Err(DomainError::on(
                        "competencies",
                        ErrorCode::Required,
                        "a cycle rates at least one competency",
                    ));
                }
                if competencies.len() > MAX_COMPETENCIES {
                    return Err(DomainError::on(
                        "competencies",
                        ErrorCode::OutOfRange,
                        format!(
                            "a cycle rates at most {MAX_COMPETENCIES} competencies, got {}",
                            competencies.len()
                        ),
                    ));
                }
                let mut snapshot: Vec<CycleCompetency> = Vec::with_capacity(competencies.len());
                for code in competencies {
                    let competency = framework
                        .assessable(*framework_version, code, 1)
                        .map_err(|e| match e.field {
                            Some("competency") => DomainError {
                                field: Some("competencies"),
                                ..e
                            },
                            _ => e,
                        })?;
                    if snapshot.iter().any(|c| c.code == competency.code) {
                        return Err(DomainError::on(
                            "competencies",
                            ErrorCode::AlreadyExists,
                            format!("the competency {code} is named twice"),
                        ));
                    }
                    snapshot.push(CycleCompetency {
                        code: competency.code.clone(),
                        name: competency.name.clone(),
                        levels: competency.levels.len() as u8,
                    });
                }
                if deadline < today {
                    return Err(DomainError::on(
                        "deadline",
                        ErrorCode::OutOfRange,
                        format!("the deadline {deadline} is before today, {today}"),
                    ));
                }
                if !MIN_RATERS.contains(min_raters) {
                    return Err(DomainError::on(
                        "minRaters",
                        ErrorCode::OutOfRange,
                        format!(
                            "the minimum raters per group is {} to {}, not {min_raters}",
                            MIN_RATERS.start(),
                            MIN_RATERS.end()
                        ),
                    ));
                }
                Ok(vec![FeedbackCycleEvent::FeedbackCycleOpened {
                    cycle_id: *cycle_id,
                    subject_id: *subject_id,
                    institution_id: *institution_id,
                    framework_id: *framework_id,
                    framework_version: *framework_version,
                    competencies: snapshot,
                    deadline: *deadline,
                    min_raters: *min_raters,
                }])
            }
            FeedbackCycleCommand::Invite {
                invitation_id,
                relationship,
                rater,
            } => {
                let cycle_id = state.open()?;
                if state.invitations.contains_key(invitation_id) {
                    return Err(DomainError::on(
                        "invitationId",
                        ErrorCode::AlreadyExists,
                        "an invitation with this id exists",
                    ));
                }
                // One person each, shown alone: a second would be shown
                // beside the first as if they were one.
                if relationship.exempt_from_minimum() && state.invitations.values().any(|r| r == relationship) {
                    return Err(DomainError::on(
                        "relationship",
                        ErrorCode::AlreadyExists,
                        format!("the cycle already has its {relationship:?} rater"),
                    ));
                }
                if state.invitations.len() >= MAX_INVITATIONS {
                    return Err(DomainError::on(
                        "cycleId",
                        ErrorCode::OutOfRange,
                        format!("a cycle has at most {MAX_INVITATIONS} raters"),
                    ));
                }
                Ok(vec![FeedbackCycleEvent::RaterInvited {
                    cycle_id,
                    invitation_id: *invitation_id,
                    relationship: *relationship,
                    rater: rater.clone(),
                }])
            }
            FeedbackCycleCommand::Close { submissions } => {
                let cycle_id = state.open()?;
                let mut sorted: Vec<&(String, Submission)> = submissions.iter().collect();
                sorted.sort_by(|a, b| a.0.cmp(&b.0));
                if sorted.windows(2).any(|w| w[0].0 == w[1].0) {
                    return Err(DomainError::on(
                        "submissions",
                        ErrorCode::AlreadyExists,
                        "a pseudonym submitted twice",
                    ));
                }
                let accepted: Vec<&Submission> = sorted.iter().map(|(_, s)| s).collect();
                // Each invitation submits once, so a group never outnumbers its invitations.
                let invited = |r: Relationship| state.invitations.values().filter(|i| **i == r).count();
                let submitted = |r: Relationship| accepted.iter().filter(|s| s.relationship == r).count();
                if let Some(s) = accepted
                    .iter()
                    .find(|s| submitted(s.relationship) > invited(s.relationship))
                {
                    return Err(DomainError::on(
                        "submissions",
                        ErrorCode::InvalidValue,
                        format!("more {:?} submissions than invitations", s.relationship),
                    ));
                }
                let responses_by_group = state.responses_by_group(&accepted);
                let mut events: Vec<FeedbackCycleEvent> = sorted
                    .iter()
                    .zip(state.releasable(&accepted))
                    .filter_map(|((pseudonym, _), kept)| {
                        kept.map(|s| FeedbackCycleEvent::FeedbackSubmitted {
                            cycle_id,
                            pseudonym: pseudonym.clone(),
                            relationship: s.relationship,
                            ratings: s.ratings,
                            comment: s.comment,
                        })
                    })
                    .collect();
                events.push(FeedbackCycleEvent::FeedbackCycleClosed {
                    cycle_id,
                    subject_id: state.subject_id,
                    responses_by_group,
                });
                Ok(events)
            }
            FeedbackCycleCommand::Cancel { reason } => {
                let cycle_id = state.open()?;
                Ok(vec![FeedbackCycleEvent::FeedbackCycleCancelled {
                    cycle_id,
                    subject_id: state.subject_id,
                    reason: validate::text("reason", reason, MAX_REASON_CHARS)?,
                }])
            }
        }
    }

    fn evolve(mut state: FeedbackCycle, event: &FeedbackCycleEvent) -> FeedbackCycle {
        match event {
            FeedbackCycleEvent::FeedbackCycleOpened {
                cycle_id,
                subject_id,
                institution_id,
                framework_id,
                framework_version,
                competencies,
                deadline,
                min_raters,
            } => {
                state.id = Some(*cycle_id);
                state.status = Some(CycleStatus::Open);
                state.subject_id = *subject_id;
                state.institution_id = *institution_id;
                state.framework_id = *framework_id;
                state.framework_version = *framework_version;
                state.competencies = competencies.clone();
                state.deadline = *deadline;
                state.min_raters = *min_raters;
            }
            FeedbackCycleEvent::RaterInvited {
                invitation_id,
                relationship,
                ..
            } => {
                state.invitations.insert(*invitation_id, *relationship);
            }
            // The report reads submissions from the events; the state needs none.
            FeedbackCycleEvent::FeedbackSubmitted { .. } => {}
            FeedbackCycleEvent::FeedbackCycleClosed { .. } => state.status = Some(CycleStatus::Closed),
            FeedbackCycleEvent::FeedbackCycleCancelled { .. } => state.status = Some(CycleStatus::Cancelled),
        }
        state
    }
}

/// A cycle's 360 report.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Every invited group, in relationship order.
    pub groups: Vec<GroupReport>,
    /// One per competency of the cycle, in its order.
    pub gaps: Vec<Gap>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupReport {
    pub relationship: Relationship,
    pub responses: u32,
    /// Whether `results` are shown.
    pub released: bool,
    /// `None` unless released: an unreleased group shows only its count.
    pub results: Option<GroupResults>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupResults {
    /// One per competency of the cycle, in its order.
    pub averages: Vec<Average>,
    /// Without attribution, sorted so that their order says nothing of
    /// who wrote them or when.
    pub comments: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Average {
    pub competency: String,
    /// `None` when too few of the group rated this competency: in a group
    /// that must reach a minimum, the same minimum applies to each
    /// competency, or one rater's level would show where the others
    /// skipped it. Too few and none look alike, so which it is stays
    /// hidden too.
    pub average: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Gap {
    pub competency: String,
    /// The self rating less the average of every rating shown in the other
    /// groups' averages; `None` when either side is missing.
    pub self_vs_others_gap: Option<f64>,
}

/// The report of `cycle` with its `responses` per group, over the
/// `submissions` its close wrote (`FeedbackCycle::releasable`; given more,
/// it shows no more). Results show only once the cycle is closed, as a
/// result changing with each submission would tell whoever knows who just
/// submitted what they said; until then every group shows its count alone.
pub fn report(cycle: &FeedbackCycle, responses: &[GroupResponses], submissions: &[Submission]) -> Report {
    let closed = cycle.status == Some(CycleStatus::Closed);
    let all: Vec<&Submission> = submissions.iter().collect();
    // Per competency, the ratings inside shown averages of groups other than
    // self. Only shown cells go in: a hidden group's ratings in the others'
    // average would come out again by subtracting the shown groups.
    let mut others: Vec<Vec<u8>> = vec![Vec::new(); cycle.competencies.len()];
    let mut self_levels: Vec<Vec<u8>> = vec![Vec::new(); cycle.competencies.len()];
    let groups = responses
        .iter()
        .map(
            |&GroupResponses {
                 relationship,
                 responses,
             }| {
                let minimum = cycle.minimum(relationship);
                let released = closed && responses >= minimum;
                let results = released.then(|| {
                    let group: Vec<&Submission> =
                        all.iter().copied().filter(|s| s.relationship == relationship).collect();
                    let averages = cycle
                        .competencies
                        .iter()
                        .enumerate()
                        .map(|(i, c)| {
                            let levels: Vec<u8> = group
                                .iter()
                                .flat_map(|s| &s.ratings)
                                .filter(|r| r.competency == c.code)
                                .map(|r| r.level)
                                .collect();
                            let shown = levels.len() as u32 >= minimum;
                            if shown {
                                if relationship == Relationship::Myself {
                                    self_levels[i].extend(&levels);
                                } else {
                                    others[i].extend(&levels);
                                }
                            }
                            Average {
                                competency: c.code.clone(),
                                average: if shown { mean(&levels) } else { None },
                            }
                        })
                        .collect();
                    let mut comments: Vec<String> = group.iter().filter_map(|s| s.comment.clone()).collect();
                    comments.sort();
                    GroupResults { averages, comments }
                });
                GroupReport {
                    relationship,
                    responses,
                    released,
                    results,
                }
            },
        )
        .collect();
    let gaps = cycle
        .competencies
        .iter()
        .enumerate()
        .map(|(i, c)| Gap {
            competency: c.code.clone(),
            self_vs_others_gap: mean(&self_levels[i]).zip(mean(&others[i])).map(|(s, o)| s - o),
        })
        .collect();
    Report { groups, gaps }
}

fn mean(levels: &[u8]) -> Option<f64> {
    (!levels.is_empty()).then(|| levels.iter().map(|l| f64::from(*l)).sum::<f64>() / levels.len() as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::competency::{Area, Competency, FrameworkContent, FrameworkEvent, Level};
    use crate::DomainEvent;
    use FeedbackCycleCommand as C;

    /// The report over what the close writes of `submissions`: the
    /// responses counted over them all, the answers trimmed to what may show.
    fn report(cycle: &FeedbackCycle, submissions: &[Submission]) -> Report {
        let all: Vec<&Submission> = submissions.iter().collect();
        let written: Vec<Submission> = cycle.releasable(&all).into_iter().flatten().collect();
        super::report(cycle, &cycle.responses_by_group(&all), &written)
    }
    use FeedbackCycleEvent as E;
    use Relationship::{DirectReport, Manager, Myself, Other, Peer};

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn framework_id() -> Uuid {
        Uuid::from_u128(20)
    }

    fn cycle_id() -> Uuid {
        Uuid::from_u128(360)
    }

    fn invitation(n: u128) -> Uuid {
        Uuid::from_u128(1000 + n)
    }

    /// Leadership: "L-1" and "L-2" on four levels; digital: "D-1" on eight.
    fn framework() -> Framework {
        let competency = |code: &str, levels: u8| Competency {
            code: code.into(),
            name: format!("Competency {code}"),
            levels: (1..=levels)
                .map(|number| Level {
                    number,
                    name: format!("Level {number}"),
                    description: "Shows it".into(),
                    band: None,
                })
                .collect(),
            required: vec![],
        };
        Framework::fold(&[FrameworkEvent::CompetencyFrameworkPublished {
            framework_id: framework_id(),
            version: 1,
            content: FrameworkContent {
                title: "Leadership".into(),
                areas: vec![Area {
                    code: "L".into(),
                    name: "Leading".into(),
                    competencies: vec![competency("L-1", 4), competency("L-2", 4), competency("D-1", 8)],
                }],
            },
        }])
    }

    fn open(competencies: &[&str], deadline: &str, min_raters: u8) -> C {
        open_on(framework(), 1, competencies, deadline, min_raters)
    }

    fn open_on(framework: Framework, version: u32, competencies: &[&str], deadline: &str, min_raters: u8) -> C {
        C::Open {
            cycle_id: cycle_id(),
            subject_id: Uuid::from_u128(1),
            institution_id: Uuid::from_u128(10),
            framework_id: framework_id(),
            framework_version: version,
            framework,
            competencies: competencies.iter().map(|c| c.to_string()).collect(),
            deadline: date(deadline),
            today: date("2025-03-01"),
            min_raters,
        }
    }

    fn opened() -> E {
        E::FeedbackCycleOpened {
            cycle_id: cycle_id(),
            subject_id: Uuid::from_u128(1),
            institution_id: Uuid::from_u128(10),
            framework_id: framework_id(),
            framework_version: 1,
            competencies: vec![
                CycleCompetency {
                    code: "L-1".into(),
                    name: "Competency L-1".into(),
                    levels: 4,
                },
                CycleCompetency {
                    code: "L-2".into(),
                    name: "Competency L-2".into(),
                    levels: 4,
                },
            ],
            deadline: date("2025-03-31"),
            min_raters: DEFAULT_MIN_RATERS,
        }
    }

    fn sealed(n: u128) -> SealedPersonalData {
        SealedPersonalData {
            nonce: format!("{n:02x}"),
            ciphertext: "ff".into(),
        }
    }

    fn invited(n: u128, relationship: Relationship) -> E {
        E::RaterInvited {
            cycle_id: cycle_id(),
            invitation_id: invitation(n),
            relationship,
            rater: sealed(n),
        }
    }

    /// Opened, with the self rater (1), a manager (2), three peers (3–5),
    /// two direct reports (6–7) and one other (8) invited.
    fn with_raters() -> Vec<E> {
        let mut events = vec![opened()];
        events.extend(
            [Myself, Manager, Peer, Peer, Peer, DirectReport, DirectReport, Other]
                .into_iter()
                .zip(1..)
                .map(|(r, n)| invited(n, r)),
        );
        events
    }

    fn closed() -> E {
        E::FeedbackCycleClosed {
            cycle_id: cycle_id(),
            subject_id: Uuid::from_u128(1),
            responses_by_group: vec![],
        }
    }

    fn when(given: &[E], command: C) -> Result<Vec<E>, DomainError> {
        FeedbackCycle::decide(&command, &FeedbackCycle::fold(given))
    }

    fn code<T: std::fmt::Debug>(r: Result<T, DomainError>) -> (ErrorCode, Option<&'static str>) {
        let e = r.expect_err("refused");
        (e.code, e.field)
    }

    fn rating(competency: &str, level: u8) -> Rating {
        Rating {
            competency: competency.into(),
            level,
        }
    }

    fn submission(relationship: Relationship, l1: u8, l2: u8, comment: Option<&str>) -> Submission {
        Submission {
            relationship,
            ratings: vec![rating("L-1", l1), rating("L-2", l2)],
            comment: comment.map(str::to_owned),
        }
    }

    fn on_day(given: &[E], n: u128, ratings: &[Rating], today: &str) -> Result<Submission, DomainError> {
        FeedbackCycle::fold(given).accept_submission(invitation(n), ratings, Some("  Listens well  "), date(today))
    }

    #[test]
    fn opening_copies_each_competency_with_its_scale() {
        let then = when(&[], open(&["L-1", "L-2"], "2025-03-31", DEFAULT_MIN_RATERS));
        assert_eq!(then, Ok(vec![opened()]));
        assert_eq!(
            FeedbackCycle::stream_id(cycle_id()),
            format!("feedback-cycle-{}", cycle_id())
        );
        let again = when(&[opened()], open(&["L-1"], "2025-03-31", 3));
        assert_eq!(code(again), (ErrorCode::AlreadyExists, Some("cycleId")));
    }

    #[test]
    fn opening_refuses_bad_competencies_deadlines_and_minimums() {
        let too_many: Vec<String> = (0..=MAX_COMPETENCIES).map(|i| format!("X-{i}")).collect();
        let too_many: Vec<&str> = too_many.iter().map(String::as_str).collect();
        for (command, refusal) in [
            (open(&[], "2025-03-31", 3), (ErrorCode::Required, Some("competencies"))),
            (
                open(&too_many, "2025-03-31", 3),
                (ErrorCode::OutOfRange, Some("competencies")),
            ),
            (
                open(&["L-9"], "2025-03-31", 3),
                (ErrorCode::NotFound, Some("competencies")),
            ),
            (
                open(&["L-1", "D-1", "L-1"], "2025-03-31", 3),
                (ErrorCode::AlreadyExists, Some("competencies")),
            ),
            (
                open(&["L-1"], "2025-02-28", 3),
                (ErrorCode::OutOfRange, Some("deadline")),
            ),
            (
                open(&["L-1"], "2025-03-31", 1),
                (ErrorCode::OutOfRange, Some("minRaters")),
            ),
            (
                open(&["L-1"], "2025-03-31", 11),
                (ErrorCode::OutOfRange, Some("minRaters")),
            ),
        ] {
            assert_eq!(code(when(&[], command)), refusal);
        }
        let other_framework = open_on(Framework::default(), 1, &["L-1"], "2025-03-31", 3);
        assert_eq!(
            code(when(&[], other_framework)),
            (ErrorCode::NotFound, Some("frameworkId"))
        );
        let no_such_version = open_on(framework(), 2, &["L-1"], "2025-03-31", 3);
        assert_eq!(
            code(when(&[], no_such_version)),
            (ErrorCode::NotFound, Some("frameworkVersion"))
        );
        let mut retired = framework();
        retired.retired = true;
        let retired = open_on(retired, 1, &["L-1"], "2025-03-31", 3);
        assert_eq!(code(when(&[], retired)), (ErrorCode::InvalidValue, Some("frameworkId")));
        assert!(
            when(&[], open(&["L-1"], "2025-03-01", 10)).is_ok(),
            "the deadline may be today"
        );
    }

    #[test]
    fn only_one_self_rater_and_each_invitation_once() {
        let given = [opened(), invited(1, Myself)];
        let invite = |n: u128, relationship| C::Invite {
            invitation_id: invitation(n),
            relationship,
            rater: sealed(n),
        };
        assert_eq!(
            code(when(&given, invite(2, Myself))),
            (ErrorCode::AlreadyExists, Some("relationship"))
        );
        assert_eq!(
            code(when(&given, invite(1, Peer))),
            (ErrorCode::AlreadyExists, Some("invitationId"))
        );
        assert_eq!(when(&given, invite(2, Peer)), Ok(vec![invited(2, Peer)]));
        assert_eq!(code(when(&[], invite(2, Peer))), (ErrorCode::NotFound, Some("cycleId")));
        let full: Vec<E> = std::iter::once(opened())
            .chain((0..MAX_INVITATIONS as u128).map(|n| invited(n, Peer)))
            .collect();
        assert_eq!(
            code(when(&full, invite(99, Other))),
            (ErrorCode::OutOfRange, Some("cycleId"))
        );
    }

    #[test]
    fn a_submission_is_checked_normalised_and_keeps_only_its_group() {
        let given = with_raters();
        let accepted = on_day(&given, 3, &[rating("L-2", 4), rating("L-1", 1)], "2025-03-31").unwrap();
        assert_eq!(
            accepted,
            Submission {
                relationship: Peer,
                ratings: vec![rating("L-1", 1), rating("L-2", 4)],
                comment: Some("Listens well".into()),
            }
        );
        let blank = FeedbackCycle::fold(&given)
            .accept_submission(invitation(3), &[rating("L-1", 2)], Some("   "), date("2025-03-02"))
            .unwrap();
        assert_eq!(blank.comment, None);
        let long = "x".repeat(MAX_COMMENT_CHARS + 1);
        let too_long = FeedbackCycle::fold(&given).accept_submission(
            invitation(3),
            &[rating("L-1", 2)],
            Some(&long),
            date("2025-03-02"),
        );
        assert_eq!(code(too_long), (ErrorCode::TooLong, Some("comment")));
    }

    #[test]
    fn a_submission_is_refused_uninvited_off_scale_unknown_or_late() {
        let given = with_raters();
        let ok = [rating("L-1", 3)];
        for (n, ratings, today, refusal) in [
            (99, &ok[..], "2025-03-02", (ErrorCode::NotFound, Some("invitationId"))),
            (3, &ok[..], "2025-04-01", (ErrorCode::InvalidValue, Some("cycleId"))),
            (3, &[], "2025-03-02", (ErrorCode::Required, Some("ratings"))),
            (
                3,
                &[rating("D-1", 3)],
                "2025-03-02",
                (ErrorCode::NotFound, Some("ratings.competency")),
            ),
            (
                3,
                &[rating("L-1", 5)],
                "2025-03-02",
                (ErrorCode::OutOfRange, Some("ratings.level")),
            ),
            (
                3,
                &[rating("L-1", 0)],
                "2025-03-02",
                (ErrorCode::OutOfRange, Some("ratings.level")),
            ),
            (
                3,
                &[rating("L-1", 1), rating("L-1", 2)],
                "2025-03-02",
                (ErrorCode::AlreadyExists, Some("ratings.competency")),
            ),
        ] {
            assert_eq!(
                code(on_day(&given, n, ratings, today)),
                refusal,
                "{ratings:?} on {today}"
            );
        }
    }

    #[test]
    fn nothing_is_submitted_to_a_closed_or_cancelled_cycle_and_neither_closes_again() {
        let cancelled = E::FeedbackCycleCancelled {
            cycle_id: cycle_id(),
            subject_id: Uuid::from_u128(1),
            reason: "the subject left".into(),
        };
        for (end, message) in [(closed(), "the cycle is closed"), (cancelled, "the cycle is cancelled")] {
            let mut given = with_raters();
            given.push(end);
            let refused = on_day(&given, 3, &[rating("L-1", 3)], "2025-03-02").unwrap_err();
            assert_eq!(
                (refused.code, refused.field, refused.message.as_str()),
                (ErrorCode::InvalidValue, Some("cycleId"), message)
            );
            let close = C::Close { submissions: vec![] };
            assert_eq!(code(when(&given, close)), (ErrorCode::InvalidValue, Some("cycleId")));
            let cancel = C::Cancel { reason: "again".into() };
            assert_eq!(code(when(&given, cancel)), (ErrorCode::InvalidValue, Some("cycleId")));
            let invite = C::Invite {
                invitation_id: invitation(50),
                relationship: Peer,
                rater: sealed(50),
            };
            assert_eq!(code(when(&given, invite)), (ErrorCode::InvalidValue, Some("cycleId")));
        }
    }

    #[test]
    fn closing_counts_a_group_under_its_minimum_but_writes_none_of_its_answers() {
        let lone_l2 = Submission {
            relationship: Peer,
            ratings: vec![rating("L-1", 2), rating("L-2", 1)],
            comment: Some("Only I rated L-2".into()),
        };
        let l1_only = |level| Submission {
            relationship: Peer,
            ratings: vec![rating("L-1", level)],
            comment: None,
        };
        let submissions = vec![
            ("a".to_string(), submission(DirectReport, 1, 1, Some("Harsh"))),
            ("b".to_string(), submission(DirectReport, 2, 2, None)),
            ("c".to_string(), lone_l2),
            ("d".to_string(), l1_only(3)),
            ("e".to_string(), l1_only(4)),
        ];
        let then = when(&with_raters(), C::Close { submissions }).unwrap();
        let written: Vec<(&str, &[Rating], Option<&str>)> = then
            .iter()
            .filter_map(|e| match e {
                E::FeedbackSubmitted {
                    pseudonym,
                    ratings,
                    comment,
                    ..
                } => Some((pseudonym.as_str(), ratings.as_slice(), comment.as_deref())),
                _ => None,
            })
            .collect();
        let l1 = |level| [rating("L-1", level)];
        assert_eq!(
            written,
            [
                ("c", &l1(2)[..], Some("Only I rated L-2")),
                ("d", &l1(3)[..], None),
                ("e", &l1(4)[..], None),
            ],
            "the two direct reports are not written, nor the one peer rating of L-2"
        );
        let Some(E::FeedbackCycleClosed { responses_by_group, .. }) = then.last() else {
            panic!("{then:?}")
        };
        let count = |r| {
            responses_by_group
                .iter()
                .find(|g| g.relationship == r)
                .map(|g| g.responses)
        };
        assert_eq!((count(DirectReport), count(Peer)), (Some(2), Some(3)));
    }

    #[test]
    fn closing_writes_the_submissions_in_pseudonym_order_without_invitations() {
        let given = with_raters();
        let submissions = vec![
            ("c3".to_string(), submission(Peer, 3, 3, Some("Clear goals"))),
            ("a1".to_string(), submission(Myself, 4, 2, None)),
            ("b2".to_string(), submission(Peer, 2, 3, None)),
            ("d4".to_string(), submission(Peer, 1, 1, None)),
        ];
        let then = when(&given, C::Close { submissions }).unwrap();
        let pseudonyms: Vec<&str> = then
            .iter()
            .filter_map(|e| match e {
                E::FeedbackSubmitted { pseudonym, .. } => Some(pseudonym.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(pseudonyms, ["a1", "b2", "c3", "d4"]);
        assert_eq!(
            then.last(),
            Some(&E::FeedbackCycleClosed {
                cycle_id: cycle_id(),
                subject_id: Uuid::from_u128(1),
                responses_by_group: [(Myself, 1), (Manager, 0), (Peer, 3), (DirectReport, 0), (Other, 0)]
                    .map(|(relationship, responses)| GroupResponses {
                        relationship,
                        responses
                    })
                    .to_vec(),
            })
        );
        let log = serde_json::to_string(&then.iter().map(DomainEvent::to_payload).collect::<Vec<_>>()).unwrap();
        for n in 1..=8 {
            assert!(
                !log.contains(&invitation(n).to_string()),
                "invitation {n} is in the log"
            );
        }
        assert!(!log.contains("invitation"), "{log}");
        let state = FeedbackCycle::fold(given.iter().chain(&then));
        assert_eq!(state.status, Some(CycleStatus::Closed));
    }

    #[test]
    fn closing_refuses_a_pseudonym_twice_or_a_group_outnumbering_its_invitations() {
        let given = with_raters();
        let twice = vec![
            ("a1".to_string(), submission(Peer, 3, 3, None)),
            ("a1".to_string(), submission(Peer, 2, 2, None)),
        ];
        let refused = when(&given, C::Close { submissions: twice });
        assert_eq!(code(refused), (ErrorCode::AlreadyExists, Some("submissions")));
        let two_managers = vec![
            ("a1".to_string(), submission(Manager, 3, 3, None)),
            ("b2".to_string(), submission(Manager, 2, 2, None)),
        ];
        let refused = when(
            &given,
            C::Close {
                submissions: two_managers,
            },
        );
        assert_eq!(code(refused), (ErrorCode::InvalidValue, Some("submissions")));
        let uninvited_group = vec![("a1".to_string(), submission(Other, 3, 3, None))];
        let refused = when(
            &[opened()],
            C::Close {
                submissions: uninvited_group,
            },
        );
        assert_eq!(code(refused), (ErrorCode::InvalidValue, Some("submissions")));
    }

    #[test]
    fn cancelling_needs_a_reason_and_writes_no_submissions() {
        let given = with_raters();
        let blank = when(&given, C::Cancel { reason: " ".into() });
        assert_eq!(code(blank), (ErrorCode::Required, Some("reason")));
        let then = when(
            &given,
            C::Cancel {
                reason: " the subject left ".into(),
            },
        );
        assert_eq!(
            then,
            Ok(vec![E::FeedbackCycleCancelled {
                cycle_id: cycle_id(),
                subject_id: Uuid::from_u128(1),
                reason: "the subject left".into(),
            }])
        );
        let state = FeedbackCycle::fold(given.iter().chain(&then.unwrap()));
        assert_eq!(
            code(state.closed("feedbackCycleId")),
            (ErrorCode::InvalidValue, Some("feedbackCycleId"))
        );
    }

    #[test]
    fn only_a_closed_cycle_gives_a_result_to_record_as_an_assessment() {
        let mut given = with_raters();
        let open = FeedbackCycle::fold(&given);
        assert_eq!(
            code(open.closed("feedbackCycleId")),
            (ErrorCode::InvalidValue, Some("feedbackCycleId"))
        );
        assert_eq!(
            code(FeedbackCycle::default().closed("feedbackCycleId")),
            (ErrorCode::NotFound, Some("feedbackCycleId"))
        );
        given.push(closed());
        assert_eq!(
            FeedbackCycle::fold(&given).closed("feedbackCycleId"),
            Ok(Uuid::from_u128(1))
        );
    }

    fn closed_cycle() -> FeedbackCycle {
        let mut given = with_raters();
        given.push(closed());
        FeedbackCycle::fold(&given)
    }

    fn group(report: &Report, relationship: Relationship) -> &GroupReport {
        report.groups.iter().find(|g| g.relationship == relationship).unwrap()
    }

    fn averages(group: &GroupReport) -> Vec<Option<f64>> {
        group
            .results
            .as_ref()
            .unwrap()
            .averages
            .iter()
            .map(|a| a.average)
            .collect()
    }

    #[test]
    fn a_group_under_its_minimum_shows_its_count_alone_while_exempt_groups_show_at_one() {
        let submissions = [
            submission(Myself, 4, 4, Some("I delegate well")),
            submission(Manager, 2, 3, Some("Needs to delegate")),
            submission(DirectReport, 1, 1, Some("Never delegates")),
            submission(DirectReport, 2, 1, None),
        ];
        let report = report(&closed_cycle(), &submissions);
        let reports = group(&report, DirectReport);
        assert_eq!(
            (reports.responses, reports.released, &reports.results),
            (2, false, &None)
        );
        let json = serde_json::to_string(&report).unwrap();
        assert!(!json.contains("Never delegates"), "{json}");
        let own = group(&report, Myself);
        assert!(own.released);
        assert_eq!(averages(own), [Some(4.0), Some(4.0)]);
        let manager = group(&report, Manager);
        assert_eq!(averages(manager), [Some(2.0), Some(3.0)]);
        assert_eq!(manager.results.as_ref().unwrap().comments, ["Needs to delegate"]);
        let peers = group(&report, Peer);
        assert_eq!((peers.responses, peers.released), (0, false));
    }

    #[test]
    fn a_released_group_shows_averages_and_sorted_comments_and_the_self_gap() {
        let submissions = [
            submission(Myself, 4, 2, None),
            submission(Peer, 3, 2, Some("Too many meetings")),
            submission(Peer, 2, 3, Some("Always available")),
            submission(Peer, 1, 4, None),
            submission(Manager, 2, 3, None),
        ];
        let report = report(&closed_cycle(), &submissions);
        let peers = group(&report, Peer);
        assert!(peers.released);
        assert_eq!(averages(peers), [Some(2.0), Some(3.0)]);
        assert_eq!(
            peers.results.as_ref().unwrap().comments,
            ["Always available", "Too many meetings"]
        );
        // Others on L-1: 3, 2, 1 and 2 average 2, so self's 4 is 2 above; on L-2, 3 against 2.
        let gaps: Vec<Option<f64>> = report.gaps.iter().map(|g| g.self_vs_others_gap).collect();
        assert_eq!(gaps, [Some(2.0), Some(-1.0)]);
        let without_self = self::report(&closed_cycle(), &submissions[1..]);
        assert!(without_self.gaps.iter().all(|g| g.self_vs_others_gap.is_none()));
    }

    #[test]
    fn an_unreleased_group_does_not_leak_through_the_others_average() {
        let base = [
            submission(Myself, 4, 4, None),
            submission(Manager, 2, 2, None),
            submission(Peer, 3, 3, None),
            submission(Peer, 3, 3, None),
            submission(Peer, 3, 3, None),
        ];
        let with_reports = |level: u8, comment: &str| {
            let mut all = base.to_vec();
            all.push(submission(DirectReport, level, level, Some(comment)));
            all.push(submission(DirectReport, level, level, None));
            report(&closed_cycle(), &all)
        };
        let low = with_reports(1, "Harsh");
        let high = with_reports(4, "Kind");
        assert_eq!(
            low, high,
            "the hidden direct reports' ratings and comments change nothing shown"
        );
        assert_eq!(group(&low, DirectReport).responses, 2);
        assert_eq!(low.gaps[0].self_vs_others_gap, Some(4.0 - 2.75));
    }

    #[test]
    fn a_competency_too_few_of_a_released_group_rated_stays_hidden_everywhere() {
        let one_rated_l2 = Submission {
            relationship: Peer,
            ratings: vec![rating("L-1", 3), rating("L-2", 1)],
            comment: None,
        };
        let skipped_l2 = |level| Submission {
            relationship: Peer,
            ratings: vec![rating("L-1", level)],
            comment: None,
        };
        let submissions = [
            submission(Myself, 4, 4, None),
            one_rated_l2,
            skipped_l2(3),
            skipped_l2(3),
        ];
        let report = report(&closed_cycle(), &submissions);
        assert_eq!(averages(group(&report, Peer)), [Some(3.0), None]);
        assert_eq!(
            report.gaps[1].self_vs_others_gap, None,
            "the lone peer rating of L-2 is not in it"
        );
    }

    #[test]
    fn while_the_cycle_is_open_the_report_shows_counts_only() {
        let submissions = [
            submission(Myself, 4, 4, None),
            submission(Peer, 3, 3, Some("Fine")),
            submission(Peer, 3, 3, None),
            submission(Peer, 3, 3, None),
        ];
        let report = report(&FeedbackCycle::fold(&with_raters()), &submissions);
        assert!(report.groups.iter().all(|g| !g.released && g.results.is_none()));
        assert_eq!(
            (group(&report, Peer).responses, group(&report, Myself).responses),
            (3, 1)
        );
        assert!(report.gaps.iter().all(|g| g.self_vs_others_gap.is_none()));
    }

    #[test]
    fn events_round_trip_through_their_stored_form() {
        let submitted = E::FeedbackSubmitted {
            cycle_id: cycle_id(),
            pseudonym: "9f2c".into(),
            relationship: Myself,
            ratings: vec![rating("L-1", 2)],
            comment: Some("Fair".into()),
        };
        let cancelled = E::FeedbackCycleCancelled {
            cycle_id: cycle_id(),
            subject_id: Uuid::from_u128(1),
            reason: "the subject left".into(),
        };
        let closed = E::FeedbackCycleClosed {
            cycle_id: cycle_id(),
            subject_id: Uuid::from_u128(1),
            responses_by_group: vec![GroupResponses {
                relationship: DirectReport,
                responses: 2,
            }],
        };
        assert_eq!(submitted.to_payload()["relationship"], "SELF");
        assert_eq!(
            closed.to_payload()["responsesByGroup"][0]["relationship"],
            "DIRECT_REPORT"
        );
        assert_eq!(opened().to_payload()["minRaters"], 3);
        for event in [opened(), invited(1, Peer), submitted, closed, cancelled] {
            let payload = event.to_payload();
            let back = E::from_stored(event.event_type(), E::SCHEMA_VERSION, &payload).unwrap();
            assert_eq!(back, event);
        }
        assert_eq!(E::EVENT_TYPES.len(), 5);
    }
}
