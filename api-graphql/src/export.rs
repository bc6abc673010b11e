//! CSV exports of the plan's indicators: every series (`/export/kpis.csv`)
//! and one indicator's breakdown (`/export/kpis/{indicatorId}/breakdown.csv`).
//!
//! Each export runs a GraphQL query through the schema as the caller, so the
//! token, the read scope and the suppression of small cells are exactly
//! those of `/graphql`, and no read is written twice. Errors are plain text,
//! since a spreadsheet user or a script reads them, not a GraphQL client.

use async_graphql::{Request, Variables};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::execution;
use crate::router::{token_of, AppState};

const KPIS: &str = "query ExportKpis($year: Int, $asOf: DateTime, $at: Position) {
  plan(year: $year, asOf: $asOf, atLeastPosition: $at) { priorities { number measures { code indicators {
    indicatorId series { ordinal labelEn unit count denominator sharePercent target { kind value min max unit } status }
  } } } }
}";

const BREAKDOWN: &str =
    "query ExportBreakdown($year: Int, $asOf: DateTime, $at: Position, $indicator: String!, $by: KpiDimension!) {
  kpis(year: $year, asOf: $asOf, atLeastPosition: $at, indicator: $indicator) {
    indicatorId ordinal labelEn unit breakdown(by: $by) { value count denominator }
  }
}";

/// The `by` values, as the schema's `KpiDimension` has them.
const DIMENSIONS: [&str; 5] = ["TOTAL", "KIND", "RESOR", "INSTITUTION", "JOB_GROUP"];

/// A refusal in plain text, with a Bearer challenge when it is a 401.
struct Refusal {
    status: StatusCode,
    message: String,
    challenge: Option<&'static str>,
}

fn refuse(status: StatusCode, message: impl Into<String>) -> Refusal {
    Refusal {
        status,
        message: message.into(),
        challenge: None,
    }
}

fn unauthenticated(message: &str, token_given: bool) -> Refusal {
    Refusal {
        status: StatusCode::UNAUTHORIZED,
        message: message.to_owned(),
        challenge: Some(if token_given {
            "Bearer realm=\"prasme\", error=\"invalid_token\""
        } else {
            "Bearer realm=\"prasme\""
        }),
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = (
            self.status,
            [
                (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            self.message + "\n",
        )
            .into_response();
        if let Some(challenge) = self.challenge {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
        response
    }
}

/// The query string's parameters, checked before anything runs: unknown
/// or repeated names are refused rather than ignored, so that a typo
/// (`yaer=2024`) is not answered with the whole plan.
struct Params {
    year: Option<i32>,
    as_of: Option<String>,
    at_least_position: Option<i64>,
    by: Option<String>,
}

fn params(query: Result<Query<Vec<(String, String)>>, QueryRejection>, allowed: &[&str]) -> Result<Params, Refusal> {
    let bad = |message: String| refuse(StatusCode::BAD_REQUEST, message);
    let Query(pairs) = query.map_err(|e| bad(format!("the query string is malformed: {e}")))?;
    let mut p = Params {
        year: None,
        as_of: None,
        at_least_position: None,
        by: None,
    };
    let mut seen: Vec<&str> = Vec::new();
    for (name, value) in &pairs {
        let Some(known) = allowed.iter().find(|a| **a == name) else {
            return Err(bad(format!(
                "unknown parameter {name:?}; this export takes {}",
                allowed.join(", ")
            )));
        };
        if seen.contains(known) {
            return Err(bad(format!("{name} is given more than once")));
        }
        seen.push(known);
        let value = value.trim();
        match *known {
            "year" if value.is_empty() => {}
            "year" => {
                p.year = Some(value.parse().map_err(|_| {
                    bad(format!(
                        "year must be a year from 2021 to 2035, or absent for the whole plan; got {value:?}"
                    ))
                })?)
            }
            "asOf" if value.is_empty() => {}
            "asOf" => {
                // Checked here too so that the message names the parameter;
                // the schema's DateTime scalar still has the last word.
                chrono::DateTime::parse_from_rfc3339(value).map_err(|_| {
                    bad(format!(
                        "asOf must be an RFC 3339 instant such as 2024-12-31T23:59:59Z; got {value:?}"
                    ))
                })?;
                p.as_of = Some(value.to_owned());
            }
            "atLeastPosition" => {
                p.at_least_position =
                    Some(
                        value.parse().ok().filter(|n: &i64| *n >= 0).ok_or_else(|| {
                            bad(format!("atLeastPosition must be an event-log position; got {value:?}"))
                        })?,
                    )
            }
            "by" => {
                if !DIMENSIONS.contains(&value) {
                    return Err(bad(format!(
                        "by must be one of {}; got {value:?}",
                        DIMENSIONS.join(", ")
                    )));
                }
                p.by = Some(value.to_owned());
            }
            _ => {}
        }
    }
    Ok(p)
}

/// Runs `query` as the caller of `headers`, answering its data or the
/// refusal the caller should see.
async fn run(state: &AppState, headers: &HeaderMap, query: &str, variables: Value) -> Result<Value, Refusal> {
    let verified = match token_of(headers) {
        Some(Ok(token)) => state
            .ctx
            .identity
            .verify(token)
            .map_err(|reason| unauthenticated(&reason.to_string(), true))?,
        Some(Err(reason)) => return Err(unauthenticated(&reason.to_string(), true)),
        None => {
            return Err(unauthenticated(
                "send a token: Authorization: Bearer <JWT> (the dashboard sends the one pasted into it)",
                false,
            ))
        }
    };
    if state.limiter.take(&verified.principal.subject).is_err() {
        return Err(refuse(
            StatusCode::TOO_MANY_REQUESTS,
            "too many requests a second for this subject; retry in a second",
        ));
    }
    let request = Request::new(query)
        .variables(Variables::from_json(variables))
        .data(verified.principal);
    let schema = state.schema.clone();
    let response = execution::run(async move { schema.execute(request).await })
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "an export panicked");
            refuse(StatusCode::INTERNAL_SERVER_ERROR, "the export failed inside the server")
        })?;
    if let Some(error) = response.errors.first() {
        let error = serde_json::to_value(error).unwrap_or_default();
        let message = error["message"].as_str().unwrap_or("the export failed").to_owned();
        let status = match error["extensions"]["code"].as_str().unwrap_or_default() {
            "BAD_USER_INPUT" | "GRAPHQL_VALIDATION_FAILED" => StatusCode::BAD_REQUEST,
            "UNAUTHENTICATED" => StatusCode::UNAUTHORIZED,
            "FORBIDDEN" => StatusCode::FORBIDDEN,
            "NOT_FOUND" => StatusCode::NOT_FOUND,
            "READ_MODEL_BEHIND" | "DATABASE_UNAVAILABLE" => StatusCode::SERVICE_UNAVAILABLE,
            _ => {
                tracing::error!(%message, "an export failed");
                return Err(refuse(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the export failed inside the server",
                ));
            }
        };
        return Err(refuse(status, message));
    }
    Ok(response.data.into_json().unwrap_or_default())
}

fn variables(p: &Params) -> Value {
    json!({ "year": p.year, "asOf": p.as_of, "at": p.at_least_position })
}

/// One CSV field (RFC 4180): quoted when it holds a comma, a quote or a
/// line break, its quotes doubled.
fn field(out: &mut String, value: &str) {
    if value.contains([',', '"', '\r', '\n']) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(value);
    }
}

fn record<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (n, f) in fields.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        field(out, f.as_ref());
    }
    out.push_str("\r\n");
}

/// A JSON scalar as a CSV field: null is empty.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A target in one field, as the plan states it.
fn target(t: &Value) -> String {
    let n = |k: &str| text(&t[k]);
    match t["kind"].as_str() {
        None => String::new(),
        Some("AT_LEAST_COUNT") => format!("at least {}", n("value")),
        Some("AT_LEAST_PERCENT") => format!("at least {}%", n("value")),
        Some("RANGE_COUNT") => format!("{} to {}", n("min"), n("max")),
        Some("EVERY") => format!("every {}", n("unit")),
        Some("MILESTONE") => "milestone".to_owned(),
        Some(other) => other.to_owned(),
    }
}

fn csv(body: String, filename: &str) -> Response {
    let disposition = format!("attachment; filename=\"{filename}\"");
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_str(&disposition).unwrap_or_else(|_| HeaderValue::from_static("attachment")),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body,
    )
        .into_response()
}

fn year_part(p: &Params) -> String {
    p.year.map_or_else(|| "plan".to_owned(), |y| y.to_string())
}

/// `GET /export/kpis.csv?year=&asOf=&atLeastPosition=`: one row per series
/// of every computed indicator.
pub(crate) async fn kpis(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let p = match params(query, &["year", "asOf", "atLeastPosition"]) {
        Ok(p) => p,
        Err(refusal) => return refusal.into_response(),
    };
    let data = match run(&state, &headers, KPIS, variables(&p)).await {
        Ok(data) => data,
        Err(refusal) => return refusal.into_response(),
    };
    let mut out = String::new();
    record(
        &mut out,
        &[
            "priority",
            "measure",
            "indicator",
            "ordinal",
            "label",
            "unit",
            "count",
            "denominator",
            "share_percent",
            "target",
            "status",
        ],
    );
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    for priority in list(&data["plan"]["priorities"]) {
        for measure in list(&priority["measures"]) {
            for indicator in list(&measure["indicators"]) {
                for s in list(&indicator["series"]) {
                    record(
                        &mut out,
                        &[
                            text(&priority["number"]),
                            text(&measure["code"]),
                            text(&indicator["indicatorId"]),
                            text(&s["ordinal"]),
                            text(&s["labelEn"]),
                            text(&s["unit"]),
                            text(&s["count"]),
                            text(&s["denominator"]),
                            text(&s["sharePercent"]),
                            target(&s["target"]),
                            text(&s["status"]),
                        ],
                    );
                }
            }
        }
    }
    csv(out, &format!("kpis-{}.csv", year_part(&p)))
}

/// `GET /export/kpis/{indicatorId}/breakdown.csv?by=&year=&asOf=&atLeastPosition=`:
/// one row per cell of each of the indicator's series; a suppressed cell's
/// numbers are empty.
pub(crate) async fn breakdown(
    State(state): State<AppState>,
    Path(indicator): Path<String>,
    headers: HeaderMap,
    query: Result<Query<Vec<(String, String)>>, QueryRejection>,
) -> Response {
    let p = match params(query, &["by", "year", "asOf", "atLeastPosition"]) {
        Ok(p) => p,
        Err(refusal) => return refusal.into_response(),
    };
    // The id goes into the filename too, so only the plan's shape passes.
    let well_formed = indicator.len() <= 16
        && indicator.split('.').count() == 3
        && indicator
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!("the indicator must be an id such as 1.4.1; got {indicator:?}"),
        )
        .into_response();
    }
    let Some(by) = p.by.clone() else {
        return refuse(
            StatusCode::BAD_REQUEST,
            format!("say what to break down by: by={}", DIMENSIONS.join("|")),
        )
        .into_response();
    };
    let mut vars = variables(&p);
    vars["indicator"] = json!(indicator);
    vars["by"] = json!(by);
    let data = match run(&state, &headers, BREAKDOWN, vars).await {
        Ok(data) => data,
        Err(refusal) => return refusal.into_response(),
    };
    let series = data["kpis"].as_array().cloned().unwrap_or_default();
    if series.is_empty() {
        return refuse(
            StatusCode::NOT_FOUND,
            format!("indicator {indicator} is not computed, so it has no breakdown (plan gives notComputableReason)"),
        )
        .into_response();
    }
    let mut out = String::new();
    record(
        &mut out,
        &[
            "indicator",
            "ordinal",
            "label",
            "unit",
            "by",
            "value",
            "count",
            "denominator",
        ],
    );
    for s in &series {
        for cell in s["breakdown"].as_array().cloned().unwrap_or_default() {
            record(
                &mut out,
                &[
                    text(&s["indicatorId"]),
                    text(&s["ordinal"]),
                    text(&s["labelEn"]),
                    text(&s["unit"]),
                    by.clone(),
                    text(&cell["value"]),
                    text(&cell["count"]),
                    text(&cell["denominator"]),
                ],
            );
        }
    }
    let by = by.to_ascii_lowercase().replace('_', "-");
    csv(out, &format!("kpi-{indicator}-{by}-{}.csv", year_part(&p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_as_rfc_4180_says() {
        let mut out = String::new();
        record(&mut out, &["plain", "a,b", "say \"hi\"", "two\nlines", ""]);
        assert_eq!(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\r\n");
    }
}
