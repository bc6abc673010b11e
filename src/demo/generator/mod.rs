//! A reproducible dataset at the plan's scale (`prasme demo --scale full`):
//! about 60 000 employees across the real institutions, resors and the 43
//! municipalities, and seven years (2021–2027) of training budgets, courses,
//! offerings with every step of a place, competency assessments and talent
//! reviews, hires, transfers, role changes and departures: about 10 million
//! events.
//!
//! The API's per-command round trip would take hours for that many, so the
//! generator runs the domain's deciders in memory, against the state it
//! keeps of each aggregate, and appends what they decide in order through
//! the event store's writer (`EventStore::queue`), many appends in flight.
//! Each append carries what the API's would: the use case's input
//! fingerprint, a system actor (or the employee, for what employees do
//! themselves), the command id as correlation and causation, and the
//! business date as `occurred_at`. Personal data is sealed in the vault as
//! the use cases seal it; only the keys differ: they are derived from the
//! seed, so that the same seed gives byte-identical events (see
//! `Vault::seal_many`). The data is synthetic; real people's data goes
//! through `Vault::seal` with random keys.
//!
//! Everything comes from one seed through a small splitmix64 generator:
//! the same seed gives the same events in the same order, with the same
//! event and command ids and payloads. Only `recorded_at` (the writer's
//! clock) and so the chain's hashes differ between two runs.
//!
//! Business time runs forward day by day through an agenda; memory holds
//! one compact state per employee and institution and the offerings under
//! way, never the events.

mod reference;

use std::collections::{BTreeMap, HashMap, VecDeque};

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use prasme_commands::{
    input_extra, AllocateTrainingBudget, ApproveDevelopmentPlan, AssessCompetency, AssignManager, CancelOffering,
    CatalogueCourse, ChangeEmployeeRole, CommandError, CompleteDevelopmentActivity, CorrectTrainingAllocation,
    CreateDevelopmentPlan, DeclareRemunerationBudget, GiveFeedback, HireEmployee, PlaceChange, PlaceId, PlanActivity,
    PlanGoal, PublishCompetencyFramework, RecordAttendance, RecordCompletion, RecordEmployeeLeft, RecordGoalProgress,
    RegisterInstitution, ReviewDevelopmentPlan, ReviewTalent, ScheduleOffering, TransferEmployee, UseCase, Vault,
    VaultError,
};
use prasme_domain::assessment::{Assessment, AssessmentMethod, CompetenceCommand, CompetenceRecord, MatrixRating};
use prasme_domain::competency::{Competency, Framework, FrameworkCommand, FrameworkContent};
use prasme_domain::course::{Course, CourseCommand, CourseOwner, CourseType, OwnerLevel, OwnerParts};
use prasme_domain::development_plan::{Activity, ActivityKind, DevelopmentPlan, DevelopmentPlanCommand, Goal, Period};
use prasme_domain::employee::{Employee, EmployeeCommand, EmployeeFunction, JobGroup, PersonalData};
use prasme_domain::institution::{Institution, InstitutionCommand};
use prasme_domain::offering::{
    Attendance, Completion, Feedback, Offering, OfferingCommand, OfferingFormat, PlaceStatus, Schedule,
};
use prasme_domain::plan::{Plan, PlanCommand, PlanContent};
use prasme_domain::reference::{FundingSource, InstitutionKind, Resor, StrategicPriority};
use prasme_domain::{Cents, Decider, DomainError, DomainEvent};
use prasme_eventstore::{AppendError, EventMetadata, EventStore, ExpectedVersion, NewEvent, QueuedAppend, StoreError};
use serde::Serialize;
use uuid::Uuid;

use self::reference::{priority_of, Audience, DROP_REASONS, THEMES, VARIANTS};
use super::budget::{institution_id, Demo, Profile};
use super::frameworks::{digital, framework_id, middle_managers, top_managers};
use super::people::{ascii, MEN, SURNAMES, WOMEN};

/// Employees at the plan's scale.
pub const FULL_EMPLOYEES: usize = 60_000;
/// The seed used unless another is given.
pub const DEFAULT_SEED: u64 = 2021_2027;
/// The years generated.
pub const FIRST_YEAR: i32 = 2021;
pub const LAST_YEAR: i32 = 2027;

/// The actor of what the institutions' systems and VAS do.
const ACTOR: &str = "prasme-generator";
/// Appends queued and not yet answered; the writer's queue holds 8 192.
const IN_FLIGHT: usize = 6_000;
/// People sealed per statement at the start.
const SEAL_BATCH: usize = 2_000;
/// Places an employee takes a year, on average.
const PLACES_PER_EMPLOYEE_YEAR: u64 = 4;
/// Yearly shares of the staff, in per mille.
const LEAVING_PER_MILLE: u64 = 85;
const TRANSFER_PER_MILLE: u64 = 25;
const ROLE_CHANGE_PER_MILLE: u64 = 60;

#[derive(Debug, Clone, Copy)]
pub struct GeneratorConfig {
    pub employees: usize,
    pub seed: u64,
    /// Years from 2021 on: 7 for the plan's whole term (tests take fewer).
    pub years: u32,
}

/// What one run wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct Generated {
    pub events: u64,
    pub appends: u64,
    pub institutions: usize,
    pub courses: usize,
    pub hires: usize,
    pub offerings: usize,
    pub last_position: i64,
}

/// How far a run is, after each business day.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub date: NaiveDate,
    /// Days done of all the days generated.
    pub day: u64,
    pub days: u64,
    pub events: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum GeneratorError {
    #[error("the event log already holds {0} events: generate into an empty database")]
    NotEmpty(i64),
    #[error("{use_case:?} on {stream} was refused: {error}")]
    Refused {
        use_case: UseCase,
        stream: String,
        error: DomainError,
    },
    #[error("an append was a duplicate of an earlier one: the log is not the generator's alone")]
    Duplicate,
    #[error(transparent)]
    Append(#[from] AppendError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error(transparent)]
    Vault(#[from] VaultError),
    #[error("the published plan cannot be read: {0}")]
    Plan(String),
}

/// The splitmix64 generator: small, fast, and the same on every platform
/// and version of every dependency.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// 0 ≤ n < bound (bound > 0).
    fn below(&mut self, bound: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(bound.max(1))) >> 64) as u64
    }

    fn range(&mut self, low: i64, high_inclusive: i64) -> i64 {
        low + self.below((high_inclusive - low + 1) as u64) as i64
    }

    fn per_mille(&mut self, p: u64) -> bool {
        self.below(1000) < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// A count whose mean is `n` × `per_mille` / 1000 / `parts`, rounded at random.
    fn share(&mut self, n: u64, per_mille: u64, parts: u64) -> u64 {
        let scale = 1000 * parts;
        let scaled = n * per_mille;
        scaled / scale + u64::from(self.below(scale) < scaled % scale)
    }

    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut out = [0u8; N];
        for chunk in out.chunks_mut(8) {
            let word = self.next().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        out
    }

    fn uuid(&mut self) -> Uuid {
        uuid::Builder::from_random_bytes(self.bytes()).into_uuid()
    }
}

/// An aggregate's state and version, as the generator keeps it.
#[derive(Default)]
struct Agg<S> {
    state: S,
    version: i64,
}

/// Appends decided events, in order, many in flight.
struct Sink<'a> {
    store: &'a EventStore,
    queued: VecDeque<QueuedAppend>,
    ids: Rng,
    generated: Generated,
    /// Business time of the current day; each command a millisecond later.
    day_start: DateTime<Utc>,
    tick: i64,
}

impl Sink<'_> {
    fn start_day(&mut self, date: NaiveDate) {
        let six = date.and_hms_opt(6, 0, 0).unwrap_or_default();
        self.day_start = Utc.from_utc_datetime(&six);
        self.tick = 0;
    }

    fn command_id(&mut self) -> Uuid {
        self.ids.uuid()
    }

    /// Decides `command` on `agg`, queues the events, and evolves `agg`.
    async fn run<D: Decider>(
        &mut self,
        agg: &mut Agg<D::State>,
        id: Uuid,
        command: D::Command,
        (use_case, input): (UseCase, &impl Serialize),
        actor: &str,
    ) -> Result<(), GeneratorError> {
        let stream = D::stream_id(id);
        let events = D::decide(&command, &agg.state).map_err(|error| GeneratorError::Refused {
            use_case,
            stream: stream.clone(),
            error,
        })?;
        self.tick += 1;
        let occurred_at = self.day_start + chrono::Duration::milliseconds(self.tick);
        let millis = occurred_at.timestamp_millis().max(0) as u64;
        let new_events = events
            .iter()
            .map(|e| NewEvent {
                event_id: uuid::Builder::from_unix_timestamp_millis(millis, &self.ids.bytes()).into_uuid(),
                event_type: e.event_type().to_owned(),
                schema_version: D::Event::SCHEMA_VERSION,
                payload: e.to_payload(),
                occurred_at,
            })
            .collect();
        let command_id = self.command_id();
        let metadata = EventMetadata {
            extra: input_extra(use_case, input)?,
            ..EventMetadata::for_command(actor, command_id)
        };
        let queued = self
            .store
            .queue(&stream, ExpectedVersion::Exact(agg.version), metadata, new_events)
            .await?;
        self.queued.push_back(queued);
        self.generated.appends += 1;
        self.generated.events += events.len() as u64;
        agg.version += events.len() as i64;
        let state = std::mem::take(&mut agg.state);
        agg.state = events.iter().fold(state, |s, e| D::evolve(s, e));
        while self.queued.len() > IN_FLIGHT {
            self.answered().await?;
        }
        Ok(())
    }

    async fn answered(&mut self) -> Result<(), GeneratorError> {
        if let Some(queued) = self.queued.pop_front() {
            let result = queued.outcome().await?;
            if result.duplicate {
                return Err(GeneratorError::Duplicate);
            }
            self.generated.last_position = self.generated.last_position.max(result.last_position);
        }
        Ok(())
    }

    async fn drain(&mut self) -> Result<(), GeneratorError> {
        while !self.queued.is_empty() {
            self.answered().await?;
        }
        Ok(())
    }
}

struct Inst {
    id: Uuid,
    name: &'static str,
    kind: InstitutionKind,
    resor: Option<Resor>,
    payroll_eur: i64,
    share_bp: i64,
    agg: Agg<Institution>,
    /// The employee who heads it.
    head: u32,
}

struct Person {
    agg: Agg<Employee>,
    inst: u16,
    competence_version: i64,
}

impl Person {
    fn id(&self) -> Uuid {
        self.agg.state.id.unwrap_or_default()
    }

    fn has_group(&self, group: JobGroup) -> bool {
        self.agg.state.job_groups.contains(&group)
    }

    fn fits(&self, audience: Audience) -> bool {
        match audience {
            Audience::Everyone => true,
            Audience::Group(g) => self.has_group(g),
            Audience::Function(f) => self.agg.state.functions.contains(&f),
            Audience::Managers => {
                self.has_group(JobGroup::TopManager) || self.has_group(JobGroup::MiddleOrLowerManager)
            }
        }
    }
}

struct CourseInfo {
    id: Uuid,
    minutes: i32,
    knowledge_test: bool,
    audience: Audience,
    course_type: CourseType,
    organiser: &'static str,
}

/// An offering under way, until its last step.
struct Live {
    id: Uuid,
    course: usize,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    agg: Agg<Offering>,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    Schedule,
    Requests,
    Approvals,
    Drops,
    Run,
    Revocations,
    FollowUp,
}

#[derive(Debug, Clone)]
enum Task {
    Year(i32),
    Week,
    Offering(u32, Phase),
    Correction { inst: usize, allocation: Uuid },
    Assessments(i32),
    Plans(i32),
    Plan(u32, PlanStep),
}

#[derive(Debug, Clone, Copy)]
enum PlanStep {
    Approve,
    Progress,
    Activities,
    Review,
}

/// A published framework: its id, scales and competencies, in its order.
type Published = (Uuid, Vec<(String, u8)>, Vec<Competency>);

/// A course as the catalogue step builds it, before it is catalogued.
type Entry<'a> = (
    String,
    OwnerParts,
    &'a str,
    StrategicPriority,
    Vec<String>,
    CourseType,
    bool,
    i32,
    Audience,
);

/// A development plan under way, until its review.
struct LivePlan {
    id: Uuid,
    person: u32,
    agg: Agg<DevelopmentPlan>,
}

/// The whole generation's state.
struct World<'a> {
    sink: Sink<'a>,
    vault: &'a Vault,
    seed: u64,
    rng: Rng,
    namespace: Uuid,
    insts: Vec<Inst>,
    people: Vec<Person>,
    /// Employees at work, and each one's place in it.
    active: Vec<u32>,
    slot: Vec<u32>,
    courses: Vec<CourseInfo>,
    live: HashMap<u32, Live>,
    next_offering: u32,
    agenda: BTreeMap<NaiveDate, Vec<Task>>,
    today: NaiveDate,
    end: NaiveDate,
    /// Replacements to hire, by the date they start.
    vacancies: VecDeque<(NaiveDate, usize)>,
    /// Each framework's id, scales and competencies, in its order.
    frameworks: Vec<Published>,
    /// Each employee's number, by id.
    by_id: HashMap<Uuid, u32>,
    /// The published frameworks' states, for plans to check goals against.
    framework_states: Vec<Framework>,
    plans: HashMap<u32, LivePlan>,
    next_plan: u32,
    /// People generated so far, for unique e-mail addresses.
    serial: usize,
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn plus(d: NaiveDate, days: i64) -> NaiveDate {
    if days >= 0 {
        d.checked_add_days(Days::new(days as u64)).unwrap_or(d)
    } else {
        d.checked_sub_days(Days::new((-days) as u64)).unwrap_or(d)
    }
}

/// The days a run covers: from the go-live on the first working day of
/// 2021 to the end of its last year (2027 for the whole term).
fn span(years: u32) -> (NaiveDate, NaiveDate) {
    (date(FIRST_YEAR, 1, 4), date(last_year(years), 12, 31))
}

fn last_year(years: u32) -> i32 {
    FIRST_YEAR + years.clamp(1, (LAST_YEAR - FIRST_YEAR + 1) as u32) as i32 - 1
}

/// Builds the dataset into `store`, whose log must be empty.
pub async fn generate(
    store: &EventStore,
    vault: &Vault,
    config: GeneratorConfig,
    mut progress: impl FnMut(Progress),
) -> Result<Generated, GeneratorError> {
    let head = store.head_position().await?;
    if head > 0 {
        return Err(GeneratorError::NotEmpty(head));
    }
    let (start, end) = span(config.years);
    let mut world = World {
        sink: Sink {
            store,
            queued: VecDeque::new(),
            ids: Rng::new(config.seed ^ 0x1d5_1d5),
            generated: Generated::default(),
            day_start: Utc::now(),
            tick: 0,
        },
        vault,
        seed: config.seed,
        rng: Rng::new(config.seed),
        namespace: Uuid::new_v5(&super::NAMESPACE, format!("generator:{}", config.seed).as_bytes()),
        insts: Vec::new(),
        people: Vec::new(),
        active: Vec::new(),
        slot: Vec::new(),
        courses: Vec::new(),
        live: HashMap::new(),
        next_offering: 0,
        agenda: BTreeMap::new(),
        today: start,
        end,
        vacancies: VecDeque::new(),
        frameworks: Vec::new(),
        by_id: HashMap::new(),
        framework_states: Vec::new(),
        plans: HashMap::new(),
        next_plan: 0,
        serial: 0,
    };
    world.sink.start_day(start);
    world.go_live(config.employees).await?;
    for year in FIRST_YEAR..=last_year(config.years) {
        world.at(date(year, 1, 5).max(start), Task::Year(year));
        world.at(date(year, 3, 2), Task::Assessments(year));
        world.at(date(year, 1, 25), Task::Plans(year));
    }
    world.at(plus(start, 7), Task::Week);
    let days = (end - start).num_days().max(1) as u64;
    while let Some((day, tasks)) = world.agenda.pop_first() {
        if day > end {
            break;
        }
        if day != world.today {
            world.today = day;
            world.sink.start_day(day);
        }
        for task in tasks {
            world.task(task).await?;
        }
        progress(Progress {
            date: day,
            day: (day - start).num_days().max(0) as u64,
            days,
            events: world.sink.generated.events,
        });
    }
    world.sink.drain().await?;
    world.sink.generated.offerings = world.next_offering as usize;
    Ok(world.sink.generated)
}

impl World<'_> {
    fn at(&mut self, when: NaiveDate, task: Task) {
        self.agenda.entry(when.max(self.today)).or_default().push(task);
    }

    fn id(&self, key: &str) -> Uuid {
        Uuid::new_v5(&self.namespace, key.as_bytes())
    }

    /// The first day: institutions, frameworks, the catalogue, and the staff
    /// as the institutions' HR systems hand them over.
    async fn go_live(&mut self, employees: usize) -> Result<(), GeneratorError> {
        self.publish_plan().await?;
        let all: Vec<Demo> = reference::institutions();
        let total_payroll: i64 = all.iter().map(|d| d.payroll_eur.max(1_000_000)).sum();
        let mut headcounts = Vec::new();
        for demo in &all {
            let share = demo.payroll_eur.max(1_000_000) as u128 * employees as u128 / total_payroll as u128;
            headcounts.push((share as usize).max(3));
        }
        for demo in all {
            let id = institution_id(&demo);
            let share_bp = match demo.profile {
                Profile::Share(bp) => i64::from(bp),
                Profile::NoPayroll => 0,
            };
            let mut inst = Inst {
                id,
                name: demo.name,
                kind: demo.kind,
                resor: demo.resor,
                payroll_eur: demo.payroll_eur,
                share_bp,
                agg: Agg::default(),
                head: 0,
            };
            let input = RegisterInstitution {
                institution_id: Some(id),
                name: demo.name.to_owned(),
                kind: demo.kind,
                resor: demo.resor,
                funds_other_institutions_staff: demo.funds_other_staff,
            };
            let command = InstitutionCommand::Register {
                institution_id: id,
                name: input.name.clone(),
                kind: input.kind,
                resor: input.resor,
                funds_other_institutions_staff: input.funds_other_institutions_staff,
            };
            self.sink
                .run::<Institution>(
                    &mut inst.agg,
                    id,
                    command,
                    (UseCase::RegisterInstitution, &input),
                    ACTOR,
                )
                .await?;
            self.insts.push(inst);
        }
        self.sink.generated.institutions = self.insts.len();
        self.publish_frameworks().await?;
        self.catalogue().await?;
        // The staff, sealed in batches.
        let mut wanted: Vec<(usize, usize)> = Vec::new();
        for (inst, count) in headcounts.into_iter().enumerate() {
            for n in 0..count {
                wanted.push((inst, n));
            }
        }
        for chunk in wanted.chunks(SEAL_BATCH) {
            let hires: Vec<_> = chunk
                .iter()
                .map(|&(inst, n)| {
                    let hired_on = date(self.rng.range(1995, 2020) as i32, self.rng.range(1, 12) as u32, 1);
                    self.person(inst, n, hired_on)
                })
                .collect();
            let hired = self.hire(hires).await?;
            // The first of each institution (a top manager) heads it.
            for (&(inst, n), person) in chunk.iter().zip(hired) {
                if n == 0 {
                    self.insts[inst].head = person;
                }
            }
        }
        // Each head leads their institution; everyone else reports to them
        // or to one of its managers.
        let mut managers: Vec<Vec<u32>> = vec![Vec::new(); self.insts.len()];
        for (n, p) in self.people.iter().enumerate() {
            if p.has_group(JobGroup::MiddleOrLowerManager) {
                managers[p.inst as usize].push(n as u32);
            }
        }
        for n in 0..self.people.len() {
            let inst = self.people[n].inst as usize;
            let head = self.insts[inst].head;
            if head == n as u32 {
                continue;
            }
            let manager = if self.people[n].has_group(JobGroup::MiddleOrLowerManager) || managers[inst].is_empty() {
                head
            } else {
                *self.rng.pick(&managers[inst])
            };
            self.assign_manager(n as u32, manager).await?;
        }
        Ok(())
    }

    /// The plan comes first, as on a new server, so the KPI projection
    /// counts each fact as it arrives rather than all at once when a
    /// server started on this log publishes it.
    async fn publish_plan(&mut self) -> Result<(), GeneratorError> {
        let content = PlanContent::published().map_err(|e| GeneratorError::Plan(e.to_string()))?;
        let plan_id = content.id();
        let command = PlanCommand::Publish {
            plan_id,
            content: content.clone(),
        };
        self.sink
            .run::<Plan>(
                &mut Agg::default(),
                plan_id,
                command,
                (UseCase::PublishPlan, &content.code),
                ACTOR,
            )
            .await
    }

    async fn publish_frameworks(&mut self) -> Result<(), GeneratorError> {
        for (key, content) in [
            ("top-managers", top_managers()),
            ("middle-managers", middle_managers()),
            ("digital", digital()),
        ] {
            let id = framework_id(key);
            let scales = scales(&content);
            let competencies: Vec<Competency> = content.areas.iter().flat_map(|a| a.competencies.clone()).collect();
            let input = PublishCompetencyFramework {
                framework_id: Some(id),
                content,
            };
            let command = FrameworkCommand::Publish {
                framework_id: id,
                content: input.content.clone(),
            };
            let mut agg = Agg::<Framework>::default();
            self.sink
                .run::<Framework>(
                    &mut agg,
                    id,
                    command,
                    (UseCase::PublishCompetencyFramework, &input),
                    ACTOR,
                )
                .await?;
            self.frameworks.push((id, scales, competencies));
            self.framework_states.push(agg.state);
        }
        Ok(())
    }

    /// The demo's courses, then several per theme of each measure, from
    /// VAS, the resors, the largest institutions and professional groups.
    async fn catalogue(&mut self) -> Result<(), GeneratorError> {
        let vas = "Valsts administrācijas skola";
        let mut entries: Vec<Entry<'static>> = Vec::new();
        let public = || OwnerParts {
            level: OwnerLevel::PublicAdministration,
            resor: None,
            institution_id: None,
            group: None,
        };
        for (title, priority, measures, course_type, test, minutes, _) in super::catalogue::COURSES {
            entries.push((
                (*title).to_owned(),
                public(),
                vas,
                *priority,
                measures.iter().map(|m| (*m).to_owned()).collect(),
                *course_type,
                *test,
                *minutes,
                Audience::Everyone,
            ));
        }
        let big: Vec<usize> = (0..self.insts.len())
            .filter(|&i| self.insts[i].payroll_eur >= 20_000_000)
            .collect();
        for (measure, theme, audience, usual) in THEMES {
            let variants = self.rng.range(4, VARIANTS.len() as i64) as usize;
            for variant in VARIANTS.iter().take(variants) {
                let (owner, organiser) = match self.rng.below(10) {
                    0..=5 => (public(), vas),
                    6 | 7 => {
                        let inst = *self.rng.pick(&big);
                        let owner = OwnerParts {
                            level: OwnerLevel::Institution,
                            institution_id: Some(self.insts[inst].id),
                            ..public()
                        };
                        (owner, self.insts[inst].name)
                    }
                    8 => {
                        let resors: Vec<(Resor, &'static str)> =
                            self.insts.iter().filter_map(|i| i.resor.map(|r| (r, i.name))).collect();
                        let (resor, name) = *self.rng.pick(&resors);
                        let owner = OwnerParts {
                            level: OwnerLevel::Resor,
                            resor: Some(resor),
                            ..public()
                        };
                        (owner, name)
                    }
                    _ => {
                        let owner = OwnerParts {
                            level: OwnerLevel::ProfessionalGroup,
                            group: Some(format!("{theme}: profesionālā grupa")),
                            ..public()
                        };
                        (owner, vas)
                    }
                };
                let course_type = match *variant {
                    "e-kurss" | "tiešsaistes modulis" => CourseType::ELearning,
                    _ => *usual,
                };
                let minutes = match course_type {
                    CourseType::ELearning => 60 * self.rng.range(1, 4) as i32,
                    _ => 240 * self.rng.range(1, 8) as i32,
                };
                entries.push((
                    format!("{theme}: {variant}"),
                    owner,
                    organiser,
                    priority_of(measure),
                    vec![(*measure).to_owned()],
                    course_type,
                    self.rng.per_mille(450),
                    minutes,
                    *audience,
                ));
            }
        }
        for (title, owner, organiser, priority, measures, course_type, knowledge_test, minutes, audience) in entries {
            let id = self.id(&format!("course:{title}"));
            let input = CatalogueCourse {
                course_id: Some(id),
                description: prasme_commands::DescribeCourse {
                    competencies: vec![title.split(':').next().unwrap_or(&title).to_owned()],
                    title,
                    owner,
                    priority,
                    measures,
                    course_type,
                    knowledge_test,
                    duration_minutes: minutes,
                    language: "lv".into(),
                    develops: vec![],
                },
            };
            let owner =
                CourseOwner::from_parts(input.description.owner.clone()).map_err(|error| GeneratorError::Refused {
                    use_case: UseCase::CatalogueCourse,
                    stream: Course::stream_id(id),
                    error,
                })?;
            let command = CourseCommand::Catalogue {
                course_id: id,
                description: input.description.clone().with_owner(owner),
            };
            let mut agg = Agg::<Course>::default();
            self.sink
                .run::<Course>(&mut agg, id, command, (UseCase::CatalogueCourse, &input), ACTOR)
                .await?;
            self.courses.push(CourseInfo {
                id,
                minutes,
                knowledge_test,
                audience,
                course_type,
                organiser,
            });
        }
        self.sink.generated.courses = self.courses.len();
        Ok(())
    }

    /// The n-th person hired into institution `inst`, and their personal data.
    fn person(&mut self, inst: usize, n: usize, hired_on: NaiveDate) -> (HireEmployee, PersonalData) {
        let rng = &mut self.rng;
        let woman = rng.per_mille(620);
        let first = if woman { *rng.pick(&WOMEN) } else { *rng.pick(&MEN) };
        let (his, hers) = *rng.pick(&SURNAMES);
        let last = if woman { hers } else { his };
        let born = date(
            rng.range(1960, 2003) as i32,
            rng.range(1, 12) as u32,
            rng.range(1, 28) as u32,
        );
        let code = format!("{}-{:05}", born.format("%d%m%y"), rng.below(100_000));
        self.serial += 1;
        let serial = self.serial;
        let email = format!("{}.{}{}@example.gov.lv", ascii(first), ascii(last), serial);
        let kind = self.insts[inst].kind;
        let mut job_groups = vec![match (n, rng.below(100)) {
            (0, _) => JobGroup::TopManager,
            (_, 0..=13) => JobGroup::MiddleOrLowerManager,
            (_, 14..=17) => JobGroup::HrSpecialist,
            (_, 18..=21) => JobGroup::EuFundsSpecialist,
            (_, 22..=31) if kind == InstitutionKind::State => JobGroup::LawEnforcement,
            _ => JobGroup::NewEmployee,
        }];
        if hired_on < plus(self.today, -365) && job_groups[0] == JobGroup::NewEmployee {
            // Staff of more than a year count in "all employees" only; the
            // job group lists them as such.
            job_groups = vec![JobGroup::NewEmployee];
        }
        let mut functions = Vec::new();
        if kind == InstitutionKind::State {
            match n {
                1 if rng.per_mille(900) => functions.push(EmployeeFunction::EthicsTrustPerson),
                2 => functions.push(EmployeeFunction::WhistleblowingContact),
                _ => {}
            }
        } else if n == 1 {
            functions.push(EmployeeFunction::WhistleblowingContact);
        }
        for (function, per_mille) in [
            (EmployeeFunction::ClientService, 200),
            (EmployeeFunction::ControlOrSupervision, 120),
            (EmployeeFunction::Procurement, 30),
            (EmployeeFunction::Mentor, 30),
            (EmployeeFunction::InternalTrainer, 15),
            (EmployeeFunction::DigitalAgent, 15),
        ] {
            if rng.per_mille(per_mille) {
                functions.push(function);
            }
        }
        let civil_servant = kind == InstitutionKind::State && rng.per_mille(600);
        let hire = HireEmployee {
            employee_id: None,
            institution_id: self.insts[inst].id,
            name: format!("{first} {last}"),
            email: Some(email),
            personal_code: Some(code),
            job_groups,
            civil_servant,
            functions,
            hired_on,
        };
        let personal = PersonalData::new(&hire.name, hire.email.as_deref(), hire.personal_code.as_deref())
            .unwrap_or_else(|_| PersonalData {
                name: hire.name.clone(),
                email: None,
                personal_code: None,
            });
        (hire, personal)
    }

    /// Seals the people's data in one batch, then hires each.
    async fn hire(&mut self, hires: Vec<(HireEmployee, PersonalData)>) -> Result<Vec<u32>, GeneratorError> {
        let first = self.people.len();
        let subjects: Vec<_> = hires
            .iter()
            .enumerate()
            .map(|(k, (_, personal))| {
                let id = self.id(&format!("employee:{}", first + k));
                // Keys and nonces from the seed: see `Vault::seal_many`.
                let mut keys = Rng::new(self.seed ^ id.as_u128() as u64 ^ (id.as_u128() >> 64) as u64);
                (id, personal.clone(), keys.bytes::<32>(), keys.bytes::<24>())
            })
            .collect();
        let sealed = self.vault.seal_many(&subjects).await?;
        let mut hired = Vec::with_capacity(hires.len());
        for (((hire, _), (id, ..)), personal_data) in hires.into_iter().zip(subjects).zip(sealed) {
            let inst = self.insts.iter().position(|i| i.id == hire.institution_id).unwrap_or(0);
            let mut input = hire;
            input.employee_id = Some(id);
            let command = EmployeeCommand::Hire {
                employee_id: id,
                institution_id: input.institution_id,
                job_groups: input.job_groups.clone(),
                civil_servant: input.civil_servant,
                functions: input.functions.clone(),
                personal_data,
                hired_on: input.hired_on,
            };
            let mut agg = Agg::<Employee>::default();
            self.sink
                .run::<Employee>(&mut agg, id, command, (UseCase::HireEmployee, &input), ACTOR)
                .await?;
            let n = self.people.len() as u32;
            self.by_id.insert(id, n);
            self.people.push(Person {
                agg,
                inst: inst as u16,
                competence_version: 0,
            });
            self.slot.push(self.active.len() as u32);
            self.active.push(n);
            hired.push(n);
        }
        self.sink.generated.hires += hired.len();
        Ok(hired)
    }

    async fn assign_manager(&mut self, n: u32, manager: u32) -> Result<(), GeneratorError> {
        let (id, manager_id) = (self.people[n as usize].id(), self.people[manager as usize].id());
        let input = AssignManager {
            employee_id: id,
            manager_id,
        };
        let command = EmployeeCommand::AssignManager { manager_id };
        let agg = &mut self.people[n as usize].agg;
        self.sink
            .run::<Employee>(agg, id, command, (UseCase::AssignManager, &input), ACTOR)
            .await
    }

    async fn task(&mut self, task: Task) -> Result<(), GeneratorError> {
        match task {
            Task::Year(year) => self.year(year).await,
            Task::Week => self.week().await,
            Task::Offering(n, phase) => self.offering(n, phase).await,
            Task::Correction { inst, allocation } => self.correction(inst, allocation).await,
            Task::Assessments(year) => self.assessments(year).await,
            Task::Plans(year) => self.create_plans(year).await,
            Task::Plan(k, step) => self.plan_step(k, step).await,
        }
    }

    /// A new budget year: each institution's payroll and training budget,
    /// and the year's offerings put on the agenda.
    async fn year(&mut self, year: i32) -> Result<(), GeneratorError> {
        let offset = i64::from(year - FIRST_YEAR);
        for inst in 0..self.insts.len() {
            let (id, payroll_eur, share_bp) = {
                let i = &self.insts[inst];
                (i.id, i.payroll_eur, i.share_bp)
            };
            let payroll = payroll_eur * 100 * (100 + 4 * offset) / 100;
            if payroll > 0 {
                let input = DeclareRemunerationBudget {
                    institution_id: id,
                    year,
                    amount: Cents(payroll),
                };
                let command = InstitutionCommand::DeclareRemunerationBudget {
                    year,
                    amount: Cents(payroll),
                };
                let agg = &mut self.insts[inst].agg;
                self.sink
                    .run::<Institution>(agg, id, command, (UseCase::DeclareRemunerationBudget, &input), ACTOR)
                    .await?;
            }
            // The plan asks for about 5 % of payroll by 2027: most creep up.
            let share = if payroll > 0 { share_bp + 12 * offset } else { 150 };
            let base = if payroll > 0 { payroll } else { 300_000_000 };
            let total = base * share / 10_000;
            let parts = self.rng.range(1, 3);
            for part in 0..parts {
                let amount = if part + 1 == parts {
                    total - total / parts * (parts - 1)
                } else {
                    total / parts
                };
                if amount <= 0 {
                    continue;
                }
                let funding_source = match self.rng.below(10) {
                    0..=5 => FundingSource::StateBudget,
                    6 | 7 => FundingSource::Esf,
                    8 => FundingSource::Rrf,
                    _ => FundingSource::Other,
                };
                let priority = (self.rng.below(4) > 0).then(|| *self.rng.pick(&PRIORITIES));
                let allocation_id = self.sink.command_id();
                let input = AllocateTrainingBudget {
                    institution_id: id,
                    allocation_id: Some(allocation_id),
                    year,
                    amount: Cents(amount),
                    funding_source,
                    priority,
                };
                let command = InstitutionCommand::AllocateTrainingBudget {
                    allocation_id,
                    year,
                    amount: Cents(amount),
                    funding_source,
                    priority,
                };
                let agg = &mut self.insts[inst].agg;
                self.sink
                    .run::<Institution>(agg, id, command, (UseCase::AllocateTrainingBudget, &input), ACTOR)
                    .await?;
                if self.rng.below(12) == 0 {
                    let when = date(year, self.rng.range(6, 9) as u32, self.rng.range(1, 28) as u32);
                    self.at(
                        when,
                        Task::Correction {
                            inst,
                            allocation: allocation_id,
                        },
                    );
                }
            }
        }
        // The year's offerings: enough seats for each employee's share.
        let seats = self.active.len() as u64 * PLACES_PER_EMPLOYEE_YEAR + self.active.len() as u64 / 2;
        let offerings = seats / 21 + 1;
        for _ in 0..offerings {
            let n = self.next_offering;
            self.next_offering += 1;
            let course = self.rng.below(self.courses.len() as u64) as usize;
            // Most run outside the summer months.
            let month = *self.rng.pick(&[1, 2, 3, 3, 4, 4, 5, 5, 6, 8, 9, 9, 10, 10, 11, 11, 12]);
            let starts_on = date(year, month, self.rng.range(1, 28) as u32).max(plus(self.today, 14));
            let days = i64::from(self.courses[course].minutes / 480);
            let live = Live {
                id: self.id(&format!("offering:{n}")),
                course,
                starts_on,
                ends_on: plus(starts_on, days),
                agg: Agg::default(),
            };
            self.live.insert(n, live);
            self.at(plus(starts_on, -60), Task::Offering(n, Phase::Schedule));
        }
        Ok(())
    }

    async fn correction(&mut self, inst: usize, allocation_id: Uuid) -> Result<(), GeneratorError> {
        let id = self.insts[inst].id;
        let Some(allocation) = self.insts[inst].agg.state.allocations.get(&allocation_id).cloned() else {
            return Ok(());
        };
        let amount = Cents(allocation.amount.0 * 9 / 10);
        let reason = "Līgumcena pēc iepirkuma bija zemāka".to_owned();
        let input = CorrectTrainingAllocation {
            institution_id: id,
            allocation_id,
            amount,
            funding_source: allocation.funding_source,
            priority: allocation.priority,
            reason: reason.clone(),
        };
        let command = InstitutionCommand::CorrectTrainingAllocation {
            allocation_id,
            amount,
            funding_source: allocation.funding_source,
            priority: allocation.priority,
            reason,
        };
        let agg = &mut self.insts[inst].agg;
        self.sink
            .run::<Institution>(agg, id, command, (UseCase::CorrectTrainingAllocation, &input), ACTOR)
            .await
    }

    /// Someone at work who fits `audience`, if one is found soon.
    fn someone(&mut self, audience: Audience) -> Option<u32> {
        for _ in 0..60 {
            let n = *self.rng.pick(&self.active);
            if self.people[n as usize].fits(audience) {
                return Some(n);
            }
        }
        None
    }

    async fn offering(&mut self, n: u32, phase: Phase) -> Result<(), GeneratorError> {
        let Some(mut live) = self.live.remove(&n) else {
            return Ok(());
        };
        let next = self.offering_phase(&mut live, phase).await?;
        if let Some((when, phase)) = next {
            if when <= self.end {
                self.live.insert(n, live);
                self.at(when, Task::Offering(n, phase));
            }
        }
        Ok(())
    }

    /// Runs one phase of an offering; returns the next one and its date.
    async fn offering_phase(
        &mut self,
        live: &mut Live,
        phase: Phase,
    ) -> Result<Option<(NaiveDate, Phase)>, GeneratorError> {
        let id = live.id;
        let course = &self.courses[live.course];
        let (course_id, minutes, knowledge_test, audience, organiser, course_type) = (
            course.id,
            course.minutes,
            course.knowledge_test,
            course.audience,
            course.organiser,
            course.course_type,
        );
        let places: Vec<(Uuid, PlaceStatus, Option<Attendance>, bool)> = live
            .agg
            .state
            .places
            .iter()
            .map(|p| (p.employee_id, p.status, p.attendance, p.completed))
            .collect();
        Ok(match phase {
            Phase::Schedule => {
                let format = match course_type {
                    CourseType::ELearning => OfferingFormat::SelfPaced,
                    _ if self.rng.per_mille(300) => OfferingFormat::Online,
                    _ => OfferingFormat::OnSite,
                };
                let cost = if format == OfferingFormat::SelfPaced || self.rng.per_mille(250) {
                    0
                } else {
                    self.rng.range(4, 80) * 500
                };
                let schedule = Schedule {
                    course_id,
                    starts_on: live.starts_on,
                    ends_on: live.ends_on,
                    format,
                    capacity: self.rng.range(12, 30) as i32,
                    cost_per_participant: Cents(cost),
                    organiser: organiser.to_owned(),
                };
                let input = ScheduleOffering {
                    offering_id: Some(id),
                    schedule: schedule.clone(),
                };
                let command = OfferingCommand::Schedule {
                    offering_id: id,
                    schedule,
                };
                self.sink
                    .run::<Offering>(&mut live.agg, id, command, (UseCase::ScheduleOffering, &input), ACTOR)
                    .await?;
                Some((plus(live.starts_on, -30), Phase::Requests))
            }
            Phase::Requests => {
                let capacity = live.agg.state.schedule.as_ref().map_or(20, |s| s.capacity) as i64;
                let wanted = capacity + self.rng.range(-2, 5);
                let mut asked: Vec<u32> = Vec::new();
                for _ in 0..wanted {
                    if let Some(p) = self.someone(audience) {
                        if !asked.contains(&p) {
                            asked.push(p);
                        }
                    }
                }
                for p in asked {
                    let person = &self.people[p as usize];
                    let Ok((employee_id, institution_id)) = person.agg.state.at_work("employeeId") else {
                        continue;
                    };
                    let input = PlaceId {
                        offering_id: id,
                        employee_id,
                    };
                    let command = OfferingCommand::RequestPlace {
                        employee_id,
                        institution_id,
                        today: self.today,
                    };
                    let actor = employee_id.to_string();
                    self.sink
                        .run::<Offering>(&mut live.agg, id, command, (UseCase::RequestPlace, &input), &actor)
                        .await?;
                }
                Some((plus(self.today, 3), Phase::Approvals))
            }
            Phase::Approvals => {
                for (employee_id, status, ..) in places {
                    if status != PlaceStatus::Requested {
                        continue;
                    }
                    if self.rng.per_mille(30) {
                        let reason = "Mācības nav saistītas ar amata pienākumiem".to_owned();
                        let input = PlaceChange {
                            offering_id: id,
                            employee_id,
                            reason: reason.clone(),
                        };
                        let command = OfferingCommand::Reject { employee_id, reason };
                        self.sink
                            .run::<Offering>(&mut live.agg, id, command, (UseCase::RejectPlace, &input), ACTOR)
                            .await?;
                        continue;
                    }
                    let input = PlaceId {
                        offering_id: id,
                        employee_id,
                    };
                    let command = OfferingCommand::Approve { employee_id };
                    self.sink
                        .run::<Offering>(&mut live.agg, id, command, (UseCase::ApprovePlace, &input), ACTOR)
                        .await?;
                }
                if self.rng.per_mille(25) {
                    // Too few came forward, or the trainer fell ill.
                    let reason = "Nepietiekams dalībnieku skaits".to_owned();
                    let input = CancelOffering {
                        offering_id: id,
                        reason: reason.clone(),
                    };
                    let command = OfferingCommand::Cancel { reason };
                    self.sink
                        .run::<Offering>(&mut live.agg, id, command, (UseCase::CancelOffering, &input), ACTOR)
                        .await?;
                    return Ok(None);
                }
                Some((plus(live.starts_on, -5), Phase::Drops))
            }
            Phase::Drops => {
                for (employee_id, status, ..) in places {
                    if status != PlaceStatus::Enrolled {
                        continue;
                    }
                    let left = self.has_left(employee_id);
                    if !left && !self.rng.per_mille(70) {
                        continue;
                    }
                    let reason = if left {
                        "Darba tiesiskās attiecības izbeigtas".to_owned()
                    } else {
                        (*self.rng.pick(&DROP_REASONS)).to_owned()
                    };
                    let input = PlaceChange {
                        offering_id: id,
                        employee_id,
                        reason: reason.clone(),
                    };
                    let command = OfferingCommand::CancelPlace { employee_id, reason };
                    self.sink
                        .run::<Offering>(&mut live.agg, id, command, (UseCase::CancelPlace, &input), ACTOR)
                        .await?;
                }
                Some((live.ends_on, Phase::Run))
            }
            Phase::Run => {
                for (employee_id, status, ..) in places {
                    if status != PlaceStatus::Enrolled {
                        continue;
                    }
                    let attendance = match self.rng.below(100) {
                        0..=84 => Attendance::Attended,
                        85..=89 => Attendance::PartiallyAttended,
                        90..=95 => Attendance::NoShowJustified,
                        _ => Attendance::NoShowUnjustified,
                    };
                    let input = RecordAttendance {
                        offering_id: id,
                        employee_id,
                        attendance,
                    };
                    let command = OfferingCommand::RecordAttendance {
                        employee_id,
                        attendance,
                    };
                    self.sink
                        .run::<Offering>(&mut live.agg, id, command, (UseCase::RecordAttendance, &input), ACTOR)
                        .await?;
                    if !matches!(attendance, Attendance::Attended | Attendance::PartiallyAttended) {
                        continue;
                    }
                    let passed = self.rng.per_mille(if knowledge_test { 880 } else { 970 });
                    let result = Completion {
                        passed,
                        score: knowledge_test.then(|| {
                            if passed {
                                self.rng.range(55, 100) as i32
                            } else {
                                self.rng.range(10, 54) as i32
                            }
                        }),
                        knowledge_test_passed: knowledge_test.then_some(passed),
                        minutes: if attendance == Attendance::Attended {
                            minutes
                        } else {
                            (minutes / 2).max(1)
                        },
                        completed_on: live.ends_on,
                    };
                    let input = RecordCompletion {
                        offering_id: id,
                        employee_id,
                        result: result.clone(),
                    };
                    let command = OfferingCommand::RecordCompletion { employee_id, result };
                    self.sink
                        .run::<Offering>(&mut live.agg, id, command, (UseCase::RecordCompletion, &input), ACTOR)
                        .await?;
                    if self.rng.per_mille(550) {
                        let mut rating = || self.rng.range(2, 5) as i32;
                        let feedback = Feedback::Immediate {
                            organisation: rating(),
                            content: rating(),
                            trainer: rating(),
                            usefulness: rating(),
                            methods: rating(),
                        };
                        self.feedback(live, employee_id, feedback).await?;
                    }
                }
                Some((plus(live.ends_on, 40), Phase::Revocations))
            }
            Phase::Revocations => {
                for (employee_id, _, _, completed) in places {
                    if completed && self.rng.per_mille(4) {
                        let reason = "Konstatēts pārkāpums zināšanu pārbaudē".to_owned();
                        let input = PlaceChange {
                            offering_id: id,
                            employee_id,
                            reason: reason.clone(),
                        };
                        let command = OfferingCommand::RevokeCompletion { employee_id, reason };
                        self.sink
                            .run::<Offering>(&mut live.agg, id, command, (UseCase::RevokeCompletion, &input), ACTOR)
                            .await?;
                    }
                }
                Some((plus(live.ends_on, 180), Phase::FollowUp))
            }
            Phase::FollowUp => {
                for (employee_id, _, _, completed) in places {
                    if completed && self.rng.per_mille(300) {
                        let applied = self.rng.per_mille(750);
                        let feedback = Feedback::FollowUp {
                            applied_at_work: applied,
                            comment: (self.rng.per_mille(200)).then(|| {
                                if applied {
                                    "Izmantoju apgūto ikdienas darbā.".to_owned()
                                } else {
                                    "Pagaidām nav bijis iespējas pielietot.".to_owned()
                                }
                            }),
                        };
                        self.feedback(live, employee_id, feedback).await?;
                    }
                }
                None
            }
        })
    }

    async fn feedback(&mut self, live: &mut Live, employee_id: Uuid, feedback: Feedback) -> Result<(), GeneratorError> {
        let id = live.id;
        let immediate = matches!(feedback, Feedback::Immediate { .. });
        let input = GiveFeedback {
            offering_id: id,
            employee_id,
            immediate: immediate.then(|| feedback.clone()),
            follow_up: (!immediate).then(|| feedback.clone()),
        };
        let command = OfferingCommand::GiveFeedback { employee_id, feedback };
        let actor = employee_id.to_string();
        self.sink
            .run::<Offering>(&mut live.agg, id, command, (UseCase::GiveFeedback, &input), &actor)
            .await
    }

    fn has_left(&self, employee_id: Uuid) -> bool {
        self.by_id
            .get(&employee_id)
            .is_none_or(|&n| self.people[n as usize].agg.state.left_on.is_some())
    }

    /// A week of HR: departures, the vacancies they leave filled a few
    /// weeks later, transfers and role changes.
    async fn week(&mut self) -> Result<(), GeneratorError> {
        let today = self.today;
        self.at(plus(today, 7), Task::Week);
        let staff = self.active.len() as u64;
        // Departures.
        for _ in 0..self.rng.share(staff, LEAVING_PER_MILLE, 52) {
            let n = *self.rng.pick(&self.active);
            let inst = self.people[n as usize].inst as usize;
            if self.insts[inst].head == n || self.people[n as usize].agg.state.hired_on > Some(today) {
                continue;
            }
            let id = self.people[n as usize].id();
            let input = RecordEmployeeLeft {
                employee_id: id,
                left_on: today,
            };
            let command = EmployeeCommand::RecordLeft { left_on: today };
            let agg = &mut self.people[n as usize].agg;
            self.sink
                .run::<Employee>(agg, id, command, (UseCase::RecordEmployeeLeft, &input), ACTOR)
                .await?;
            self.leave(n);
            let starts = plus(today, self.rng.range(14, 70));
            self.vacancies.push_back((starts, inst));
        }
        // Vacancies filled.
        let mut due = Vec::new();
        while self.vacancies.front().is_some_and(|(starts, _)| *starts <= today) {
            if let Some((_, inst)) = self.vacancies.pop_front() {
                due.push(inst);
            }
        }
        // Sorting keeps the queue in date order whatever the draws.
        self.vacancies.make_contiguous().sort_by_key(|(d, _)| *d);
        if !due.is_empty() {
            let hires: Vec<_> = due
                .iter()
                .map(|&inst| {
                    let n = 3 + self.rng.below(1000) as usize;
                    self.person(inst, n, today)
                })
                .collect();
            let hired = self.hire(hires).await?;
            for n in hired {
                let head = self.insts[self.people[n as usize].inst as usize].head;
                self.assign_manager(n, head).await?;
            }
        }
        // Transfers, mostly within a resor.
        for _ in 0..self.rng.share(staff, TRANSFER_PER_MILLE, 52) {
            let n = *self.rng.pick(&self.active);
            let from = self.people[n as usize].inst as usize;
            if self.insts[from].head == n {
                continue;
            }
            let resor = self.insts[from].resor;
            let same: Vec<usize> = (0..self.insts.len())
                .filter(|&i| i != from && (self.insts[i].resor == resor || self.rng.per_mille(100)))
                .collect();
            if same.is_empty() {
                continue;
            }
            let to = *self.rng.pick(&same);
            let id = self.people[n as usize].id();
            let input = TransferEmployee {
                employee_id: id,
                to_institution_id: self.insts[to].id,
                effective_on: today,
            };
            let command = EmployeeCommand::Transfer {
                to_institution_id: self.insts[to].id,
                effective_on: today,
            };
            let agg = &mut self.people[n as usize].agg;
            self.sink
                .run::<Employee>(agg, id, command, (UseCase::TransferEmployee, &input), ACTOR)
                .await?;
            self.people[n as usize].inst = to as u16;
            let head = self.insts[to].head;
            self.assign_manager(n, head).await?;
        }
        // Role changes: promotions, new functions, civil service.
        for _ in 0..self.rng.share(staff, ROLE_CHANGE_PER_MILLE, 52) {
            let n = *self.rng.pick(&self.active);
            let state = &self.people[n as usize].agg.state;
            if state.hired_on > Some(today) || self.insts[self.people[n as usize].inst as usize].head == n {
                continue;
            }
            let mut job_groups = state.job_groups.clone();
            let mut functions = state.functions.clone();
            let mut civil_servant = state.civil_servant;
            match self.rng.below(10) {
                0..=3 => {
                    job_groups.retain(|g| *g != JobGroup::NewEmployee);
                    job_groups.push(JobGroup::MiddleOrLowerManager);
                }
                4..=7 => functions.push(*self.rng.pick(&[
                    EmployeeFunction::Procurement,
                    EmployeeFunction::Mentor,
                    EmployeeFunction::InternalTrainer,
                    EmployeeFunction::DigitalAgent,
                    EmployeeFunction::ClientService,
                ])),
                8 => job_groups = vec![JobGroup::HrSpecialist],
                _ => civil_servant = self.insts[self.people[n as usize].inst as usize].kind == InstitutionKind::State,
            }
            job_groups.sort();
            job_groups.dedup();
            functions.sort();
            functions.dedup();
            let state = &self.people[n as usize].agg.state;
            if (&job_groups, &functions, civil_servant) == (&state.job_groups, &state.functions, state.civil_servant) {
                continue;
            }
            let id = self.people[n as usize].id();
            let input = ChangeEmployeeRole {
                employee_id: id,
                job_groups: job_groups.clone(),
                civil_servant,
                functions: functions.clone(),
                effective_on: today,
            };
            let command = EmployeeCommand::ChangeRole {
                job_groups,
                civil_servant,
                functions,
                effective_on: today,
            };
            let agg = &mut self.people[n as usize].agg;
            self.sink
                .run::<Employee>(agg, id, command, (UseCase::ChangeEmployeeRole, &input), ACTOR)
                .await?;
        }
        Ok(())
    }

    fn leave(&mut self, n: u32) {
        let at = self.slot[n as usize] as usize;
        let last = self.active.len() - 1;
        self.active.swap(at, last);
        let moved = self.active[at];
        self.slot[moved as usize] = at as u32;
        self.active.pop();
        self.slot[n as usize] = u32::MAX;
    }

    /// A spring of assessments: most heads at an assessment centre against
    /// the top-manager framework, some middle managers against theirs, a
    /// share of staff assessing their digital competence, and talent
    /// reviews of managers by the heads.
    async fn assessments(&mut self, year: i32) -> Result<(), GeneratorError> {
        let on = self.today;
        let candidates: Vec<u32> = self.active.clone();
        for n in candidates {
            let person = &self.people[n as usize];
            let (framework, method, take, per_mille) = if person.has_group(JobGroup::TopManager) {
                (0, AssessmentMethod::AssessmentCentre, usize::MAX, 350)
            } else if person.has_group(JobGroup::MiddleOrLowerManager) {
                (1, AssessmentMethod::AssessmentCentre, 4, 200)
            } else {
                (2, AssessmentMethod::SelfAssessment, 3, 40)
            };
            if !self.rng.per_mille(per_mille) {
                continue;
            }
            let standing = {
                let Ok(mut standing) = person.agg.state.standing_on("assessedOn", on) else {
                    continue;
                };
                standing.resor = self.insts[person.inst as usize].resor;
                standing
            };
            let id = person.id();
            let (framework_id, scales, competencies) = self.frameworks[framework].clone();
            for (code, levels) in scales.iter().take(take) {
                let level = self.rng.range(1, i64::from(*levels)) as u8;
                let assessment_id = self.sink.command_id();
                let input = AssessCompetency {
                    assessment_id: Some(assessment_id),
                    employee_id: id,
                    framework_id,
                    framework_version: 1,
                    competency: code.clone(),
                    level,
                    method,
                    assessed_on: on,
                    evidence_note: None,
                };
                let competency = competencies[code_index(&scales, code)].clone();
                let command = CompetenceCommand::Assess {
                    employee_id: id,
                    standing: standing.clone(),
                    assessment: Assessment {
                        assessment_id,
                        framework_id,
                        framework_version: 1,
                        competency,
                        level,
                        method,
                        feedback_cycle_id: None,
                        assessor_id: (method == AssessmentMethod::SelfAssessment).then_some(id),
                        assessed_on: on,
                        evidence_note: None,
                    },
                    today: on,
                };
                let actor = if method == AssessmentMethod::SelfAssessment {
                    id.to_string()
                } else {
                    ACTOR.to_owned()
                };
                self.competence(n, command, (UseCase::AssessCompetency, &input), &actor)
                    .await?;
            }
            if framework == 1 {
                let head = self.people[self.insts[self.people[n as usize].inst as usize].head as usize].id();
                let ratings = [MatrixRating::Low, MatrixRating::Medium, MatrixRating::High];
                let (performance, potential) = (*self.rng.pick(&ratings), *self.rng.pick(&ratings));
                let review_id = self.sink.command_id();
                let input = ReviewTalent {
                    review_id: Some(review_id),
                    employee_id: id,
                    performance,
                    potential,
                    reviewed_on: on,
                };
                let command = CompetenceCommand::ReviewTalent {
                    employee_id: id,
                    review_id,
                    standing,
                    performance,
                    potential,
                    reviewer_id: Some(head),
                    reviewed_on: on,
                    today: on,
                };
                self.competence(n, command, (UseCase::ReviewTalent, &input), &head.to_string())
                    .await?;
            }
        }
        let _ = year;
        Ok(())
    }

    /// Appends to an employee's competence record. Its state is only the
    /// ids it holds, and every id here is new, so deciding on an empty
    /// record decides the same: only the version is kept.
    async fn competence(
        &mut self,
        n: u32,
        command: CompetenceCommand,
        fingerprint: (UseCase, &impl Serialize),
        actor: &str,
    ) -> Result<(), GeneratorError> {
        let id = self.people[n as usize].id();
        let mut agg = Agg {
            state: CompetenceRecord::default(),
            version: self.people[n as usize].competence_version,
        };
        self.sink
            .run::<CompetenceRecord>(&mut agg, id, command, fingerprint, actor)
            .await?;
        self.people[n as usize].competence_version = agg.version;
        Ok(())
    }
}

impl World<'_> {
    /// Each January, individual development plans: most managers and some
    /// of their staff draft one for the year, on a competency of their
    /// framework, mostly through work (the plan's 70 %), with a course.
    async fn create_plans(&mut self, year: i32) -> Result<(), GeneratorError> {
        let candidates: Vec<u32> = self.active.clone();
        for n in candidates {
            let person = &self.people[n as usize];
            let (framework, per_mille) = if person.has_group(JobGroup::TopManager) {
                (0, 300)
            } else if person.has_group(JobGroup::MiddleOrLowerManager) {
                (1, 450)
            } else {
                (2, 90)
            };
            if !self.rng.per_mille(per_mille) {
                continue;
            }
            let Ok((employee_id, institution_id)) = person.agg.state.at_work("employeeId") else {
                continue;
            };
            let resor = self.insts[person.inst as usize].resor;
            let (framework_id, scales, _) = &self.frameworks[framework];
            let framework_id = *framework_id;
            let (code, levels) = self.rng.pick(scales).clone();
            let k = self.next_plan;
            self.next_plan += 1;
            let plan_id = self.id(&format!("development-plan:{k}"));
            let course = self.rng.below(self.courses.len() as u64) as usize;
            let goal = Goal {
                goal_id: Uuid::new_v5(&plan_id, b"goal-0"),
                framework_id,
                framework_version: 1,
                competency: code.clone(),
                target_level: self.rng.range(2, i64::from(levels)) as u8,
            };
            let titles = [
                (ActivityKind::Course, "Kurss katalogā"),
                (ActivityKind::WorkplaceLearning, "Jauns uzdevums savā nodaļā"),
                (ActivityKind::Mentoring, "Mentorings pie pieredzējuša kolēģa"),
                (ActivityKind::JobShadowing, "Ēnošana citā iestādē"),
            ];
            let activities: Vec<Activity> = titles
                .iter()
                .enumerate()
                .map(|(i, (kind, title))| Activity {
                    activity_id: Uuid::new_v5(&plan_id, format!("activity-{i}").as_bytes()),
                    kind: *kind,
                    title: (*title).to_owned(),
                    course_id: (*kind == ActivityKind::Course).then_some(self.courses[course].id),
                    goal_id: Some(goal.goal_id),
                })
                .collect();
            let period = Period {
                starts_on: date(year, 2, 1),
                ends_on: date(year, 12, 31),
            };
            let input = CreateDevelopmentPlan {
                plan_id: Some(plan_id),
                employee_id,
                period,
                goals: vec![PlanGoal {
                    goal_id: Some(goal.goal_id),
                    framework_id,
                    framework_version: 1,
                    competency: code,
                    target_level: goal.target_level,
                }],
                activities: activities
                    .iter()
                    .map(|a| PlanActivity {
                        activity_id: Some(a.activity_id),
                        kind: a.kind,
                        title: a.title.clone(),
                        course_id: a.course_id,
                        goal: Some(0),
                    })
                    .collect(),
            };
            let command = DevelopmentPlanCommand::Create {
                plan_id,
                employee_id,
                institution_id,
                resor,
                period,
                goals: vec![goal],
                activities,
                frameworks: vec![self.framework_states[framework].clone()],
            };
            let mut live = LivePlan {
                id: plan_id,
                person: n,
                agg: Agg::default(),
            };
            let actor = employee_id.to_string();
            self.sink
                .run::<DevelopmentPlan>(
                    &mut live.agg,
                    plan_id,
                    command,
                    (UseCase::CreateDevelopmentPlan, &input),
                    &actor,
                )
                .await?;
            // A few stay drafts.
            if self.rng.per_mille(900) {
                let when = plus(self.today, self.rng.range(3, 20));
                self.plans.insert(k, live);
                self.at(when, Task::Plan(k, PlanStep::Approve));
            }
        }
        Ok(())
    }

    async fn plan_step(&mut self, k: u32, step: PlanStep) -> Result<(), GeneratorError> {
        let Some(mut live) = self.plans.remove(&k) else {
            return Ok(());
        };
        let today = self.today;
        let plan_id = live.id;
        let year = chrono::Datelike::year(&today);
        let next = match step {
            PlanStep::Approve => {
                let inst = self.people[live.person as usize].inst as usize;
                let head = self.insts[inst].head;
                let approver = if head == live.person {
                    // A head's plan is approved by their resor's minister's
                    // office; here, by the State Chancellery's head.
                    self.insts[0].head
                } else {
                    head
                };
                let approver_id = self.people[approver as usize].id();
                let input = ApproveDevelopmentPlan {
                    plan_id,
                    approved_on: today,
                };
                let command = DevelopmentPlanCommand::Approve {
                    approver_id,
                    approved_on: today,
                };
                let actor = approver_id.to_string();
                if approver == live.person {
                    // Nobody approves their own plan: it stays a draft.
                    return Ok(());
                }
                {
                    self.sink
                        .run::<DevelopmentPlan>(
                            &mut live.agg,
                            plan_id,
                            command,
                            (UseCase::ApproveDevelopmentPlan, &input),
                            &actor,
                        )
                        .await?;
                }
                Some((date(year, 6, self.rng.range(1, 28) as u32), PlanStep::Progress))
            }
            PlanStep::Progress => {
                if let Some(goal) = live.agg.state.goals.first().map(|g| g.planned.goal.clone()) {
                    let level = self.rng.range(1, i64::from(goal.target_level)) as u8;
                    let input = RecordGoalProgress {
                        plan_id,
                        goal_id: goal.goal_id,
                        level,
                        recorded_on: today,
                        note: None,
                    };
                    let command = DevelopmentPlanCommand::RecordGoalProgress {
                        goal_id: goal.goal_id,
                        level,
                        recorded_on: today,
                        note: None,
                    };
                    self.sink
                        .run::<DevelopmentPlan>(
                            &mut live.agg,
                            plan_id,
                            command,
                            (UseCase::RecordGoalProgress, &input),
                            ACTOR,
                        )
                        .await?;
                }
                Some((date(year, 10, self.rng.range(1, 28) as u32), PlanStep::Activities))
            }
            PlanStep::Activities => {
                let activities: Vec<Uuid> = live
                    .agg
                    .state
                    .activities
                    .iter()
                    .map(|a| a.activity.activity_id)
                    .collect();
                for activity_id in activities {
                    if !self.rng.per_mille(600) {
                        continue;
                    }
                    let input = CompleteDevelopmentActivity {
                        plan_id,
                        activity_id,
                        completed_on: today,
                        note: None,
                    };
                    let command = DevelopmentPlanCommand::CompleteActivity {
                        activity_id,
                        completed_on: today,
                        note: None,
                    };
                    self.sink
                        .run::<DevelopmentPlan>(
                            &mut live.agg,
                            plan_id,
                            command,
                            (UseCase::CompleteDevelopmentActivity, &input),
                            ACTOR,
                        )
                        .await?;
                }
                Some((date(year, 12, self.rng.range(1, 20) as u32), PlanStep::Review))
            }
            PlanStep::Review => {
                let summary = "Mērķis daļēji sasniegts; turpināt nākamajā gadā.".to_owned();
                let input = ReviewDevelopmentPlan {
                    plan_id,
                    reviewed_on: today,
                    summary: summary.clone(),
                };
                let command = DevelopmentPlanCommand::Review {
                    reviewed_on: today,
                    summary,
                };
                self.sink
                    .run::<DevelopmentPlan>(
                        &mut live.agg,
                        plan_id,
                        command,
                        (UseCase::ReviewDevelopmentPlan, &input),
                        ACTOR,
                    )
                    .await?;
                None
            }
        };
        if let Some((when, step)) = next {
            if when <= self.end {
                self.plans.insert(k, live);
                self.at(when, Task::Plan(k, step));
            }
        }
        Ok(())
    }
}

const PRIORITIES: [StrategicPriority; 5] = [
    StrategicPriority::Integrity,
    StrategicPriority::InnovationAndCoCreation,
    StrategicPriority::LeadershipAndChange,
    StrategicPriority::DigitalTransformation,
    StrategicPriority::Professionalisation,
];

/// The codes and scale sizes of a framework's competencies, in its order.
fn scales(content: &FrameworkContent) -> Vec<(String, u8)> {
    content
        .areas
        .iter()
        .flat_map(|a| &a.competencies)
        .map(|c| (c.code.clone(), c.levels.len() as u8))
        .collect()
}

/// The process's peak resident set (VmHWM), in KiB, where /proc has it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn code_index(scales: &[(String, u8)], code: &str) -> usize {
    scales.iter().position(|(c, _)| c == code).unwrap_or(0)
}
