//! The typed reader of the plan: its priorities in order, each with its
//! measures in order, each with its indicators by number.

use prasme_domain::kpi::Computation;
use prasme_domain::plan::{ChancelleryTarget, Target, YearFunding};
use sqlx::types::Json;
use sqlx::{PgPool, Row};
use uuid::Uuid;

use crate::ReadError;

pub struct IndicatorRow {
    pub indicator_id: String,
    pub number: i32,
    pub text_lv: String,
    pub text_en: String,
    pub target: Option<Target>,
    pub secondary_target: Option<Target>,
    /// How the KPI engine computes it, or why it cannot.
    pub computation: Option<Computation>,
    pub retired: bool,
    pub retire_reason: Option<String>,
    /// The log position that defined it: the plan's publication, or a
    /// supplement.
    pub defined_at: i64,
    pub position: i64,
}

pub struct MeasureRow {
    pub code: String,
    pub title_lv: String,
    pub title_en: String,
    pub outputs_lv: Vec<String>,
    pub responsible: Vec<String>,
    pub co_responsible: Vec<String>,
    pub cooperating: Vec<String>,
    pub deadline_year: i32,
    pub indicators: Vec<IndicatorRow>,
}

pub struct PriorityRow {
    pub number: i32,
    pub title_lv: String,
    pub title_en: String,
    pub indicative_funding_cents: Option<i64>,
    pub funding_note_lv: Option<String>,
    pub planned_learners: Option<i32>,
    pub funding_by_year: Vec<YearFunding>,
    pub measures: Vec<MeasureRow>,
}

pub struct PlanRow {
    pub plan_id: Uuid,
    pub code: String,
    pub title_lv: String,
    pub title_en: String,
    pub source: String,
    pub chancellery_targets: Vec<ChancelleryTarget>,
    pub position: i64,
    pub priorities: Vec<PriorityRow>,
}

/// The plan; none until it is published.
pub async fn plan(pool: &PgPool) -> Result<Option<PlanRow>, ReadError> {
    let Some(p) = sqlx::query(
        "SELECT plan_id, code, title_lv, title_en, source, chancellery_targets, position FROM rm_plan
          ORDER BY position LIMIT 1",
    )
    .fetch_optional(pool)
    .await?
    else {
        return Ok(None);
    };
    let indicators = sqlx::query(
        "SELECT indicator_id, measure, number, text_lv, text_en, target, secondary_target, computation, retired, retire_reason,
                defined_at, position
           FROM rm_plan_indicator ORDER BY measure, number",
    )
    .fetch_all(pool)
    .await?;
    let measures = sqlx::query(
        "SELECT code, priority, title_lv, title_en, outputs_lv, responsible, co_responsible, cooperating,
                deadline_year
           FROM rm_plan_measure ORDER BY priority, ordinal",
    )
    .fetch_all(pool)
    .await?;
    let priorities = sqlx::query(
        "SELECT number, title_lv, title_en, indicative_funding_cents, funding_note_lv, planned_learners,
                funding_by_year
           FROM rm_plan_priority ORDER BY number",
    )
    .fetch_all(pool)
    .await?;
    // Each child row with its parent's key, read once.
    let measures = measures
        .iter()
        .map(|m| Ok((m.try_get::<i32, _>("priority")?, m)))
        .collect::<Result<Vec<_>, ReadError>>()?;
    let indicators = indicators
        .iter()
        .map(|i| Ok((i.try_get::<String, _>("measure")?, i)))
        .collect::<Result<Vec<_>, ReadError>>()?;
    let mut rows = Vec::with_capacity(priorities.len());
    for r in &priorities {
        let number: i32 = r.try_get("number")?;
        let mut priority = PriorityRow {
            number,
            title_lv: r.try_get("title_lv")?,
            title_en: r.try_get("title_en")?,
            indicative_funding_cents: r.try_get("indicative_funding_cents")?,
            funding_note_lv: r.try_get("funding_note_lv")?,
            planned_learners: r.try_get("planned_learners")?,
            funding_by_year: r.try_get::<Json<Vec<YearFunding>>, _>("funding_by_year")?.0,
            measures: vec![],
        };
        for (_, m) in measures.iter().filter(|(p, _)| *p == number) {
            let code: String = m.try_get("code")?;
            let mut measure = MeasureRow {
                title_lv: m.try_get("title_lv")?,
                title_en: m.try_get("title_en")?,
                outputs_lv: m.try_get::<Json<Vec<String>>, _>("outputs_lv")?.0,
                responsible: m.try_get::<Json<Vec<String>>, _>("responsible")?.0,
                co_responsible: m.try_get::<Json<Vec<String>>, _>("co_responsible")?.0,
                cooperating: m.try_get::<Json<Vec<String>>, _>("cooperating")?.0,
                deadline_year: m.try_get("deadline_year")?,
                indicators: vec![],
                code,
            };
            for (_, i) in indicators.iter().filter(|(code, _)| *code == measure.code) {
                measure.indicators.push(IndicatorRow {
                    indicator_id: i.try_get("indicator_id")?,
                    number: i.try_get("number")?,
                    text_lv: i.try_get("text_lv")?,
                    text_en: i.try_get("text_en")?,
                    target: i.try_get::<Option<Json<Target>>, _>("target")?.map(|t| t.0),
                    secondary_target: i.try_get::<Option<Json<Target>>, _>("secondary_target")?.map(|t| t.0),
                    computation: i.try_get::<Option<Json<Computation>>, _>("computation")?.map(|t| t.0),
                    retired: i.try_get("retired")?,
                    retire_reason: i.try_get("retire_reason")?,
                    defined_at: i.try_get("defined_at")?,
                    position: i.try_get("position")?,
                });
            }
            priority.measures.push(measure);
        }
        rows.push(priority);
    }
    Ok(Some(PlanRow {
        plan_id: p.try_get("plan_id")?,
        code: p.try_get("code")?,
        title_lv: p.try_get("title_lv")?,
        title_en: p.try_get("title_en")?,
        source: p.try_get("source")?,
        chancellery_targets: p.try_get::<Json<Vec<ChancelleryTarget>>, _>("chancellery_targets")?.0,
        position: p.try_get("position")?,
        priorities: rows,
    }))
}
