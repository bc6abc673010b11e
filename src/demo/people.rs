//! A few thousand employees across the demo institutions, with Latvian names
//! (surnames in their masculine and feminine forms), job groups and the
//! functions indicators count. Seeded, so the same people every time.

use chrono::NaiveDate;
use futures::{stream, StreamExt, TryStreamExt};
use prasme_commands::{AssignManager, CommandError, HireEmployee, UseCases};
use prasme_domain::employee::{EmployeeFunction, JobGroup};
use prasme_domain::reference::InstitutionKind;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use super::budget::{institution_id, institutions};
use super::{context, Loaded, NAMESPACE};

const SEED: u64 = 60_000;
/// One employee per this many euros of yearly payroll (a tenth of the real
/// headcount, to keep the demo quick to load).
const PAYROLL_PER_EMPLOYEE_EUR: i64 = 250_000;
/// Hires sent at once, so that the store's group commit has company.
const CONCURRENCY: usize = 16;

pub(super) const WOMEN: [&str; 12] = [
    "Anna",
    "Līga",
    "Ilze",
    "Inese",
    "Kristīne",
    "Laura",
    "Dace",
    "Sandra",
    "Ieva",
    "Zane",
    "Agnese",
    "Elīna",
];
pub(super) const MEN: [&str; 12] = [
    "Jānis",
    "Andris",
    "Mārtiņš",
    "Edgars",
    "Pēteris",
    "Kārlis",
    "Roberts",
    "Dainis",
    "Gints",
    "Aivars",
    "Raimonds",
    "Toms",
];
/// (masculine, feminine)
pub(super) const SURNAMES: [(&str, &str); 12] = [
    ("Bērziņš", "Bērziņa"),
    ("Kalniņš", "Kalniņa"),
    ("Ozols", "Ozola"),
    ("Liepiņš", "Liepiņa"),
    ("Krūmiņš", "Krūmiņa"),
    ("Balodis", "Balode"),
    ("Zariņš", "Zariņa"),
    ("Pētersons", "Pētersone"),
    ("Vītols", "Vītola"),
    ("Kļaviņš", "Kļaviņa"),
    ("Jansons", "Jansone"),
    ("Eglītis", "Eglīte"),
];

pub(super) fn ascii(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            'ā' => 'a',
            'č' => 'c',
            'ē' => 'e',
            'ģ' => 'g',
            'ī' => 'i',
            'ķ' => 'k',
            'ļ' => 'l',
            'ņ' => 'n',
            'š' => 's',
            'ū' => 'u',
            'ž' => 'z',
            other => other.to_ascii_lowercase(),
        })
        .collect()
}

/// The n-th employee of an institution: their id, and their hire (whose
/// command id is the employee id).
fn person(rng: &mut SmallRng, institution: Uuid, kind: InstitutionKind, n: usize) -> (Uuid, HireEmployee) {
    let woman = rng.gen_bool(0.62);
    let first = if woman {
        WOMEN[rng.gen_range(0..WOMEN.len())]
    } else {
        MEN[rng.gen_range(0..MEN.len())]
    };
    let (his, hers) = SURNAMES[rng.gen_range(0..SURNAMES.len())];
    let last = if woman { hers } else { his };
    let born = NaiveDate::from_ymd_opt(rng.gen_range(1962..2003), rng.gen_range(1..=12), rng.gen_range(1..=28))
        .unwrap_or_default();
    let code = format!("{}-{:05}", born.format("%d%m%y"), rng.gen_range(0..100_000));
    let email = format!("{}.{}{}@example.gov.lv", ascii(first), ascii(last), n);
    // The first employees of each institution hold the roles every
    // institution has; the rest are drawn.
    let mut job_groups = vec![match (n, rng.gen_range(0..100)) {
        (0, _) => JobGroup::TopManager,
        (_, 0..=14) => JobGroup::MiddleOrLowerManager,
        (_, 15..=19) => JobGroup::HrSpecialist,
        (_, 20..=27) => JobGroup::NewEmployee,
        (_, 28..=31) => JobGroup::EuFundsSpecialist,
        (_, 32..=44) => JobGroup::LawEnforcement,
        _ => JobGroup::NewEmployee,
    }];
    if job_groups[0] == JobGroup::NewEmployee && rng.gen_bool(0.7) {
        // Most staff are in no particular target group but "all employees".
        job_groups = vec![JobGroup::NewEmployee];
    }
    let mut functions = Vec::new();
    match n {
        1 => functions.push(EmployeeFunction::EthicsTrustPerson),
        2 => functions.push(EmployeeFunction::WhistleblowingContact),
        _ => {}
    }
    for (function, share) in [
        (EmployeeFunction::ClientService, 0.2),
        (EmployeeFunction::ControlOrSupervision, 0.15),
        (EmployeeFunction::Procurement, 0.03),
        (EmployeeFunction::Mentor, 0.03),
        (EmployeeFunction::InternalTrainer, 0.02),
        (EmployeeFunction::DigitalAgent, 0.02),
    ] {
        if rng.gen_bool(share) {
            functions.push(function);
        }
    }
    let employee_id = employee_id(institution, n);
    let hired_on = NaiveDate::from_ymd_opt(rng.gen_range(2000..2026), rng.gen_range(1..=12), 1).unwrap_or_default();
    let hire = HireEmployee {
        employee_id: None,
        institution_id: institution,
        name: format!("{first} {last}"),
        email: Some(email),
        personal_code: Some(code),
        job_groups,
        civil_servant: kind == InstitutionKind::State && rng.gen_bool(0.6),
        functions,
        hired_on,
    };
    (employee_id, hire)
}

/// A demo employee as later parts of the dataset need them.
pub(super) struct Staff {
    pub(super) id: Uuid,
    pub(super) institution: Uuid,
    pub(super) job_groups: Vec<JobGroup>,
    pub(super) hired_on: NaiveDate,
}

/// Hires the demo's employees.
pub(super) async fn load(use_cases: &UseCases, loaded: &mut Loaded) -> Result<Vec<Staff>, CommandError> {
    let mut rng = SmallRng::seed_from_u64(SEED);
    let mut hires = Vec::new();
    for demo in institutions() {
        let headcount = (demo.payroll_eur / PAYROLL_PER_EMPLOYEE_EUR).max(5) as usize;
        for n in 0..headcount {
            hires.push(person(&mut rng, institution_id(&demo), demo.kind, n));
        }
    }
    let staff: Vec<Staff> = hires
        .iter()
        .map(|(id, h)| Staff {
            id: *id,
            institution: h.institution_id,
            job_groups: h.job_groups.clone(),
            hired_on: h.hired_on,
        })
        .collect();
    let results: Vec<_> = stream::iter(hires)
        .map(|(employee_id, hire)| async move { use_cases.hire_employee(&context(employee_id), hire).await })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    for accepted in &results {
        loaded.count(accepted);
    }
    loaded.employees += results.len();
    // In each institution the first few staff report to its head, so that
    // a MANAGER has direct reports to approve.
    let reports: Vec<AssignManager> = institutions()
        .iter()
        .flat_map(|demo| {
            let institution = institution_id(demo);
            (1..=DIRECT_REPORTS).map(move |n| AssignManager {
                employee_id: employee_id(institution, n),
                manager_id: employee_id(institution, 0),
            })
        })
        .collect();
    let assigned: Vec<_> = stream::iter(reports)
        .map(|assign| async move {
            let command_id = Uuid::new_v5(&assign.employee_id, b"manager");
            use_cases.assign_manager(&context(command_id), assign).await
        })
        .buffer_unordered(CONCURRENCY)
        .try_collect()
        .await?;
    for accepted in &assigned {
        loaded.count(accepted);
    }
    Ok(staff)
}

/// How many of each institution's first employees report to its head.
pub(super) const DIRECT_REPORTS: usize = 4;

/// The id of the `n`th demo employee of `institution`: 0 heads it.
pub(super) fn employee_id(institution: Uuid, n: usize) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("employee:{institution}:{n}").as_bytes())
}
