//! Why a query did not run, with the position in the query when the parser or planner knows it.

use datafusion::error::DataFusionError;

/// A query that did not run: the message, and where in the query (1-based line and column)
/// when known.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", position(*line, *column))]
pub struct SqlError {
    /// What is wrong, in DataFusion's words or ours.
    pub message: String,
    /// Line of the offending text (1-based).
    pub line: Option<u64>,
    /// Column of the offending text (1-based).
    pub column: Option<u64>,
}

fn position(line: Option<u64>, column: Option<u64>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("line {l}, column {c}: "),
        _ => String::new(),
    }
}

impl SqlError {
    /// An error without a position.
    pub fn plain(message: impl Into<String>) -> Self {
        SqlError {
            message: message.into(),
            line: None,
            column: None,
        }
    }

    /// A parser message: sqlparser ends them with `at Line: L, Column: C`.
    pub(crate) fn from_parser(message: &str) -> Self {
        let message = message
            .trim_start_matches("SQL error: ")
            .trim_start_matches("ParserError(\"")
            .trim_end_matches("\")")
            .to_string();
        let (line, column) = line_and_column(&message);
        let message = match message.find(" at Line: ") {
            Some(at) => message.get(..at).unwrap_or(&message).to_string(),
            None => message,
        };
        SqlError {
            message,
            line,
            column,
        }
    }

    /// An error from planning or running: the span DataFusion attaches (an unknown column,
    /// a type mismatch) when it has one.
    pub fn from_datafusion(error: DataFusionError) -> Self {
        let span = error
            .diagnostic()
            .and_then(|d| d.span)
            .map(|s| (s.start.line, s.start.column));
        let message = match error.find_root() {
            DataFusionError::ResourcesExhausted(m) => format!(
                "the query needs more memory than it may use here ({m}); narrow it with WHERE or LIMIT, or aggregate"
            ),
            root => {
                let text = root.to_string();
                // DataFusion's category prefixes say nothing to a user.
                let mut rest = text.as_str();
                for prefix in [
                    "Error during planning: ",
                    "Schema error: ",
                    "Execution error: ",
                    "Optimizer rule 'simplify_expressions' failed\ncaused by\n",
                ] {
                    rest = rest.strip_prefix(prefix).unwrap_or(rest);
                }
                rest.to_string()
            }
        };
        let mut e = SqlError::from_parser(&message);
        if e.line.is_none() {
            if let Some((line, column)) = span.filter(|(l, _)| *l > 0) {
                e.line = Some(line);
                e.column = Some(column);
            }
        }
        e
    }
}

impl SqlError {
    /// Points an error that names an unknown column, table or function, and carries no span, at
    /// the name's first use in `sql` (DataFusion gives no span for every planning error).
    pub(crate) fn located_in(mut self, sql: &str) -> Self {
        if self.line.is_some() {
            return self;
        }
        let named = ["No field named ", "Invalid function '", "table '"]
            .iter()
            .find_map(|key| {
                let at = self.message.find(key)? + key.len();
                let rest = self.message.get(at..)?;
                let name: String = rest
                    .chars()
                    .take_while(|c| !matches!(c, '\'' | ' ' | '\n' | ','))
                    .collect();
                let name = name.trim_end_matches('.');
                let last = name.rsplit('.').next()?.trim_matches('"');
                (!last.is_empty()).then(|| last.to_string())
            });
        if let Some((line, column)) = named.and_then(|name| find_word(sql, &name)) {
            self.line = Some(line);
            self.column = Some(column);
        }
        self
    }
}

/// 1-based line and column (in characters) of the first whole-word, case-insensitive use of
/// `word` in `sql`.
fn find_word(sql: &str, word: &str) -> Option<(u64, u64)> {
    let is_ident = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    for (number, line) in sql.lines().enumerate() {
        let lower = line.to_lowercase();
        let wanted = word.to_lowercase();
        let mut from = 0;
        while let Some(found) = lower.get(from..).and_then(|rest| rest.find(&wanted)) {
            let start = from + found;
            let end = start + wanted.len();
            let before = lower.get(..start).and_then(|b| b.chars().next_back());
            let after = lower.get(end..).and_then(|a| a.chars().next());
            if !before.is_some_and(is_ident) && !after.is_some_and(is_ident) {
                let column = lower.get(..start).map_or(0, |b| b.chars().count()) + 1;
                return Some((number as u64 + 1, column as u64));
            }
            from = end;
        }
    }
    None
}

fn line_and_column(message: &str) -> (Option<u64>, Option<u64>) {
    let number_after = |key: &str| {
        message.rfind(key).and_then(|at| {
            message
                .get(at + key.len()..)?
                .chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse()
                .ok()
        })
    };
    (number_after("Line: "), number_after("Column: "))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_are_located_in_the_query() {
        let sql = "SELECT eventName,\n  count(*) FROM events GROUP BY NoSuchColumn";
        let e =
            SqlError::plain("No field named nosuchcolumn. Valid fields are events.\"eventName\".")
                .located_in(sql);
        assert_eq!((e.line, e.column), (Some(2), Some(33)));
        // A word inside a longer one is not it.
        let e = SqlError::plain("Invalid function 'count_x'.\nDid you mean 'count'?")
            .located_in("SELECT count(*), count_x(eventName) FROM t");
        assert_eq!((e.line, e.column), (Some(1), Some(18)));
        // A position the engine gave is kept.
        let mut given = SqlError::plain("No field named a");
        given.line = Some(3);
        given.column = Some(1);
        assert_eq!(given.located_in("a").line, Some(3));
    }

    #[test]
    fn parser_positions_are_read() {
        let e = SqlError::from_parser(
            "SQL error: ParserError(\"Expected: an expression, found: FROM at Line: 2, Column: 8\")",
        );
        assert_eq!((e.line, e.column), (Some(2), Some(8)));
        assert_eq!(e.message, "Expected: an expression, found: FROM");
        assert_eq!(
            e.to_string(),
            "line 2, column 8: Expected: an expression, found: FROM"
        );
    }
}
