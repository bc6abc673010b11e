//! The demo's three competency frameworks, in Latvian, the system's working
//! language:
//!
//! - `digital`: DigComp 2.2, the European Commission's (JRC) Digital
//!   Competence Framework for Citizens: its 5 areas and 21 competences with
//!   their own codes, and its 8 proficiency levels in four bands. The level
//!   descriptions follow DigComp's general descriptors (complexity of tasks,
//!   autonomy, cognitive domain); DigComp's per-competence examples are left
//!   out, as the demo only needs a scale to assess on.
//! - `top_managers`: leadership for top managers, modelled on the State
//!   Chancellery's (Valsts kanceleja) competencies for the public
//!   administration's top managers: direction and change, people and
//!   collaboration, results, values and self-management.
//! - `middle_managers`: the same kind of framework for middle and lower
//!   managers, about running a unit rather than an institution.
//!
//! The leadership frameworks are paraphrases written for the demo, not the
//! official texts. The required levels are the demo's own choice, plausible
//! for the public administration, and fixed so the dataset stays
//! deterministic.

use prasme_commands::{CommandError, PublishCompetencyFramework, UseCases};
use prasme_domain::competency::{Area, Competency, FrameworkContent, Level, RequiredLevel};
use prasme_domain::employee::JobGroup;
use uuid::Uuid;

use super::{context, Loaded, NAMESPACE};

/// The id of the demo framework with this key.
pub(super) fn framework_id(key: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("competency-framework:{key}").as_bytes())
}

/// Publishes the three frameworks, as VAS would.
pub(super) async fn load(use_cases: &UseCases, loaded: &mut Loaded) -> Result<(), CommandError> {
    for (key, content) in [
        ("top-managers", top_managers()),
        ("middle-managers", middle_managers()),
        ("digital", digital()),
    ] {
        let id = framework_id(key);
        let publish = PublishCompetencyFramework {
            framework_id: Some(id),
            content,
        };
        loaded.count(&use_cases.publish_competency_framework(&context(id), publish).await?);
        loaded.frameworks += 1;
    }
    Ok(())
}

/// An area: code, name and its competencies, in whichever row shape the
/// framework uses.
type AreaRow<C> = (&'static str, &'static str, &'static [C]);

/// A DigComp competence: code, name, and the level each of `JOB_GROUPS`
/// requires, in that order.
type DigitalRow = (&'static str, &'static str, [u8; 7]);

/// A leadership competency: code, name, what each level of
/// `LEADERSHIP_LEVELS` looks like in behaviour, and the required levels.
type LeadershipRow = (&'static str, &'static str, [&'static str; 4], &'static [(JobGroup, u8)]);

/// The order of `DigitalRow`'s required levels: every group works with
/// digital tools, so DigComp names a level for each.
const JOB_GROUPS: [JobGroup; 7] = [
    JobGroup::NewEmployee,
    JobGroup::HrSpecialist,
    JobGroup::LawEnforcement,
    JobGroup::EuFundsSpecialist,
    JobGroup::MiddleOrLowerManager,
    JobGroup::TopManager,
    JobGroup::PoliticalOfficial,
];

/// DigComp 2.2's proficiency levels: name, description and band. Every
/// competence shares them, as DigComp's own descriptors do.
const DIGCOMP_LEVELS: [(&str, &str, &str); 8] = [
    (
        "1 — pamata (ar vadību)",
        "Vienkārši uzdevumi, ar citas personas vadību; atcerēšanās: atceros un veicu vienkāršas darbības, kad \
         kāds man palīdz.",
        "pamata",
    ),
    (
        "2 — pamata (patstāvīgi un ar vadību, kad tā vajadzīga)",
        "Vienkārši uzdevumi, patstāvīgi un ar vadību, kad tā vajadzīga; atcerēšanās: atceros un veicu vienkāršas \
         darbības pats, palīdzību lūdzot tikai vajadzības gadījumā.",
        "pamata",
    ),
    (
        "3 — vidējais (patstāvīgi)",
        "Skaidri noteikti un ierasti uzdevumi, nesarežģītas problēmas, patstāvīgi; izpratne: pats izskaidroju un \
         veicu ierastas darbības un atrisinu nesarežģītas problēmas.",
        "vidējais",
    ),
    (
        "4 — vidējais (neatkarīgi, atbilstoši savām vajadzībām)",
        "Uzdevumi un skaidri noteiktas neierastas problēmas, neatkarīgi un atbilstoši savām vajadzībām; izpratne: \
         izvēlos piemērotu rīcību un atrisinu skaidri noteiktas neierastas problēmas.",
        "vidējais",
    ),
    (
        "5 — padziļinātais (vadot citus)",
        "Dažādi uzdevumi un problēmas, arī vadot citus; lietošana: lietoju zināšanas dažādās situācijās un \
         palīdzu citiem.",
        "padziļinātais",
    ),
    (
        "6 — padziļinātais (pielāgojoties citiem sarežģītā kontekstā)",
        "Vispiemērotākie uzdevumi, pielāgojoties citiem sarežģītā kontekstā; izvērtēšana: novērtēju iespējas, \
         izvēlos vispiemērotāko risinājumu un pielāgoju to citu vajadzībām.",
        "padziļinātais",
    ),
    (
        "7 — augsti specializētais (ieguldījums profesionālajā praksē)",
        "Sarežģītas problēmas ar ierobežotu risinājumu skaitu; integrēju zināšanas, lai dotu ieguldījumu \
         profesionālajā praksē un vadītu citus; radīšana.",
        "augsti specializētais",
    ),
    (
        "8 — augsti specializētais (jaunas idejas jomā)",
        "Sarežģītas problēmas ar daudziem savstarpēji mijiedarbīgiem faktoriem; ierosinu jaunas idejas un \
         procesus visai jomai; radīšana.",
        "augsti specializētais",
    ),
];

/// DigComp 2.2's areas and competences with their official codes. Required
/// levels (new employee, HR, law enforcement, EU funds, middle manager, top
/// manager, political official): intermediate (3–4) for everyday work, higher
/// in safety, where one careless employee endangers the whole institution,
/// and where a group's work leans on the competence (HR on personal data and
/// competence gaps, managers on collaboration and choosing tools); low for
/// programming, which few jobs in the administration need.
const DIGCOMP: &[AreaRow<DigitalRow>] = &[
    (
        "1",
        "Informācijas un datu pratība",
        &[
            (
                "1.1",
                "Datu, informācijas un digitālā satura pārlūkošana, meklēšana un filtrēšana",
                [3, 4, 4, 4, 4, 4, 3],
            ),
            (
                "1.2",
                "Datu, informācijas un digitālā satura izvērtēšana",
                [3, 4, 4, 4, 4, 5, 4],
            ),
            (
                "1.3",
                "Datu, informācijas un digitālā satura pārvaldība",
                [3, 4, 4, 5, 4, 4, 3],
            ),
        ],
    ),
    (
        "2",
        "Komunikācija un sadarbība",
        &[
            (
                "2.1",
                "Mijiedarbība, izmantojot digitālās tehnoloģijas",
                [3, 4, 3, 4, 4, 4, 4],
            ),
            (
                "2.2",
                "Dalīšanās, izmantojot digitālās tehnoloģijas",
                [3, 4, 3, 4, 4, 4, 3],
            ),
            (
                "2.3",
                "Pilsoniskā līdzdalība, izmantojot digitālās tehnoloģijas",
                [3, 4, 3, 4, 4, 5, 5],
            ),
            (
                "2.4",
                "Sadarbība, izmantojot digitālās tehnoloģijas",
                [3, 4, 3, 4, 5, 4, 3],
            ),
            ("2.5", "Tīkla etiķete", [3, 4, 4, 4, 4, 4, 4]),
            ("2.6", "Digitālās identitātes pārvaldība", [3, 4, 4, 3, 4, 5, 5]),
        ],
    ),
    (
        "3",
        "Digitālā satura radīšana",
        &[
            ("3.1", "Digitālā satura izstrāde", [3, 4, 3, 4, 4, 3, 3]),
            ("3.2", "Digitālā satura integrēšana un pārstrāde", [2, 3, 3, 4, 3, 3, 2]),
            ("3.3", "Autortiesības un licences", [2, 4, 3, 4, 4, 4, 3]),
            ("3.4", "Programmēšana", [1, 2, 2, 2, 2, 1, 1]),
        ],
    ),
    (
        "4",
        "Drošība",
        &[
            ("4.1", "Ierīču aizsardzība", [4, 4, 5, 4, 4, 4, 4]),
            ("4.2", "Personas datu un privātuma aizsardzība", [4, 5, 5, 5, 5, 5, 4]),
            ("4.3", "Veselības un labbūtības aizsardzība", [3, 4, 3, 3, 4, 4, 3]),
            ("4.4", "Vides aizsardzība", [3, 3, 3, 3, 3, 4, 3]),
        ],
    ),
    (
        "5",
        "Problēmu risināšana",
        &[
            ("5.1", "Tehnisku problēmu risināšana", [3, 3, 3, 3, 3, 3, 2]),
            (
                "5.2",
                "Vajadzību un tehnoloģisko risinājumu apzināšana",
                [3, 4, 3, 4, 5, 5, 3],
            ),
            ("5.3", "Digitālo tehnoloģiju radoša izmantošana", [2, 3, 3, 3, 4, 5, 3]),
            (
                "5.4",
                "Digitālās kompetences nepilnību apzināšana",
                [3, 5, 3, 4, 5, 5, 3],
            ),
        ],
    ),
];

/// The leadership frameworks' scale: four levels, so that a manager's
/// self-assessment and a 360-degree rating stay easy to tell apart; what
/// each level means is described per competency, in behaviour.
const LEADERSHIP_LEVELS: [&str; 4] = [
    "1 — pamata līmenis",
    "2 — attīstīts līmenis",
    "3 — augsts līmenis",
    "4 — izcils līmenis (paraugs citiem)",
];

/// Top managers lead an institution or a sector: most competencies require
/// the high level, the strategic ones and integrity the exemplary one.
/// Political officials share the vision, collaboration, integrity and
/// resilience a minister's team needs, but do not manage the civil service.
const TOP_MANAGERS: &[AreaRow<LeadershipRow>] = {
    use JobGroup::{PoliticalOfficial, TopManager};
    &[
        (
            "AV-1",
            "Virziena noteikšana un pārmaiņas",
            &[
                (
                    "AV-1.1",
                    "Vīzija un stratēģiskā domāšana",
                    [
                        "Izprot iestādes un nozares mērķus, sasaista ar tiem savas jomas darbu un saskata tuvākās \
                         tendences.",
                        "Formulē iestādes ilgtermiņa mērķus, sasaistot tos ar valdības prioritātēm un attīstības \
                         plānošanas dokumentiem; izvērtē riskus un iespējas.",
                        "Veido un skaidri komunicē iestādes vīziju, analizē nozares un starptautiskās tendences un \
                         pārvērš tās stratēģiskos lēmumos sabiedrības labā.",
                        "Veido valsts pārvaldes mēroga redzējumu, paredz ilgtermiņa izaicinājumus un iesaista citas \
                         iestādes kopīgā stratēģiskā virzienā.",
                    ],
                    &[(TopManager, 4), (PoliticalOfficial, 3)],
                ),
                (
                    "AV-1.2",
                    "Pārmaiņu vadība",
                    [
                        "Pieņem pārmaiņas, skaidro to nepieciešamību savai komandai un īsteno noteiktos pārmaiņu \
                         pasākumus.",
                        "Plāno pārmaiņas, izvērtē to ietekmi uz cilvēkiem un procesiem un mazina pretestību, \
                         iesaistot darbiniekus.",
                        "Ierosina un vada iestādes mēroga pārmaiņas, nodrošina tām resursus, komunikāciju un \
                         uzraudzību arī nenoteiktības apstākļos.",
                        "Vada starpinstitucionālas pārmaiņas, veido pārmaiņām atvērtu kultūru un palīdz citiem \
                         vadītājiem pārmaiņas īstenot.",
                    ],
                    &[(TopManager, 4)],
                ),
                (
                    "AV-1.3",
                    "Inovācija",
                    [
                        "Ir atvērts jaunām idejām un pieejām, atbalsta darbinieku priekšlikumus darba uzlabošanai.",
                        "Mērķtiecīgi meklē labākus risinājumus, pieļauj eksperimentus ar pārvaldāmu risku un mācās \
                         no kļūdām.",
                        "Veido vidi, kurā inovācija ir ikdienas darba daļa: izmanto pakalpojumu dizainu, datus un \
                         eksperimentus, lai mazinātu administratīvo slogu.",
                        "Virza inovāciju valsts pārvaldes līmenī, dalās pieredzē ar citām iestādēm un iedrošina tās \
                         pārņemt labo praksi.",
                    ],
                    &[(TopManager, 3)],
                ),
            ],
        ),
        (
            "AV-2",
            "Cilvēki un sadarbība",
            &[
                (
                    "AV-2.1",
                    "Cilvēku vadīšana un attīstīšana",
                    [
                        "Nosaka darbiniekiem skaidrus uzdevumus un regulāri sniedz atgriezenisko saiti.",
                        "Deleģē atbildību, motivē darbiniekus un atbalsta viņu izaugsmi ar attīstības plāniem, \
                         mentoringu un mācībām.",
                        "Veido spēcīgu vadītāju komandu, plāno pēctecību un attīsta talantus, veicinot uzticēšanos \
                         un iekļaujošu darba vidi.",
                        "Veido iestādē mācīšanās kultūru un attīsta vadītājus arī ārpus savas iestādes; citi \
                         vadītāji mācās no viņa pieredzes.",
                    ],
                    &[(TopManager, 4)],
                ),
                (
                    "AV-2.2",
                    "Sadarbība un sadarbības tīklu veidošana",
                    [
                        "Sadarbojas ar citām struktūrvienībām un iestādēm kopīgu uzdevumu izpildē.",
                        "Veido un uztur profesionālus kontaktus nozarē, saskaņo intereses un panāk vienošanos.",
                        "Veido stratēģiskas partnerības ar iestādēm, sociālajiem partneriem, nevalstiskajām \
                         organizācijām un starptautiskiem partneriem kopīgu mērķu sasniegšanai.",
                        "Vada starpnozaru sadarbības tīklus valsts mēroga jautājumos, pārstāv valsti starptautiski \
                         un stiprina uzticēšanos starp iestādēm.",
                    ],
                    &[(TopManager, 3), (PoliticalOfficial, 3)],
                ),
            ],
        ),
        (
            "AV-3",
            "Rezultāti",
            &[(
                "AV-3.1",
                "Orientācija uz rezultātu",
                [
                    "Izvirza sasniedzamus mērķus un seko to izpildei noteiktajos termiņos.",
                    "Nosaka izmērāmus rezultātus, plāno resursus un koriģē rīcību, ja rezultāti atpaliek.",
                    "Vada iestādes sniegumu pēc rezultātiem un ietekmes uz sabiedrību, lietderīgi izmanto budžetu \
                     un uzņemas atbildību par rezultātu.",
                    "Nosaka augstus snieguma standartus visā nozarē, sasaista iestāžu rezultātus ar valsts \
                     attīstības mērķiem un atskaitās sabiedrībai par ietekmi.",
                ],
                &[(TopManager, 4)],
            )],
        ),
        (
            "AV-4",
            "Vērtības un pašvadība",
            &[
                (
                    "AV-4.1",
                    "Godprātība un uz vērtībām balstīta vadība",
                    [
                        "Ievēro valsts pārvaldes vērtības un ētikas principus, novērš interešu konfliktus.",
                        "Rīkojas konsekventi un atklāti, skaidro lēmumu pamatojumu un rosina komandu apspriest \
                         ētikas dilemmas.",
                        "Ar savu rīcību ir godprātības paraugs, veido iestādē uz vērtībām balstītu kultūru un \
                         aizsargā trauksmes cēlējus.",
                        "Stiprina sabiedrības uzticēšanos valsts pārvaldei, aizstāv vērtības arī politiska vai \
                         publiska spiediena apstākļos un veicina godprātību citās iestādēs.",
                    ],
                    &[(TopManager, 4), (PoliticalOfficial, 4)],
                ),
                (
                    "AV-4.2",
                    "Pašvadība un noturība",
                    [
                        "Apzinās savas stiprās puses un attīstības vajadzības, ierastā slodzē saglabā mieru.",
                        "Pārvalda savu laiku un enerģiju, mācās no atgriezeniskās saites un saglabā efektivitāti \
                         spriedzes apstākļos.",
                        "Saglabā skaidru domāšanu un līdzsvaru krīzēs un ilgstošā nenoteiktībā, rūpējas par savu \
                         un komandas labbūtību.",
                        "Ar savu noturību un pašrefleksiju iedvesmo citus, mērķtiecīgi attīsta sevi kā līderi un \
                         veido atbalstošu vidi vadītāju labbūtībai.",
                    ],
                    &[(TopManager, 3), (PoliticalOfficial, 3)],
                ),
            ],
        ),
    ]
};

/// Middle and lower managers run a unit: the high level is required for the
/// daily work of leading it, the developing one for change, which they carry
/// out more than they start.
const MIDDLE_MANAGERS: &[AreaRow<LeadershipRow>] = {
    use JobGroup::MiddleOrLowerManager;
    &[
        (
            "VV-1",
            "Darba organizēšana",
            &[
                (
                    "VV-1.1",
                    "Darba plānošana un organizēšana",
                    [
                        "Plāno savus un komandas uzdevumus īsam termiņam un seko to izpildei.",
                        "Sadala darbu atbilstoši darbinieku noslodzei un kompetencēm, nosaka prioritātes un \
                         termiņus.",
                        "Plāno struktūrvienības darbu gadam, sasaista to ar iestādes mērķiem, pārvalda resursus un \
                         riskus un laikus koriģē plānus.",
                        "Pilnveido darba procesus vairākās struktūrvienībās un dalās ar citiem vadītājiem efektīvākās \
                         darba organizācijas metodēs.",
                    ],
                    &[(MiddleOrLowerManager, 3)],
                ),
                (
                    "VV-1.2",
                    "Lēmumu pieņemšana",
                    [
                        "Pieņem lēmumus ierastās situācijās savas kompetences robežās, balstoties uz noteikumiem.",
                        "Savāc un izvērtē informāciju, apsver alternatīvas un pieņem lēmumus laikus, arī ja \
                         informācija nav pilnīga.",
                        "Pieņem pamatotus lēmumus sarežģītās situācijās, izvērtē to ietekmi uz iesaistītajiem un \
                         uzņemas atbildību par sekām.",
                        "Veido komandā lēmumu pieņemšanas kultūru: iesaista darbiniekus un deleģē lēmumus tiem, kas \
                         ir vistuvāk problēmai.",
                    ],
                    &[(MiddleOrLowerManager, 3)],
                ),
            ],
        ),
        (
            "VV-2",
            "Komandas vadība",
            &[
                (
                    "VV-2.1",
                    "Komandas vadīšana",
                    [
                        "Nosaka komandai skaidrus uzdevumus un gaidas, risina ikdienas jautājumus.",
                        "Motivē komandu, deleģē uzdevumus un atbildību, konstruktīvi risina konfliktus.",
                        "Veido saliedētu komandu ar kopīgiem mērķiem un uzticēšanos, vada arī attālināti un hibrīdi \
                         strādājošus darbiniekus.",
                        "Vada vairākas komandas vai starpfunkcionālas darba grupas, ir paraugs citiem vadītājiem.",
                    ],
                    &[(MiddleOrLowerManager, 3)],
                ),
                (
                    "VV-2.2",
                    "Darbinieku attīstīšana",
                    [
                        "Regulāri sniedz darbiniekiem atgriezenisko saiti un novērtē viņu darba rezultātus.",
                        "Kopā ar darbinieku nosaka attīstības vajadzības un plāno mācības, mācīšanos darba vietā un \
                         mentoringu.",
                        "Sistemātiski attīsta darbinieku kompetences, dod izaugsmes iespējas un sagatavo pēctečus.",
                        "Veido struktūrvienībā mācīšanās kultūru, ir mentors citiem vadītājiem un iekšējais \
                         pasniedzējs.",
                    ],
                    &[(MiddleOrLowerManager, 3)],
                ),
                (
                    "VV-2.3",
                    "Komunikācija",
                    [
                        "Skaidri un savlaicīgi nodod komandai informāciju un uzklausa darbiniekus.",
                        "Pielāgo saziņu auditorijai, argumentēti pauž viedokli un uzklausa atšķirīgus viedokļus.",
                        "Pārliecinoši pārstāv struktūrvienību iestādē un ārpus tās, vada sarežģītas sarunas un \
                         skaidro lēmumus saprotamā valodā.",
                        "Veido atklātu komunikācijas kultūru, vada sarunas starp iestādēm un ir atzīts sarunu \
                         vedējs.",
                    ],
                    &[(MiddleOrLowerManager, 3)],
                ),
            ],
        ),
        (
            "VV-3",
            "Pārmaiņas un vērtības",
            &[
                (
                    "VV-3.1",
                    "Pārmaiņu īstenošana",
                    [
                        "Skaidro komandai pārmaiņu iemeslus un īsteno pārmaiņas noteiktajā kārtībā.",
                        "Iesaista darbiniekus pārmaiņu plānošanā, atbalsta viņus un mazina pretestību.",
                        "Ierosina uzlabojumus, vada pārmaiņu projektus struktūrvienībā un seko to rezultātiem.",
                        "Vada pārmaiņas vairākās struktūrvienībās un palīdz citiem vadītājiem pārmaiņas īstenot.",
                    ],
                    &[(MiddleOrLowerManager, 2)],
                ),
                (
                    "VV-3.2",
                    "Godprātība",
                    [
                        "Ievēro ētikas principus un normatīvos aktus, atpazīst interešu konfliktu.",
                        "Rīkojas taisnīgi un konsekventi, skaidro komandai ētikas prasības un rīcību interešu \
                         konflikta gadījumā.",
                        "Ir godprātības paraugs, pārrunā ar komandu ētikas dilemmas un veido vidi, kurā darbinieki \
                         droši ziņo par pārkāpumiem.",
                        "Stiprina godprātības kultūru iestādē un konsultē citus vadītājus ētikas jautājumos.",
                    ],
                    &[(MiddleOrLowerManager, 3)],
                ),
            ],
        ),
    ]
};

pub(super) fn top_managers() -> FrameworkContent {
    leadership("Augstākā līmeņa vadītāju kompetenču ietvars", TOP_MANAGERS)
}

pub(super) fn middle_managers() -> FrameworkContent {
    leadership("Vidējā un zemākā līmeņa vadītāju kompetenču ietvars", MIDDLE_MANAGERS)
}

pub(super) fn digital() -> FrameworkContent {
    framework(
        "Digitālā kompetence (DigComp 2.2)",
        DIGCOMP,
        |&(code, name, required)| {
            let levels = (1..)
                .zip(DIGCOMP_LEVELS)
                .map(|(number, (name, description, band))| level(number, name, description, Some(band)))
                .collect();
            competency(code, name, levels, JOB_GROUPS.into_iter().zip(required))
        },
    )
}

fn leadership(title: &str, areas: &[AreaRow<LeadershipRow>]) -> FrameworkContent {
    framework(title, areas, |&(code, name, descriptions, required)| {
        let levels = (1..)
            .zip(LEADERSHIP_LEVELS)
            .zip(descriptions)
            .map(|((number, name), description)| level(number, name, description, None))
            .collect();
        competency(code, name, levels, required.iter().copied())
    })
}

fn framework<C>(title: &str, areas: &[AreaRow<C>], competency: impl Fn(&C) -> Competency) -> FrameworkContent {
    FrameworkContent {
        title: title.to_owned(),
        areas: areas
            .iter()
            .map(|&(code, name, competencies)| Area {
                code: code.to_owned(),
                name: name.to_owned(),
                competencies: competencies.iter().map(&competency).collect(),
            })
            .collect(),
    }
}

fn competency(
    code: &str,
    name: &str,
    levels: Vec<Level>,
    required: impl IntoIterator<Item = (JobGroup, u8)>,
) -> Competency {
    Competency {
        code: code.to_owned(),
        name: name.to_owned(),
        levels,
        required: required
            .into_iter()
            .map(|(job_group, level)| RequiredLevel { job_group, level })
            .collect(),
    }
}

fn level(number: u8, name: &str, description: &str, band: Option<&str>) -> Level {
    Level {
        number,
        name: name.to_owned(),
        description: description.to_owned(),
        band: band.map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn competencies(content: &FrameworkContent) -> impl Iterator<Item = &Competency> {
        content.areas.iter().flat_map(|a| &a.competencies)
    }

    #[test]
    fn every_framework_is_valid_as_written() {
        for content in [top_managers(), middle_managers(), digital()] {
            // Equal after validation: nothing needed trimming.
            assert_eq!(content.validated(), Ok(content.clone()), "{}", content.title);
        }
    }

    #[test]
    fn digital_has_digcomps_areas_competences_and_bands() {
        let content = digital();
        assert_eq!(content.areas.len(), 5);
        assert_eq!(competencies(&content).count(), 21);
        assert!(content.competency("1.1").is_some() && content.competency("5.4").is_some());
        for c in competencies(&content) {
            assert_eq!(c.levels.len(), 8, "{}", c.code);
            let bands: Vec<_> = c.levels.iter().map(|l| l.band.as_deref()).collect();
            let expected = ["pamata", "vidējais", "padziļinātais", "augsti specializētais"]
                .into_iter()
                .flat_map(|band| [Some(band); 2])
                .collect::<Vec<_>>();
            assert_eq!(bands, expected, "{}", c.code);
            assert_eq!(c.required.len(), JOB_GROUPS.len(), "{}", c.code);
        }
    }

    #[test]
    fn leadership_frameworks_require_levels_of_their_managers() {
        for (content, group) in [
            (top_managers(), JobGroup::TopManager),
            (middle_managers(), JobGroup::MiddleOrLowerManager),
        ] {
            assert!((3..=4).contains(&content.areas.len()), "{}", content.title);
            assert!((6..=9).contains(&competencies(&content).count()), "{}", content.title);
            for c in competencies(&content) {
                assert_eq!(c.levels.len(), LEADERSHIP_LEVELS.len(), "{}", c.code);
                assert!(c.required.iter().any(|r| r.job_group == group), "{}", c.code);
            }
        }
    }
}
