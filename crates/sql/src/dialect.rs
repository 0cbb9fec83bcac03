//! CloudTrail Lake's dialect on DataFusion: a query is parsed once, then
//! - every table name in `FROM`/`JOIN` that is not a `WITH` name becomes the events table, so
//!   `FROM $EDS_ID`, `FROM 0123abcd-...` and `FROM cloudtrail_logs` all read the loaded events;
//! - identifiers naming the schema's columns and fields resolve without regard to case, as in
//!   Lake and Athena (`useridentity.arn`, `EVENTNAME`), by being rewritten to the schema's
//!   spelling, quoted (DataFusion lowercases unquoted identifiers, which alone breaks
//!   `eventName`);
//! - only queries run: a statement that writes or changes anything (`COPY ... TO`,
//!   `CREATE`, `INSERT`, `SET`) is refused.
//!
//! Written here because the resolution is CloudTrail's schema, not SQL's: no engine offers
//! "case-insensitive identifiers for these nested names only".

use std::collections::{BTreeSet, HashMap};
use std::ops::ControlFlow;

use datafusion::arrow::datatypes::{DataType, Fields};
use datafusion::sql::parser::{DFParserBuilder, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{
    Expr, Ident, ObjectName, ObjectNamePart, Query, Select, SelectItem, Statement, VisitMut,
    VisitorMut,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;

use crate::error::SqlError;
use crate::schema::{lake_schema, TABLE};

/// Deepest nesting of expressions and subqueries a query may have (the parser's own guard; a
/// hostile query of 100,000 parentheses is an error, not a stack overflow).
const MAX_RECURSION: usize = 64;

/// A query ready to plan: one read-only statement, in the events table's terms.
/// `sql` with its answer sorted by the column at `column` (0-based), as a result table's column
/// header sorts: the query runs as written inside, nulls last. The query's own `ORDER BY` and
/// `LIMIT` still decide which rows there are.
pub fn sorted_by(sql: &str, column: usize, descending: bool) -> String {
    let inner = sql.trim_end().trim_end_matches(';').trim_end();
    let direction = if descending { "DESC" } else { "ASC" };
    format!(
        "SELECT * FROM (\n{inner}\n) AS sorted ORDER BY {} {direction} NULLS LAST",
        column + 1
    )
}

pub(crate) fn prepare(sql: &str) -> Result<DfStatement, SqlError> {
    let sql = rename_unparsable_tables(sql);
    let mut statements = DFParserBuilder::new(sql.as_str())
        .with_dialect(&GenericDialect {})
        .with_recursion_limit(MAX_RECURSION)
        .build()
        .and_then(|mut p| p.parse_statements())
        .map_err(|e| {
            let text = e.to_string();
            if text.contains("RecursionLimitExceeded") {
                SqlError::plain(format!(
                    "the query nests expressions or subqueries deeper than {MAX_RECURSION} levels"
                ))
            } else {
                let mut e = SqlError::from_parser(&text);
                if e.line.is_none() && e.message.ends_with("found: EOF") {
                    // The query stops too early: point just past its end.
                    let last = sql.trim_end().lines().count().max(1);
                    let column = sql
                        .trim_end()
                        .lines()
                        .last()
                        .map_or(0, |l| l.chars().count());
                    e.line = Some(last as u64);
                    e.column = Some(column as u64 + 1);
                }
                e
            }
        })?;
    let statement = match (statements.pop_front(), statements.is_empty()) {
        (None, _) => return Err(SqlError::plain("the query is empty")),
        (Some(_), false) => {
            return Err(SqlError::plain(
                "one query at a time: remove everything after the first `;`",
            ))
        }
        (Some(s), true) => s,
    };
    let mut statement = match statement {
        DfStatement::Statement(s) if matches!(*s, Statement::Query(_)) => *s,
        DfStatement::Explain(_) => {
            return Err(SqlError::plain(
                "EXPLAIN is not available here: run the query itself",
            ))
        }
        other => {
            return Err(SqlError::plain(format!(
                "only queries (SELECT, WITH ... SELECT) run here, not {}",
                first_words(&other.to_string())
            )))
        }
    };
    let mut resolver = Resolver::new(cte_names(&mut statement));
    // The visitor never breaks.
    let _ = statement.visit(&mut resolver);
    Ok(DfStatement::Statement(Box::new(statement)))
}

fn first_words(text: &str) -> String {
    text.split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Names given by `WITH` anywhere in the statement (compared without regard to case).
fn cte_names(statement: &mut Statement) -> BTreeSet<String> {
    struct Collect(BTreeSet<String>);
    impl VisitorMut for Collect {
        type Break = ();
        fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
            if let Some(with) = &query.with {
                for cte in &with.cte_tables {
                    self.0.insert(cte.alias.name.value.to_lowercase());
                }
            }
            ControlFlow::Continue(())
        }
    }
    let mut collect = Collect(BTreeSet::new());
    let _ = statement.visit(&mut collect);
    collect.0
}

/// A table name the SQL parser cannot read (`$EDS_ID`, an event data store's ID such as
/// `0123abcd-ef01-...`, a full ARN) after `FROM` or `JOIN` becomes `events`, padded to the
/// same length so error positions still point into the query as typed.
fn rename_unparsable_tables(sql: &str) -> String {
    let bytes = sql.as_bytes();
    let mut out = String::with_capacity(sql.len());
    let mut i = 0;
    let mut last_word = String::new();
    while i < bytes.len() {
        let c = bytes.get(i).copied().unwrap_or(b' ');
        // Quoted text and comments pass through untouched.
        let skip_to = match c {
            b'\'' | b'"' | b'`' => sql
                .get(i + 1..)
                .and_then(|rest| rest.find(c as char))
                .map_or(bytes.len(), |j| i + 1 + j + 1),
            b'-' if bytes.get(i + 1) == Some(&b'-') => sql
                .get(i..)
                .and_then(|rest| rest.find('\n'))
                .map_or(bytes.len(), |j| i + j),
            b'/' if bytes.get(i + 1) == Some(&b'*') => sql
                .get(i + 2..)
                .and_then(|rest| rest.find("*/"))
                .map_or(bytes.len(), |j| i + 2 + j + 2),
            _ => i,
        };
        if skip_to > i {
            out.push_str(sql.get(i..skip_to).unwrap_or_default());
            last_word.clear();
            i = skip_to;
            continue;
        }
        if c.is_ascii_whitespace() {
            out.push(c as char);
            i += 1;
            continue;
        }
        let end = sql
            .get(i..)
            .and_then(|rest| rest.find(|ch: char| ch.is_whitespace() || "(),;".contains(ch)))
            .map_or(bytes.len(), |j| i + j.max(1));
        let word = sql.get(i..end).unwrap_or_default();
        let after_from =
            last_word.eq_ignore_ascii_case("from") || last_word.eq_ignore_ascii_case("join");
        let plain = word
            .chars()
            .next()
            .is_some_and(|ch| ch.is_ascii_alphabetic() || ch == '_')
            && word
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '.');
        if after_from && !plain && !word.starts_with('(') {
            out.push_str(&format!("{TABLE:<width$}", width = word.len()));
        } else {
            out.push_str(word);
        }
        last_word = word.to_string();
        i = end;
    }
    out
}

/// The schema's names as a tree: each level maps a lowercase name to its spelling and the
/// names below it.
#[derive(Default)]
struct Names {
    children: HashMap<String, (String, Names)>,
}

impl Names {
    fn of(fields: &Fields) -> Names {
        let mut names = Names::default();
        for f in fields {
            let below = match f.data_type() {
                DataType::Struct(inner) => Names::of(inner),
                DataType::List(item) => match item.data_type() {
                    DataType::Struct(inner) => Names::of(inner),
                    _ => Names::default(),
                },
                _ => Names::default(),
            };
            names
                .children
                .insert(f.name().to_lowercase(), (f.name().clone(), below));
        }
        names
    }

    fn get(&self, ident: &Ident) -> Option<&(String, Names)> {
        self.children.get(&ident.value.to_lowercase())
    }
}

struct Resolver {
    ctes: BTreeSet<String>,
    top: Names,
}

impl Resolver {
    fn new(ctes: BTreeSet<String>) -> Self {
        Resolver {
            ctes,
            top: Names::of(lake_schema().fields()),
        }
    }

    /// `ident` spelled as the schema spells it, quoted so DataFusion keeps the case.
    fn canonical(ident: &mut Ident, spelling: &str) {
        ident.value = spelling.to_string();
        ident.quote_style = Some('"');
    }

    /// Resolves a dotted path: from the first part that names a column, each part that names
    /// a field of the one before. Parts before it (a table alias) and after it stay as written.
    fn resolve_path(&self, parts: &mut [Ident]) {
        let Some(start) = parts.iter().position(|p| self.top.get(p).is_some()) else {
            return;
        };
        let mut level = &self.top;
        for part in parts.iter_mut().skip(start) {
            let Some((spelling, below)) = level.get(part) else {
                break;
            };
            Self::canonical(part, spelling);
            level = below;
        }
    }
}

impl VisitorMut for Resolver {
    type Break = ();

    fn pre_visit_relation(&mut self, relation: &mut ObjectName) -> ControlFlow<()> {
        let is_cte = match relation.0.as_slice() {
            [ObjectNamePart::Identifier(name)] => self.ctes.contains(&name.value.to_lowercase()),
            _ => false,
        };
        if !is_cte {
            *relation = ObjectName::from(Ident::new(TABLE));
        }
        ControlFlow::Continue(())
    }

    /// A selected field path is named by its last part (`userIdentity.arn` is `arn`), as
    /// Lake and Athena name it, unless two selected paths end alike.
    fn post_visit_select(&mut self, select: &mut Select) -> ControlFlow<()> {
        let last_names: Vec<String> = select
            .projection
            .iter()
            .filter_map(|item| match item {
                SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => {
                    parts.last().map(|p| p.value.to_lowercase())
                }
                _ => None,
            })
            .collect();
        for item in &mut select.projection {
            let SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) = item else {
                continue;
            };
            let Some(last) = parts.last().cloned() else {
                continue;
            };
            let lower = last.value.to_lowercase();
            if last_names.iter().filter(|n| **n == lower).count() == 1 {
                let expr = Expr::CompoundIdentifier(parts.clone());
                *item = SelectItem::ExprWithAlias { expr, alias: last };
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
        match expr {
            Expr::Identifier(ident) => {
                if let Some((spelling, _)) = self.top.get(ident) {
                    Self::canonical(ident, spelling);
                }
            }
            Expr::CompoundIdentifier(parts) => self.resolve_path(parts),
            _ => {}
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> String {
        prepare(sql).unwrap().to_string()
    }

    #[test]
    fn any_table_name_is_the_events() {
        for from in [
            "$EDS_ID",
            "0123abcd-ef01-2345-6789-0123456789ab",
            "cloudtrail_logs",
            "my_db.cloudtrail_logs",
            "\"quoted name\"",
        ] {
            let sql = format!("SELECT eventName FROM {from} WHERE readOnly = false");
            assert!(
                rewritten(&sql).contains("FROM events WHERE"),
                "{sql}: {}",
                rewritten(&sql)
            );
        }
    }

    #[test]
    fn with_names_stay_and_quoted_text_is_untouched() {
        let sql = "WITH recent AS (SELECT * FROM $EDS) SELECT eventname FROM recent WHERE eventName = 'FROM $x'";
        let out = rewritten(sql);
        assert!(out.contains("FROM recent"), "{out}");
        assert!(out.contains("FROM events"), "{out}");
        assert!(out.contains("'FROM $x'"), "{out}");
    }

    #[test]
    fn names_resolve_without_regard_to_case() {
        let out = rewritten(
            "SELECT useridentity.arn, USERIDENTITY.SessionContext.sessionissuer.ARN, e.eventname FROM events e",
        );
        assert!(out.contains(r#""userIdentity"."arn""#), "{out}");
        assert!(
            out.contains(r#""userIdentity"."sessionContext"."sessionIssuer"."arn""#),
            "{out}"
        );
        assert!(out.contains(r#"e."eventName""#), "{out}");
        // Resources' ARN is spelled ARN: resolved within its own struct.
        let out = rewritten("SELECT resources[1].arn FROM x");
        assert!(
            out.contains("resources") || out.contains("\"resources\""),
            "{out}"
        );
    }

    #[test]
    fn only_queries_run() {
        for sql in [
            "COPY (SELECT 1) TO '/tmp/x.csv'",
            "CREATE TABLE t AS SELECT 1",
            "INSERT INTO events VALUES (1)",
            "SET datafusion.execution.batch_size = 1",
            "SELECT 1; SELECT 2",
            "",
        ] {
            assert!(prepare(sql).is_err(), "{sql}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let sql = format!("SELECT {}1{}", "(".repeat(100_000), ")".repeat(100_000));
        let e = prepare(&sql).unwrap_err();
        assert!(e.to_string().contains("deeper than 64 levels"), "{e}");
    }
}
