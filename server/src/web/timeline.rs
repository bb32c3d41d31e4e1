//! The timeline: all of one's photos by date taken (the upload date when unknown), newest
//! first, in months under sticky headings; pages load as one scrolls, and a scrubber of
//! years and months jumps to any of them.

use std::sync::Arc;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use serde::Deserialize;

use super::folders::PAGE_SIZE;
use super::frame::{AfterChange, Chrome, PageResult, SignedIn};
use crate::access::Scope;
use crate::config::Config;
use crate::db::{Backend, Db};
use crate::error::Error;
use crate::folders::{self, Crumb};
use crate::images::{self, Image};
use crate::paging::PageQuery;
use crate::state::AppState;
use crate::when;

pub fn router() -> Router<AppState> {
    Router::new().route("/timeline", get(timeline))
}

/// One month of photos ("2024-06", shown as "June 2024").
struct Month {
    key: String,
    title: String,
    images: Vec<Image>,
}

/// A year of the scrubber and its months that have photos, newest first.
struct Year {
    year: String,
    months: Vec<(String, &'static str, i64)>,
}

#[derive(Template, WebTemplate)]
#[template(path = "timeline.html")]
struct TimelinePage {
    chrome: Chrome,
    months: Vec<Month>,
    years: Vec<Year>,
    total: i64,
    more: Option<String>,
    destinations: Vec<Crumb>,
    oob: bool,
    /// The month jumped to, if any.
    from: Option<String>,
    /// Whose photos: `mine`, `shared` or `all`.
    scope: &'static str,
}

impl TimelinePage {
    /// The scope as a query parameter after `lead` (`?` or `&`); none for one's own.
    fn scope_query(&self, lead: &str) -> String {
        match self.scope {
            "mine" => String::new(),
            scope => format!("{lead}scope={scope}"),
        }
    }

    /// The viewer's forms act on no folder of the page's own.
    fn folder_id(&self) -> &str {
        ""
    }

    fn here(&self) -> &str {
        "/timeline"
    }

    fn has_pending(&self) -> bool {
        self.months
            .iter()
            .any(|m| m.images.iter().any(Image::is_pending))
    }
}

#[derive(Deserialize, Default)]
struct TimelineQuery {
    /// `YYYY-MM`: start at that month (the scrubber's links).
    #[serde(default)]
    month: Option<String>,
    #[serde(default)]
    after: Option<String>,
    /// Whose photos: `mine` (the default), `shared` or `all`.
    #[serde(default)]
    scope: Option<String>,
    /// What a change just made says in a toast.
    #[serde(flatten)]
    change: AfterChange,
}

/// "2024-06" as (2024, 6), when it is a month.
fn parse_month(text: &str) -> Option<(i32, u8)> {
    let (year, month) = text.split_once('-')?;
    if year.len() != 4 || month.len() != 2 {
        return None;
    }
    let year: i32 = year.parse().ok()?;
    let month: u8 = month.parse().ok()?;
    (1..=12).contains(&month).then_some((year, month))
}

fn month_title(key: &str) -> String {
    match parse_month(key) {
        Some((year, month)) => format!("{} {year}", when::month_name(month)),
        None => key.to_owned(),
    }
}

/// Photos in runs of the same month, as listed (newest first).
fn by_month(images: Vec<Image>) -> Vec<Month> {
    let mut months: Vec<Month> = Vec::new();
    for image in images {
        let when = image.taken_at.as_deref().unwrap_or(&image.created_at);
        let key = when.get(..7).unwrap_or(when).to_owned();
        match months.last_mut() {
            Some(last) if last.key == key => last.images.push(image),
            _ => months.push(Month {
                title: month_title(&key),
                key,
                images: vec![image],
            }),
        }
    }
    months
}

async fn timeline(
    State(db): State<Db>,
    State(config): State<Arc<Config>>,
    SignedIn(session): SignedIn,
    Query(query): Query<TimelineQuery>,
) -> PageResult {
    let owner = &session.user.id;
    let after = match (&query.month, &query.after) {
        (_, Some(after)) if !after.is_empty() => Some(after.clone()),
        (Some(month), _) if !month.is_empty() => {
            let end = parse_month(month)
                .and_then(|(y, m)| when::month_start(y, m, 1))
                .ok_or_else(|| Error::bad_request("month must look like 2024-06"))?;
            Some(images::timeline_before(end))
        }
        _ => None,
    };
    let page = PageQuery {
        limit: Some(PAGE_SIZE.to_string()),
        after,
    };
    let scope = query
        .scope
        .as_deref()
        .and_then(Scope::named)
        .unwrap_or_default();
    let listing = images::timeline(&db, owner, scope, &page).await?;
    let backend = Backend::of_url(&config.database_url).unwrap_or(Backend::Sqlite);
    let counts = images::months(&db, backend, owner, scope).await?;
    let total = counts.iter().map(|(_, n)| n).sum();
    let mut years: Vec<Year> = Vec::new();
    for (key, n) in counts {
        let Some((year, month)) = parse_month(&key) else {
            continue;
        };
        let short = &when::month_name(month)[..3];
        let year = year.to_string();
        match years.last_mut() {
            Some(last) if last.year == year => last.months.push((key, short, n)),
            _ => years.push(Year {
                year,
                months: vec![(key, short, n)],
            }),
        }
    }
    let more = listing.next.map(|cursor| {
        let mut pairs = vec![("after", cursor)];
        if scope != Scope::Mine {
            pairs.push(("scope", scope.as_str().to_owned()));
        }
        let query = serde_urlencoded::to_string(pairs).unwrap_or_default();
        format!("/timeline?{query}")
    });
    let page = TimelinePage {
        chrome: Chrome::with_toast(&session, &db, &query.change, "/timeline").await,
        months: by_month(listing.images),
        years,
        total,
        more,
        destinations: folders::all_paths(&db, owner).await?,
        oob: false,
        from: query.month.filter(|m| !m.is_empty()),
        scope: scope.as_str(),
    };
    Ok(page.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_read_and_ends_where_the_next_begins() {
        assert_eq!(parse_month("2024-06"), Some((2024, 6)));
        assert_eq!(parse_month("2024-13"), None);
        assert_eq!(parse_month("24-06"), None);
        assert_eq!(parse_month("2024-6"), None);
        // 2024-07-01T00:00:00Z and 2025-01-01T00:00:00Z.
        assert_eq!(when::month_start(2024, 6, 1), Some(1_719_792_000_000));
        assert_eq!(when::month_start(2024, 12, 1), Some(1_735_689_600_000));
        assert_eq!(month_title("2024-06"), "June 2024");
    }
}
