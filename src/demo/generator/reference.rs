//! The generator's reference data: the demo's institutions plus more state
//! institutions and every municipality of the 2021 administrative-territorial
//! reform (7 valstspilsētas and 36 novadi), and the course themes by measure
//! of the plan, each with the people it is meant for.

use prasme_domain::course::CourseType;
use prasme_domain::employee::{EmployeeFunction, JobGroup};
use prasme_domain::reference::{Resor, StrategicPriority};

use super::super::budget::{institutions as demo_institutions, municipal, state, Demo};

/// Every institution of the full dataset: the demo's 48 first (with their
/// ids), then the rest. Payroll in euros a year, for 2021.
pub(super) fn institutions() -> Vec<Demo> {
    use Resor::*;
    let mut all = demo_institutions();
    all.extend([
        state("Korupcijas novēršanas un apkarošanas birojs", Vk, 10_500_000, 380),
        state("Izložu un azartspēļu uzraudzības inspekcija", Fm, 1_600_000, 300),
        state("Iekšlietu ministrijas Informācijas centrs", Iem, 6_200_000, 260),
        state("Nodrošinājuma valsts aģentūra", Iem, 5_100_000, 150),
        state("Valsts izglītības attīstības aģentūra", Izm, 4_600_000, 420),
        state("Latvijas Zinātnes padome", Izm, 1_900_000, 330),
        state("Zāļu valsts aģentūra", Vm, 6_100_000, 280),
        state("Veselības inspekcija", Vm, 5_300_000, 240),
        state("Neatliekamās medicīniskās palīdzības dienests", Vm, 61_000_000, 60),
        state("Valsts bērnu tiesību aizsardzības inspekcija", Lm, 2_600_000, 350),
        state("Sociālās integrācijas valsts aģentūra", Lm, 3_100_000, 300),
        state("Valsts probācijas dienests", Tm, 12_400_000, 190),
        state("Datu valsts inspekcija", Tm, 1_300_000, 410),
        state("Maksātnespējas kontroles dienests", Tm, 1_500_000, 370),
        state("Juridiskās palīdzības administrācija", Tm, 1_100_000, 300),
        state("Valsts augu aizsardzības dienests", Zm, 8_300_000, 170),
        state("Lauksaimniecības datu centrs", Zm, 2_100_000, 220),
        state("Dabas aizsardzības pārvalde", Kem, 7_400_000, 160),
        state("Centrālā statistikas pārvalde", Em, 14_200_000, 260),
        state("Konkurences padome", Em, 2_600_000, 450),
        state("Būvniecības valsts kontroles birojs", Em, 3_200_000, 310),
        state("Patentu valde", Em, 1_800_000, 280),
        state("Latvijas Nacionālā bibliotēka", Km, 7_200_000, 140),
        state("Latvijas Nacionālais arhīvs", Km, 6_300_000, 120),
        state("Valsts dzelzceļa administrācija", Sm, 800_000, 250),
        state(
            "Valsts aizsardzības militāro objektu un iepirkumu centrs",
            Am,
            6_400_000,
            230,
        ),
        state("Jaunsardzes centrs", Am, 4_100_000, 200),
        state(
            "Valsts reģionālās attīstības aģentūra: reģionālās nodaļas",
            Varam,
            2_200_000,
            400,
        ),
        // The other valstspilsētas (Rīga, Daugavpils and Liepāja are the demo's).
        municipal("Jelgavas valstspilsētas pašvaldība", 41_000_000, 120),
        municipal("Jūrmalas valstspilsētas pašvaldība", 36_000_000, 150),
        municipal("Rēzeknes valstspilsētas pašvaldība", 21_000_000, 80),
        municipal("Ventspils valstspilsētas pašvaldība", 26_000_000, 130),
        // The novadi (Valmiera and Cēsis are the demo's).
        municipal("Aizkraukles novada pašvaldība", 13_000_000, 100),
        municipal("Alūksnes novada pašvaldība", 8_000_000, 90),
        municipal("Augšdaugavas novada pašvaldība", 14_000_000, 70),
        municipal("Ādažu novada pašvaldība", 9_000_000, 160),
        municipal("Balvu novada pašvaldība", 9_500_000, 80),
        municipal("Bauskas novada pašvaldība", 17_000_000, 110),
        municipal("Dienvidkurzemes novada pašvaldība", 19_000_000, 90),
        municipal("Dobeles novada pašvaldība", 14_000_000, 100),
        municipal("Gulbenes novada pašvaldība", 8_500_000, 90),
        municipal("Jelgavas novada pašvaldība", 15_000_000, 110),
        municipal("Jēkabpils novada pašvaldība", 17_000_000, 100),
        municipal("Krāslavas novada pašvaldība", 9_000_000, 60),
        municipal("Kuldīgas novada pašvaldība", 16_000_000, 120),
        municipal("Ķekavas novada pašvaldība", 16_000_000, 150),
        municipal("Limbažu novada pašvaldība", 13_000_000, 100),
        municipal("Līvānu novada pašvaldība", 5_500_000, 80),
        municipal("Ludzas novada pašvaldība", 9_000_000, 60),
        municipal("Madonas novada pašvaldība", 15_000_000, 100),
        municipal("Mārupes novada pašvaldība", 15_000_000, 170),
        municipal("Ogres novada pašvaldība", 24_000_000, 130),
        municipal("Olaines novada pašvaldība", 9_000_000, 120),
        municipal("Preiļu novada pašvaldība", 7_000_000, 70),
        municipal("Rēzeknes novada pašvaldība", 12_000_000, 60),
        municipal("Ropažu novada pašvaldība", 14_000_000, 120),
        municipal("Salaspils novada pašvaldība", 10_000_000, 140),
        municipal("Saldus novada pašvaldība", 14_000_000, 90),
        municipal("Saulkrastu novada pašvaldība", 4_500_000, 110),
        municipal("Siguldas novada pašvaldība", 15_000_000, 160),
        municipal("Smiltenes novada pašvaldība", 10_000_000, 110),
        municipal("Talsu novada pašvaldība", 17_000_000, 100),
        municipal("Tukuma novada pašvaldība", 19_000_000, 110),
        municipal("Valkas novada pašvaldība", 5_000_000, 80),
        municipal("Varakļānu novada pašvaldība", 2_000_000, 50),
        municipal("Ventspils novada pašvaldība", 7_500_000, 90),
    ]);
    all
}

/// Who a course is meant for; offerings fill their seats from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Audience {
    Everyone,
    Group(JobGroup),
    Function(EmployeeFunction),
    Managers,
}

/// A theme of the plan's measure: (measure, theme, audience, usual course type).
pub(super) type Theme = (&'static str, &'static str, Audience, CourseType);

pub(super) const THEMES: &[Theme] = {
    use Audience::*;
    use CourseType::*;
    use EmployeeFunction as F;
    use JobGroup as G;
    &[
        ("1.1", "Vērtības un ētika darbā", Everyone, Mandatory),
        (
            "1.1",
            "Ētikas uzticības personas darbs",
            Function(F::EthicsTrustPerson),
            Specialised,
        ),
        (
            "1.2",
            "Trauksmes celšanas sistēma iestādē",
            Function(F::WhistleblowingContact),
            ELearning,
        ),
        (
            "1.3",
            "Valsts pārvaldes darbības pamati",
            Group(G::TopManager),
            ELearning,
        ),
        ("1.4", "Administratīvais process un kiberhigiēna", Everyone, Blended),
        (
            "1.5",
            "Publisko iepirkumu procedūras",
            Function(F::Procurement),
            Specialised,
        ),
        (
            "1.6",
            "Interešu konflikta novēršana",
            Function(F::ControlOrSupervision),
            Corporate,
        ),
        ("1.7", "Klientorientēta saziņa", Function(F::ClientService), Corporate),
        ("2.1", "Dizaina domāšana pakalpojumos", Everyone, Corporate),
        ("2.2", "Inovāciju laboratorija", Everyone, Blended),
        (
            "2.3",
            "Zināšanu pārnese un iekšējā apmācība",
            Function(F::InternalTrainer),
            Corporate,
        ),
        ("2.4", "Koprade ar sabiedrību", Function(F::ClientService), Corporate),
        ("3.1", "Stratēģiskā līderība", Group(G::TopManager), Corporate),
        (
            "3.2",
            "Vadītāja loma komandā",
            Group(G::MiddleOrLowerManager),
            Corporate,
        ),
        ("3.3", "Pārmaiņu vadība", Managers, Blended),
        ("3.4", "Mentorings un koučings", Function(F::Mentor), Corporate),
        ("4.1", "Digitālās pamatprasmes", Everyone, ELearning),
        ("4.2", "Datu pratība un analītika", Everyone, Blended),
        ("4.3", "Digitālo aģentu skola", Function(F::DigitalAgent), Specialised),
        ("5.1", "Ievadkurss valsts pārvaldē", Group(G::NewEmployee), Onboarding),
        ("5.2", "Personāla vadības prakse", Group(G::HrSpecialist), Specialised),
        (
            "5.3",
            "ES fondu projektu vadība",
            Group(G::EuFundsSpecialist),
            Specialised,
        ),
        (
            "5.4",
            "Tiesībsargājošo iestāžu sadarbība",
            Group(G::LawEnforcement),
            Specialised,
        ),
        (
            "5.5",
            "Iekšējās kontroles sistēma",
            Function(F::ControlOrSupervision),
            Specialised,
        ),
    ]
};

/// What a theme's courses are called, one variant after another.
pub(super) const VARIANTS: [&str; 8] = [
    "pamatkurss",
    "padziļinātais kurss",
    "praktikums",
    "e-kurss",
    "meistarklase",
    "seminārs",
    "tiešsaistes modulis",
    "vasaras skola",
];

/// The priority a measure number belongs to.
pub(super) fn priority_of(measure: &str) -> StrategicPriority {
    match measure.as_bytes().first() {
        Some(b'1') => StrategicPriority::Integrity,
        Some(b'2') => StrategicPriority::InnovationAndCoCreation,
        Some(b'3') => StrategicPriority::LeadershipAndChange,
        Some(b'4') => StrategicPriority::DigitalTransformation,
        _ => StrategicPriority::Professionalisation,
    }
}

/// Reasons that recur in the log, in Latvian as the institutions write them.
pub(super) const DROP_REASONS: [&str; 4] = ["Darba pienākumi", "Slimība", "Atvaļinājums", "Dienesta komandējums"];
