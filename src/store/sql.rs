//! A small SQL text builder shared by both backends.
//!
//! Most queries differ between SQLite and PostgreSQL only in placeholders (`?` vs `$n`) and in
//! case-insensitive matching; this builder writes the right one for the dialect and keeps the
//! bind values in order, so each query's logic is written once. Values are always bound, never
//! spliced into the text.

use chrono::{DateTime, Utc};

/// The SQL dialect being written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite (`?` placeholders; `LIKE` is case-insensitive for ASCII).
    Sqlite,
    /// PostgreSQL (`$n` placeholders; `ILIKE`).
    Postgres,
}

/// A value bound to a placeholder.
#[derive(Debug, Clone, PartialEq)]
pub enum Param {
    /// 64-bit integer.
    Int(i64),
    /// Double.
    Float(f64),
    /// Text.
    Text(String),
    /// Timestamp (UTC).
    Time(DateTime<Utc>),
    /// Boolean.
    Bool(bool),
    /// A NULL of text type.
    NullText,
    /// A NULL of float type.
    NullFloat,
    /// A NULL of integer type.
    NullInt,
    /// A NULL of timestamp type.
    NullTime,
}

/// SQL text plus its bind values, in placeholder order.
#[derive(Debug, Clone)]
pub struct SqlQuery {
    dialect: Dialect,
    sql: String,
    params: Vec<Param>,
}

impl SqlQuery {
    /// Starts a query with some fixed text.
    pub fn new(dialect: Dialect, sql: &str) -> Self {
        SqlQuery {
            dialect,
            sql: sql.to_string(),
            params: Vec::new(),
        }
    }

    /// Appends fixed SQL text (never user input).
    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Appends a placeholder bound to `param`.
    pub fn bind(&mut self, param: impl Into<Param>) -> &mut Self {
        self.params.push(param.into());
        match self.dialect {
            Dialect::Sqlite => self.sql.push('?'),
            Dialect::Postgres => {
                self.sql.push('$');
                self.sql.push_str(&self.params.len().to_string());
            }
        }
        self
    }

    /// Appends `(p1, p2, …)` bound to `values`.
    pub fn bind_list<T: Into<Param> + Clone>(&mut self, values: &[T]) -> &mut Self {
        self.push("(");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(v.clone());
        }
        self.push(")")
    }

    /// Appends the rows of a multi-row `VALUES` list, `(p, p), (p, p)`, each bound in order.
    pub fn values<R: IntoIterator<Item = Param>>(
        &mut self,
        rows: impl IntoIterator<Item = R>,
    ) -> &mut Self {
        for (i, row) in rows.into_iter().enumerate() {
            self.push(if i == 0 { "(" } else { ", (" });
            for (j, param) in row.into_iter().enumerate() {
                if j > 0 {
                    self.push(", ");
                }
                self.bind(param);
            }
            self.push(")");
        }
        self
    }

    /// The case-insensitive LIKE operator of the dialect.
    pub fn ilike(&self) -> &'static str {
        match self.dialect {
            Dialect::Sqlite => " LIKE ",
            Dialect::Postgres => " ILIKE ",
        }
    }

    /// The dialect.
    pub fn dialect(&self) -> Dialect {
        self.dialect
    }

    /// The SQL text.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The bind values.
    pub fn params(&self) -> &[Param] {
        &self.params
    }
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'` and wraps it in `%…%`.
pub fn contains_pattern(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    out.push('%');
    for c in term.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

impl From<i64> for Param {
    fn from(v: i64) -> Self {
        Param::Int(v)
    }
}
impl From<f64> for Param {
    fn from(v: f64) -> Self {
        Param::Float(v)
    }
}
impl From<&str> for Param {
    fn from(v: &str) -> Self {
        Param::Text(v.to_string())
    }
}
impl From<String> for Param {
    fn from(v: String) -> Self {
        Param::Text(v)
    }
}
impl From<DateTime<Utc>> for Param {
    fn from(v: DateTime<Utc>) -> Self {
        Param::Time(v)
    }
}
impl From<bool> for Param {
    fn from(v: bool) -> Self {
        Param::Bool(v)
    }
}
impl From<Option<String>> for Param {
    fn from(v: Option<String>) -> Self {
        v.map_or(Param::NullText, Param::Text)
    }
}

/// Binds a [`SqlQuery`]'s values onto a sqlx query of either backend. Implemented per concrete
/// sqlx query type so the same statement code compiles against both pools.
pub trait BindParams: Sized {
    /// Binds every parameter in order.
    fn bind_params(self, params: &[Param]) -> Self;
}

macro_rules! impl_bind_params {
    ($(impl<$($g:tt),*> for $ty:ty;)+) => {$(
        impl<$($g),*> BindParams for $ty {
            fn bind_params(mut self, params: &[Param]) -> Self {
                for p in params {
                    self = match p {
                        Param::Int(v) => self.bind(*v),
                        Param::Float(v) => self.bind(*v),
                        Param::Text(v) => self.bind(v.clone()),
                        Param::Time(v) => self.bind(*v),
                        Param::Bool(v) => self.bind(*v),
                        Param::NullText => self.bind(None::<String>),
                        Param::NullFloat => self.bind(None::<f64>),
                        Param::NullInt => self.bind(None::<i64>),
                        Param::NullTime => self.bind(None::<DateTime<Utc>>),
                    };
                }
                self
            }
        }
    )+};
}

type SqliteArgs<'q> = sqlx::sqlite::SqliteArguments<'q>;
type PgArgs = sqlx::postgres::PgArguments;
use sqlx::query::{Query, QueryAs};
use sqlx::{Postgres, Sqlite};

impl_bind_params! {
    impl<'q> for Query<'q, Sqlite, SqliteArgs<'q>>;
    impl<'q> for Query<'q, Postgres, PgArgs>;
    impl<'q, O> for QueryAs<'q, Sqlite, O, SqliteArgs<'q>>;
    impl<'q, O> for QueryAs<'q, Postgres, O, PgArgs>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_follow_the_dialect() {
        for (dialect, expected) in [
            (Dialect::Sqlite, "a = ? AND b IN (?, ?)"),
            (Dialect::Postgres, "a = $1 AND b IN ($2, $3)"),
        ] {
            let mut q = SqlQuery::new(dialect, "a = ");
            q.bind(1_i64).push(" AND b IN ").bind_list(&["x", "y"]);
            assert_eq!(q.sql(), expected);
            assert_eq!(q.params().len(), 3);
        }
    }

    #[test]
    fn like_patterns_escape_wildcards_and_lowercase() {
        assert_eq!(contains_pattern("Arsenal"), "%arsenal%");
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
