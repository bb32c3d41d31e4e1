//! The dashboard's live panels (`/admin/panels`): totals, the job queue, the activity
//! charts with their tables, the servers seen, housekeeping, storage and system. The page
//! embeds them and fetches them again every few seconds while it is open. Also the queue's
//! one action: retrying failed jobs (`/admin/jobs/retry`).

use std::sync::Arc;

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect};
use serde::Deserialize;

use super::size;
use crate::admin::charts::{self, Bars};
use crate::admin::dashboard::{self, QueueFigures, ServerSeen, System, Totals};
use crate::admin::housekeeping::{self, TaskRun};
use crate::admin::{self, Actor};
use crate::auth::csrf;
use crate::error::{Error, Result};
use crate::jobs::{self, Queue, Retry};
use crate::state::AppState;
use crate::web::frame::{PageResult, WebAdmin};

/// One row of a chart's table.
pub struct Point {
    pub label: String,
    pub values: Vec<i64>,
}

/// A chart with the table of its figures.
pub struct Chart {
    pub title: &'static str,
    pub svg: String,
    pub columns: Vec<&'static str>,
    pub points: Vec<Point>,
}

#[derive(Template)]
#[template(path = "admin_panels.html")]
struct Panels {
    totals: Totals,
    queue: QueueFigures,
    charts: Vec<Chart>,
    servers: Vec<ServerSeen>,
    housekeeping: Vec<TaskRun>,
    system: Arc<System>,
    database_bytes: Option<i64>,
    uptime: String,
    retention_days: i64,
    sweep_minutes: i64,
    csrf: String,
}

impl Panels {
    fn size(&self, bytes: &i64) -> String {
        size(*bytes)
    }

    fn queue_count(&self, state: &str) -> i64 {
        self.queue.by_state.get(state).copied().unwrap_or(0)
    }

    fn database_name(&self) -> &'static str {
        match self.system.database {
            crate::db::Backend::Sqlite => "SQLite",
            crate::db::Backend::Postgres => "PostgreSQL",
        }
    }
}

fn uptime(secs: u64) -> String {
    let (d, h, m) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, h) => format!("{h} h {m} min"),
        (d, h) => format!("{d} days {h} h"),
    }
}

fn chart(
    id: &'static str,
    title: &'static str,
    series: Vec<(&'static str, &'static str, dashboard::Series)>,
) -> Result<Chart> {
    let bars: Vec<Bars<'_>> = series
        .iter()
        .map(|(name, class, s)| Bars {
            name,
            class,
            series: s,
        })
        .collect();
    let svg = charts::bars(id, title, &bars)
        .map_err(|e| Error::Internal(anyhow::anyhow!("cannot render a chart: {e}")))?;
    let labels = series
        .first()
        .map(|s| s.2.labels.clone())
        .unwrap_or_default();
    let points = labels
        .into_iter()
        .enumerate()
        .map(|(i, label)| Point {
            label,
            values: series
                .iter()
                .map(|s| s.2.values.get(i).copied().unwrap_or(0))
                .collect(),
        })
        .collect();
    Ok(Chart {
        title,
        svg,
        columns: series.iter().map(|s| s.0).collect(),
        points,
    })
}

/// The panels as HTML, their forms carrying the (masked) `csrf` token.
pub(super) async fn render_panels(state: &AppState, csrf: &str) -> Result<String> {
    let db = &state.db;
    let activity = dashboard::activity(db).await?;
    let charts = vec![
        chart(
            "chart-hour",
            "Uploads and classifications per minute, last hour (UTC)",
            vec![
                ("uploads", "s1", activity.uploads_hour),
                ("classified", "s2", activity.classified_hour),
            ],
        )?,
        chart(
            "chart-week",
            "Uploads and classifications per hour, last week (UTC)",
            vec![
                ("uploads", "s1", activity.uploads_week),
                ("classified", "s2", activity.classified_week),
            ],
        )?,
        chart(
            "chart-queue",
            "Queue depth per minute, last hour (UTC)",
            vec![("jobs waiting", "s3", activity.queue_hour)],
        )?,
    ];
    let panels = Panels {
        totals: dashboard::totals(db).await?,
        queue: dashboard::queue(db).await?,
        charts,
        servers: dashboard::servers(db, 5).await?,
        housekeeping: housekeeping::last_runs(db).await?,
        database_bytes: dashboard::database_bytes(db, state.system.database).await?,
        uptime: uptime(state.system.started.elapsed().as_secs()),
        system: state.system.clone(),
        retention_days: state.config.job_retention_days,
        sweep_minutes: state.config.sweep_after_minutes,
        csrf: csrf.to_owned(),
    };
    panels
        .render()
        .map_err(|e| Error::Internal(anyhow::anyhow!("cannot render the dashboard: {e}")))
}

/// The live panels alone: what the page fetches every few seconds while it is open.
pub(super) async fn panels(
    State(state): State<AppState>,
    WebAdmin(session): WebAdmin,
) -> PageResult {
    Ok(Html(render_panels(&state, &csrf::masked(&session.csrf_token)).await?).into_response())
}

#[derive(Deserialize)]
pub(super) struct RetryForm {
    /// One job; absent: every failed job.
    #[serde(default)]
    job: Option<String>,
}

pub(super) async fn retry(
    State(queue): State<Queue>,
    WebAdmin(session): WebAdmin,
    Form(form): Form<RetryForm>,
) -> PageResult {
    let ids: Vec<String> = form.job.into_iter().filter(|j| !j.is_empty()).collect();
    let which = if ids.is_empty() {
        Retry::AllFailed
    } else {
        Retry::Ids(&ids)
    };
    let queued = jobs::retry(&queue, which).await?;
    admin::log_alone(
        &queue.db,
        &Actor::admin(&session.user),
        "retry",
        Some(&format!("{queued} failed jobs queued again")),
    )
    .await?;
    Ok(Redirect::to("/admin#queue").into_response())
}
