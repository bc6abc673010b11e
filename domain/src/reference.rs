//! Reference data from the plan (seed 000) and the structure of Latvia's
//! public administration.

use serde::{Deserialize, Serialize};

/// State administration institution or municipal institution. Municipalities
/// join the system voluntarily and are counted separately (DOMAIN.md, "Who is in scope").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InstitutionKind {
    State,
    Municipal,
}

/// A resor: the portfolio of one ministry (or the State Chancellery) with the
/// institutions subordinate to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Resor {
    /// Aizsardzības ministrija
    Am,
    /// Ārlietu ministrija
    Arm,
    /// Ekonomikas ministrija
    Em,
    /// Finanšu ministrija
    Fm,
    /// Iekšlietu ministrija
    Iem,
    /// Izglītības un zinātnes ministrija
    Izm,
    /// Klimata un enerģētikas ministrija
    Kem,
    /// Kultūras ministrija
    Km,
    /// Labklājības ministrija
    Lm,
    /// Satiksmes ministrija
    Sm,
    /// Tieslietu ministrija
    Tm,
    /// Veselības ministrija
    Vm,
    /// Viedās administrācijas un reģionālās attīstības ministrija
    Varam,
    /// Zemkopības ministrija
    Zm,
    /// Valsts kanceleja
    Vk,
}

impl Resor {
    pub const ALL: [Resor; 15] = [
        Resor::Am,
        Resor::Arm,
        Resor::Em,
        Resor::Fm,
        Resor::Iem,
        Resor::Izm,
        Resor::Kem,
        Resor::Km,
        Resor::Lm,
        Resor::Sm,
        Resor::Tm,
        Resor::Vm,
        Resor::Varam,
        Resor::Zm,
        Resor::Vk,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Resor::Am => "AM",
            Resor::Arm => "ĀM",
            Resor::Em => "EM",
            Resor::Fm => "FM",
            Resor::Iem => "IEM",
            Resor::Izm => "IZM",
            Resor::Kem => "KEM",
            Resor::Km => "KM",
            Resor::Lm => "LM",
            Resor::Sm => "SM",
            Resor::Tm => "TM",
            Resor::Vm => "VM",
            Resor::Varam => "VARAM",
            Resor::Zm => "ZM",
            Resor::Vk => "VK",
        }
    }

    pub fn name_lv(self) -> &'static str {
        match self {
            Resor::Am => "Aizsardzības ministrija",
            Resor::Arm => "Ārlietu ministrija",
            Resor::Em => "Ekonomikas ministrija",
            Resor::Fm => "Finanšu ministrija",
            Resor::Iem => "Iekšlietu ministrija",
            Resor::Izm => "Izglītības un zinātnes ministrija",
            Resor::Kem => "Klimata un enerģētikas ministrija",
            Resor::Km => "Kultūras ministrija",
            Resor::Lm => "Labklājības ministrija",
            Resor::Sm => "Satiksmes ministrija",
            Resor::Tm => "Tieslietu ministrija",
            Resor::Vm => "Veselības ministrija",
            Resor::Varam => "Viedās administrācijas un reģionālās attīstības ministrija",
            Resor::Zm => "Zemkopības ministrija",
            Resor::Vk => "Valsts kanceleja",
        }
    }

    pub fn name_en(self) -> &'static str {
        match self {
            Resor::Am => "Ministry of Defence",
            Resor::Arm => "Ministry of Foreign Affairs",
            Resor::Em => "Ministry of Economics",
            Resor::Fm => "Ministry of Finance",
            Resor::Iem => "Ministry of the Interior",
            Resor::Izm => "Ministry of Education and Science",
            Resor::Kem => "Ministry of Climate and Energy",
            Resor::Km => "Ministry of Culture",
            Resor::Lm => "Ministry of Welfare",
            Resor::Sm => "Ministry of Transport",
            Resor::Tm => "Ministry of Justice",
            Resor::Vm => "Ministry of Health",
            Resor::Varam => "Ministry of Smart Administration and Regional Development",
            Resor::Zm => "Ministry of Agriculture",
            Resor::Vk => "State Chancellery",
        }
    }
}

/// Where training money comes from (annex 5 names the state budget and EU funds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FundingSource {
    StateBudget,
    /// European Social Fund (Plus)
    Esf,
    /// Recovery and Resilience Facility
    Rrf,
    Other,
}

/// The plan's five strategic priorities (seed 000, section III).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StrategicPriority {
    /// 1. Godprātīgs darbs publiskajā pārvaldē
    Integrity,
    /// 2. Inovācija un koprade modernas politikas un pakalpojumu veidošanai
    InnovationAndCoCreation,
    /// 3. Līderība un efektīva pārmaiņu vadība
    LeadershipAndChange,
    /// 4. Digitālā transformācija un datpratība
    DigitalTransformation,
    /// 5. Cilvēkresursu profesionalizācija un administratīvā kapacitāte
    Professionalisation,
}

impl StrategicPriority {
    pub fn number(self) -> u8 {
        match self {
            StrategicPriority::Integrity => 1,
            StrategicPriority::InnovationAndCoCreation => 2,
            StrategicPriority::LeadershipAndChange => 3,
            StrategicPriority::DigitalTransformation => 4,
            StrategicPriority::Professionalisation => 5,
        }
    }

    pub fn from_number(n: u8) -> Option<Self> {
        [
            StrategicPriority::Integrity,
            StrategicPriority::InnovationAndCoCreation,
            StrategicPriority::LeadershipAndChange,
            StrategicPriority::DigitalTransformation,
            StrategicPriority::Professionalisation,
        ]
        .into_iter()
        .find(|p| p.number() == n)
    }
}

/// The name an enum value has in events and read models (its serde name).
pub fn wire_name<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// The enum value stored under `name`, if there is one.
pub fn from_wire_name<T: serde::de::DeserializeOwned>(name: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned())).ok()
}
