//! A course catalogue covering the five priorities and all four owner levels.

use prasme_commands::{CatalogueCourse, CommandError, DescribeCourse, UseCases};
use prasme_domain::course::{CourseType, OwnerLevel, OwnerParts};
use prasme_domain::reference::{Resor, StrategicPriority};
use uuid::Uuid;

use super::{context, Loaded, NAMESPACE};

pub(super) type Entry = (
    &'static str,
    StrategicPriority,
    &'static [&'static str],
    CourseType,
    bool,
    i32,
    &'static [&'static str],
);

pub(super) const COURSES: &[Entry] = {
    use CourseType::*;
    use StrategicPriority::*;
    &[
        (
            "Vērtības un ētika valsts pārvaldē",
            Integrity,
            &["1.1"],
            Mandatory,
            true,
            240,
            &["Ētika", "Integritāte"],
        ),
        (
            "Ētikas uzticības personu mācības",
            Integrity,
            &["1.1"],
            Specialised,
            true,
            480,
            &["Ētika"],
        ),
        (
            "Trauksmes celšana: atbildīgās personas",
            Integrity,
            &["1.2"],
            ELearning,
            true,
            120,
            &["Trauksmes celšana"],
        ),
        (
            "Ievadkurss politiskajām amatpersonām",
            Integrity,
            &["1.3"],
            ELearning,
            true,
            180,
            &["Valsts pārvaldes pamati"],
        ),
        (
            "Administratīvās tiesības un kiberdrošība",
            Integrity,
            &["1.4"],
            Blended,
            true,
            960,
            &["Tiesiskums", "Kiberdrošība"],
        ),
        (
            "Kohēzijas politikas iepirkumi",
            Integrity,
            &["1.5"],
            Specialised,
            true,
            720,
            &["Publiskie iepirkumi"],
        ),
        (
            "Interešu konflikta un korupcijas novēršana",
            Integrity,
            &["1.6"],
            Corporate,
            false,
            360,
            &["Korupcijas novēršana"],
        ),
        (
            "Dizaina domāšana un LEAN",
            InnovationAndCoCreation,
            &["2.1"],
            Corporate,
            false,
            960,
            &["Inovācija", "LEAN"],
        ),
        (
            "Inovāciju laboratorijas sprints",
            InnovationAndCoCreation,
            &["2.2", "2.4"],
            Blended,
            false,
            1440,
            &["Inovācija"],
        ),
        (
            "Zināšanu pārnese un koprade",
            InnovationAndCoCreation,
            &["2.3"],
            Corporate,
            false,
            480,
            &["Koprade"],
        ),
        (
            "Stratēģiskā līderība augstākajiem vadītājiem",
            LeadershipAndChange,
            &["3.1"],
            Corporate,
            false,
            2400,
            &["Līderība"],
        ),
        (
            "Vidējā līmeņa vadītāju programma",
            LeadershipAndChange,
            &["3.2"],
            Blended,
            true,
            1920,
            &["Līderība", "Komandas vadība"],
        ),
        (
            "Pārmaiņu vadība",
            LeadershipAndChange,
            &["3.3", "3.4"],
            Corporate,
            false,
            720,
            &["Pārmaiņu vadība"],
        ),
        (
            "Digitālās prasmes",
            DigitalTransformation,
            &["4.1"],
            ELearning,
            true,
            600,
            &["Datpratība", "Digitālās prasmes"],
        ),
        (
            "E-pakalpojumi klientu apkalpošanas centros",
            DigitalTransformation,
            &["4.2"],
            Specialised,
            true,
            480,
            &["Klientu apkalpošana"],
        ),
        (
            "Datu analītika un mākslīgais intelekts",
            DigitalTransformation,
            &["4.3"],
            Blended,
            true,
            960,
            &["Datpratība"],
        ),
        (
            "Jauno darbinieku ievadmācības",
            Professionalisation,
            &["5.1"],
            Onboarding,
            false,
            480,
            &["Valsts pārvaldes pamati"],
        ),
        (
            "Klientorientācija",
            Professionalisation,
            &["5.2"],
            Corporate,
            false,
            360,
            &["Klientu apkalpošana"],
        ),
        (
            "Kohēzijas politikas kapacitāte",
            Professionalisation,
            &["5.3"],
            Specialised,
            true,
            720,
            &["ES fondi"],
        ),
        (
            "Nākotnes prasmes un pārkvalifikācija",
            Professionalisation,
            &["5.4"],
            ELearning,
            false,
            300,
            &["Nākotnes prasmes"],
        ),
        (
            "Iekšējās kontroles briedums",
            Professionalisation,
            &["5.5"],
            Specialised,
            true,
            480,
            &["Iekšējā kontrole"],
        ),
    ]
};

/// Who publishes the n-th course: most come from VAS, the rest from a resor,
/// an institution (the State Revenue Service) or a professional group.
fn owner(n: usize, vid: Uuid) -> OwnerParts {
    let level = match n % 6 {
        1 => OwnerLevel::Resor,
        3 => OwnerLevel::Institution,
        5 => OwnerLevel::ProfessionalGroup,
        _ => OwnerLevel::PublicAdministration,
    };
    OwnerParts {
        level,
        resor: (level == OwnerLevel::Resor).then_some(Resor::Fm),
        institution_id: (level == OwnerLevel::Institution).then_some(vid),
        group: (level == OwnerLevel::ProfessionalGroup).then(|| "Iepirkumu un ES fondu speciālisti".into()),
    }
}

/// Catalogues the courses; returns each one's id and duration in minutes.
/// The induction e-course for political officials (measure 1.3).
pub(super) fn induction_course() -> Uuid {
    Uuid::new_v5(&NAMESPACE, "course:Ievadkurss politiskajām amatpersonām".as_bytes())
}

/// A catalogued course: its id, its length in minutes, and whether it is
/// for leaders (measures 1.3 and 3.1: political officials and top managers).
pub(super) type Catalogued = (Uuid, i32, bool);

pub(super) async fn load(use_cases: &UseCases, loaded: &mut Loaded) -> Result<Vec<Catalogued>, CommandError> {
    let mut catalogued = Vec::new();
    let vid = Uuid::new_v5(&NAMESPACE, "Valsts ieņēmumu dienests".as_bytes());
    for (n, (title, priority, measures, course_type, test, minutes, competencies)) in COURSES.iter().enumerate() {
        let course_id = Uuid::new_v5(&NAMESPACE, format!("course:{title}").as_bytes());
        let catalogue = CatalogueCourse {
            course_id: Some(course_id),
            description: DescribeCourse {
                title: (*title).to_owned(),
                owner: owner(n, vid),
                priority: *priority,
                measures: measures.iter().map(|m| (*m).to_owned()).collect(),
                course_type: *course_type,
                knowledge_test: *test,
                duration_minutes: *minutes,
                language: "lv".into(),
                competencies: competencies.iter().map(|c| (*c).to_owned()).collect(),
                develops: vec![],
            },
        };
        loaded.count(&use_cases.catalogue_course(&context(course_id), catalogue).await?);
        loaded.courses += 1;
        let for_leaders = measures.iter().any(|m| ["1.3", "3.1"].contains(m));
        catalogued.push((course_id, *minutes, for_leaders));
    }
    Ok(catalogued)
}
