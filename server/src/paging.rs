//! Paged listings (`limit` and `after`, `shared/api.md`). A page ends where the next one
//! starts: `after` is an opaque cursor holding the sort keys of the last item shown, and the
//! next page is the rows that sort after it (keyset paging), so pages stay right while
//! photos are added and cost the same however deep one goes.

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, Result};

pub const DEFAULT_LIMIT: usize = 200;
pub const MAX_LIMIT: usize = 1000;

/// The paging part of a query string.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Items per page: 1 to 1000 (default 200). A page that has more carries a `Link`
    /// header with `rel="next"`.
    #[serde(default)]
    #[param(value_type = Option<u32>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
    /// The cursor of the next page, as the previous page's `Link` header gives it.
    #[serde(default)]
    pub after: Option<String>,
}

/// What kind of value a sort key is, which the cursor must match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Float,
    Text,
}

/// One sort key's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Key {
    Int(i64),
    Float(f64),
    Text(String),
}

impl Key {
    fn to_json(&self) -> Value {
        match self {
            Key::Int(n) => Value::from(*n),
            Key::Float(f) => Value::from(*f),
            Key::Text(s) => Value::from(s.as_str()),
        }
    }

    fn from_json(value: &Value, kind: Kind) -> Option<Self> {
        match kind {
            Kind::Int => value.as_i64().map(Key::Int),
            Kind::Float => value.as_f64().filter(|f| f.is_finite()).map(Key::Float),
            Kind::Text => value
                .as_str()
                .filter(|s| s.len() <= 1024)
                .map(|s| Key::Text(s.to_owned())),
        }
    }
}

/// A column (or expression) a listing is sorted by, and which way.
#[derive(Debug, Clone, Copy)]
pub struct SortColumn {
    pub expr: &'static str,
    pub kind: Kind,
    pub descending: bool,
}

impl SortColumn {
    pub const fn asc(expr: &'static str, kind: Kind) -> Self {
        Self {
            expr,
            kind,
            descending: false,
        }
    }

    pub const fn desc(expr: &'static str, kind: Kind) -> Self {
        Self {
            expr,
            kind,
            descending: true,
        }
    }

    pub const fn dir(expr: &'static str, kind: Kind, descending: bool) -> Self {
        Self {
            expr,
            kind,
            descending,
        }
    }
}

/// The `ORDER BY` of a sort.
pub fn order_by(columns: &[SortColumn]) -> String {
    columns
        .iter()
        .map(|c| format!("{} {}", c.expr, if c.descending { "DESC" } else { "ASC" }))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A checked page request: how many, and after which keys.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub limit: usize,
    pub after: Option<Vec<Key>>,
}

impl Page {
    pub fn first(limit: usize) -> Self {
        Self { limit, after: None }
    }

    /// The page a query asks for, its cursor read as the keys of `columns`.
    pub fn of(query: &PageQuery, columns: &[SortColumn]) -> Result<Self> {
        let limit = match query
            .limit
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            None => DEFAULT_LIMIT,
            Some(text) => text
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| {
                    Error::bad_request(format!("limit must be a number from 1 to {MAX_LIMIT}"))
                })?,
        };
        let after = match query.after.as_deref().filter(|a| !a.is_empty()) {
            None => None,
            Some(cursor) => Some(decode(cursor, columns)?),
        };
        Ok(Self { limit, after })
    }

    /// `WHERE` text selecting the rows after the cursor (or `TRUE`), its placeholders
    /// numbered from `first`; bind [`Page::binds`] in that order.
    pub fn condition(&self, columns: &[SortColumn], first: usize) -> String {
        if self.after.is_none() {
            return "1 = 1".to_owned();
        }
        let mut alternatives = Vec::with_capacity(columns.len());
        for (n, column) in columns.iter().enumerate() {
            let mut parts: Vec<String> = columns[..n]
                .iter()
                .enumerate()
                .map(|(m, c)| format!("{} = ${}", c.expr, first + m))
                .collect();
            let op = if column.descending { "<" } else { ">" };
            parts.push(format!("{} {op} ${}", column.expr, first + n));
            alternatives.push(format!("({})", parts.join(" AND ")));
        }
        format!("({})", alternatives.join(" OR "))
    }

    pub fn binds(&self) -> &[Key] {
        self.after.as_deref().unwrap_or_default()
    }

    /// Rows to ask the database for: one more than shown, to know whether more follow.
    pub fn fetch(&self) -> i64 {
        self.limit as i64 + 1
    }
}

/// Binds a cursor's keys to a query, in order.
pub fn bind_keys<'q, O>(
    mut query: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>,
    keys: &'q [Key],
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments> {
    for key in keys {
        query = match key {
            Key::Int(n) => query.bind(*n),
            Key::Float(f) => query.bind(*f),
            Key::Text(s) => query.bind(s.as_str()),
        };
    }
    query
}

/// Cuts `rows` (fetched with [`Page::fetch`]) to the page; with the cursor of the next page
/// when there is one.
pub fn split<T>(
    mut rows: Vec<T>,
    page: &Page,
    keys: impl Fn(&T) -> Vec<Key>,
) -> (Vec<T>, Option<String>) {
    if rows.len() <= page.limit {
        return (rows, None);
    }
    rows.truncate(page.limit);
    let next = rows.last().map(|last| encode(&keys(last)));
    (rows, next)
}

pub fn encode(keys: &[Key]) -> String {
    let json = Value::Array(keys.iter().map(Key::to_json).collect());
    hex::encode(json.to_string())
}

fn decode(cursor: &str, columns: &[SortColumn]) -> Result<Vec<Key>> {
    let invalid = || {
        Error::bad_request(
            "after is not a cursor of this listing; use the link of the previous page",
        )
    };
    if cursor.len() > 4096 {
        return Err(invalid());
    }
    let bytes = hex::decode(cursor).map_err(|_| invalid())?;
    let values: Vec<Value> = serde_json::from_slice(&bytes).map_err(|_| invalid())?;
    if values.len() != columns.len() {
        return Err(invalid());
    }
    values
        .iter()
        .zip(columns)
        .map(|(v, c)| Key::from_json(v, c.kind).ok_or_else(invalid))
        .collect()
}

/// The `Link` header value of the next page: the same request with `after` set.
pub fn next_link(path: &str, query: Option<&str>, cursor: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .and_then(|q| serde_urlencoded::from_str(q).ok())
        .unwrap_or_default();
    pairs.retain(|(k, _)| k != "after");
    pairs.push(("after".into(), cursor.to_owned()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    format!("<{path}?{query}>; rel=\"next\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLS: [SortColumn; 2] = [
        SortColumn::desc("i.created_at", Kind::Int),
        SortColumn::asc("i.id", Kind::Text),
    ];

    #[test]
    fn a_cursor_round_trips_and_must_fit_the_sort() {
        let keys = vec![Key::Int(1_700_000_000_000), Key::Text("abc".into())];
        let cursor = encode(&keys);
        let query = PageQuery {
            limit: None,
            after: Some(cursor),
        };
        assert_eq!(Page::of(&query, &COLS).unwrap().after, Some(keys));
        let other = [SortColumn::asc("lower(i.filename)", Kind::Text), COLS[1]];
        assert!(Page::of(&query, &other).is_err());
        let forged = PageQuery {
            limit: None,
            after: Some("zz".into()),
        };
        assert!(Page::of(&forged, &COLS).is_err());
    }

    #[test]
    fn the_condition_follows_each_direction() {
        let page = Page {
            limit: 10,
            after: Some(vec![Key::Int(5), Key::Text("x".into())]),
        };
        assert_eq!(
            page.condition(&COLS, 3),
            "((i.created_at < $3) OR (i.created_at = $3 AND i.id > $4))"
        );
    }

    #[test]
    fn limits_outside_the_range_are_refused() {
        for bad in ["0", "1001", "-1", "ten"] {
            let q = PageQuery {
                limit: Some(bad.into()),
                after: None,
            };
            assert!(Page::of(&q, &COLS).is_err(), "{bad}");
        }
    }
}
