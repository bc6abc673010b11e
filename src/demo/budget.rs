//! Institutions and their training budgets: real Latvian state institutions
//! across resors and a few municipalities, with payroll budgets and training
//! allocations for 2024–2027 that land in every budget status.

use prasme_commands::{
    AllocateTrainingBudget, CommandError, CorrectTrainingAllocation, DeclareRemunerationBudget, RegisterInstitution,
    UseCases,
};
use prasme_domain::reference::{FundingSource, InstitutionKind, Resor, StrategicPriority};
use prasme_domain::Cents;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

use super::{context, Loaded, NAMESPACE};

const SEED: u64 = 2021_2027;
const YEARS: [i32; 4] = [2024, 2025, 2026, 2027];

/// How a demo institution's training budget compares with the 5 % rule.
#[derive(Clone, Copy)]
pub(super) enum Profile {
    /// Share in basis points of payroll, rising a little each year.
    Share(u32),
    /// Declares allocations but no payroll.
    NoPayroll,
}

pub(super) struct Demo {
    pub name: &'static str,
    pub kind: InstitutionKind,
    pub resor: Option<Resor>,
    pub funds_other_staff: bool,
    /// Yearly remuneration budget in euros.
    pub payroll_eur: i64,
    pub profile: Profile,
}

pub(super) const fn state(name: &'static str, resor: Resor, payroll_eur: i64, share_bp: u32) -> Demo {
    Demo {
        name,
        kind: InstitutionKind::State,
        resor: Some(resor),
        funds_other_staff: false,
        payroll_eur,
        profile: Profile::Share(share_bp),
    }
}

pub(super) const fn municipal(name: &'static str, payroll_eur: i64, share_bp: u32) -> Demo {
    Demo {
        name,
        kind: InstitutionKind::Municipal,
        resor: None,
        funds_other_staff: false,
        payroll_eur,
        profile: Profile::Share(share_bp),
    }
}

pub(super) fn institutions() -> Vec<Demo> {
    use Resor::*;
    vec![
        state("Valsts kanceleja", Vk, 9_800_000, 610),
        state("Valsts administrācijas skola", Vk, 1_900_000, 820),
        state("Finanšu ministrija", Fm, 14_500_000, 330),
        state("Valsts ieņēmumu dienests", Fm, 96_000_000, 180),
        state("Valsts kase", Fm, 8_200_000, 520),
        state("Iepirkumu uzraudzības birojs", Fm, 2_400_000, 450),
        state("Centrālā finanšu un līgumu aģentūra", Fm, 11_000_000, 240),
        state("Iekšlietu ministrija", Iem, 7_600_000, 290),
        state("Valsts policija", Iem, 168_000_000, 70),
        state("Valsts robežsardze", Iem, 61_000_000, 95),
        state("Valsts ugunsdzēsības un glābšanas dienests", Iem, 58_000_000, 130),
        state("Pilsonības un migrācijas lietu pārvalde", Iem, 12_500_000, 210),
        state("Izglītības un zinātnes ministrija", Izm, 8_900_000, 350),
        state("Izglītības kvalitātes valsts dienests", Izm, 3_100_000, 560),
        state("Veselības ministrija", Vm, 6_300_000, 270),
        state("Nacionālais veselības dienests", Vm, 9_700_000, 150),
        state("Slimību profilakses un kontroles centrs", Vm, 13_200_000, 80),
        state("Labklājības ministrija", Lm, 7_100_000, 400),
        state("Valsts sociālās apdrošināšanas aģentūra", Lm, 38_000_000, 120),
        state("Nodarbinātības valsts aģentūra", Lm, 27_000_000, 260),
        state("Valsts darba inspekcija", Lm, 5_400_000, 505),
        state("Tieslietu ministrija", Tm, 8_000_000, 310),
        state("Ieslodzījuma vietu pārvalde", Tm, 42_000_000, 40),
        state("Uzņēmumu reģistrs", Tm, 6_800_000, 230),
        state("Valsts zemes dienests", Tm, 15_300_000, 140),
        state("Zemkopības ministrija", Zm, 6_900_000, 280),
        state("Lauku atbalsta dienests", Zm, 19_500_000, 170),
        state("Pārtikas un veterinārais dienests", Zm, 24_000_000, 90),
        state("Valsts meža dienests", Zm, 21_000_000, 110),
        state(
            "Viedās administrācijas un reģionālās attīstības ministrija",
            Varam,
            10_400_000,
            480,
        ),
        state("Valsts reģionālās attīstības aģentūra", Varam, 5_600_000, 650),
        state("Valsts digitālās attīstības aģentūra", Varam, 7_300_000, 700),
        state("Klimata un enerģētikas ministrija", Kem, 4_200_000, 360),
        state("Valsts vides dienests", Kem, 16_800_000, 190),
        state("Ekonomikas ministrija", Em, 9_300_000, 420),
        state("Patērētāju tiesību aizsardzības centrs", Em, 3_600_000, 300),
        state("Kultūras ministrija", Km, 4_800_000, 250),
        state("Nacionālā kultūras mantojuma pārvalde", Km, 4_100_000, 160),
        state("Satiksmes ministrija", Sm, 5_200_000, 200),
        state("Ārlietu ministrija", Arm, 31_000_000, 150),
        state("Aizsardzības ministrija", Am, 18_000_000, 340),
        Demo {
            funds_other_staff: true,
            ..state("Tiesu administrācija", Tm, 74_000_000, 120)
        },
        Demo {
            profile: Profile::NoPayroll,
            ..state("Valsts valodas centrs", Izm, 0, 0)
        },
        municipal("Rīgas valstspilsētas pašvaldība", 410_000_000, 90),
        municipal("Daugavpils valstspilsētas pašvaldība", 58_000_000, 60),
        municipal("Liepājas valstspilsētas pašvaldība", 49_000_000, 140),
        municipal("Valmieras novada pašvaldība", 31_000_000, 210),
        municipal("Cēsu novada pašvaldība", 22_000_000, 170),
    ]
}

/// The institution's id in the dataset.
pub(super) fn institution_id(demo: &Demo) -> Uuid {
    Uuid::new_v5(&NAMESPACE, demo.name.as_bytes())
}

pub(super) async fn load(use_cases: &UseCases, loaded: &mut Loaded) -> Result<(), CommandError> {
    let mut rng = SmallRng::seed_from_u64(SEED);
    let mut sequence = 0u32;
    let mut next_id = |label: &str| {
        sequence += 1;
        Uuid::new_v5(&NAMESPACE, format!("{sequence}:{label}").as_bytes())
    };
    let priorities = [
        StrategicPriority::Integrity,
        StrategicPriority::InnovationAndCoCreation,
        StrategicPriority::LeadershipAndChange,
        StrategicPriority::DigitalTransformation,
        StrategicPriority::Professionalisation,
    ];
    let run = |loaded: &mut Loaded, accepted: prasme_commands::Accepted| loaded.count(&accepted);

    for demo in institutions() {
        let institution_id = institution_id(&demo);
        let register = RegisterInstitution {
            institution_id: Some(institution_id),
            name: demo.name.to_owned(),
            kind: demo.kind,
            resor: demo.resor,
            funds_other_institutions_staff: demo.funds_other_staff,
        };
        let ctx = context(next_id(demo.name));
        run(loaded, use_cases.register_institution(&ctx, register).await?);
        loaded.institutions += 1;

        for (offset, year) in YEARS.into_iter().enumerate() {
            let payroll = demo.payroll_eur * 100 * (100 + 4 * offset as i64) / 100;
            let share_bp = match demo.profile {
                Profile::Share(bp) => {
                    let ctx = context(next_id("payroll"));
                    let declare = DeclareRemunerationBudget {
                        institution_id,
                        year,
                        amount: Cents(payroll),
                    };
                    run(loaded, use_cases.declare_remuneration_budget(&ctx, declare).await?);
                    // The plan asks for about 5 % by 2027: most institutions creep upwards.
                    i64::from(bp) + 15 * offset as i64
                }
                Profile::NoPayroll => 150,
            };
            let base = if payroll > 0 { payroll } else { 300_000_000 };
            let total = base * share_bp / 10_000;
            let parts = rng.gen_range(1..=3);
            for part in 0..parts {
                let amount = if part + 1 == parts {
                    total - total / parts * (parts - 1)
                } else {
                    total / parts
                };
                if amount <= 0 {
                    continue;
                }
                let funding_source = match rng.gen_range(0..10) {
                    0..=5 => FundingSource::StateBudget,
                    6..=7 => FundingSource::Esf,
                    8 => FundingSource::Rrf,
                    _ => FundingSource::Other,
                };
                let priority = (rng.gen_range(0..4) > 0).then(|| priorities[rng.gen_range(0..priorities.len())]);
                let allocation_id = next_id("allocation");
                let ctx = context(allocation_id);
                let allocate = AllocateTrainingBudget {
                    institution_id,
                    allocation_id: Some(allocation_id),
                    year,
                    amount: Cents(amount),
                    funding_source,
                    priority,
                };
                run(loaded, use_cases.allocate_training_budget(&ctx, allocate).await?);
                // About one allocation in twelve is later corrected.
                if rng.gen_range(0..12) == 0 {
                    let ctx = context(next_id("correction"));
                    let correct = CorrectTrainingAllocation {
                        institution_id,
                        allocation_id,
                        amount: Cents(amount * 9 / 10),
                        funding_source,
                        priority,
                        reason: "Līgumcena pēc iepirkuma bija zemāka (contract price after procurement was lower)"
                            .into(),
                    };
                    run(loaded, use_cases.correct_training_allocation(&ctx, correct).await?);
                }
            }
        }
    }
    Ok(())
}
