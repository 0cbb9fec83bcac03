//! Sigma `condition` expressions: `selection and not 1 of filter_*`, parentheses, `or`.

use super::SigmaError;

/// A parsed condition over search identifiers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Expr {
    Ident(String),
    /// `1 of pattern` (`any`) or `all of pattern`; `them` is the pattern `*`.
    Of {
        all: bool,
        pattern: String,
    },
    Not(Box<Expr>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
}

fn tokens(text: &str) -> Vec<String> {
    let spaced = text
        .replace('(', " ( ")
        .replace(')', " ) ")
        .replace('|', " | ");
    spaced.split_whitespace().map(str::to_string).collect()
}

/// How deep parentheses and `not` may nest. Real rules nest two or three levels; a cap keeps a
/// hostile rule from overflowing the stack of the recursive-descent parser (and of everything
/// that walks the resulting tree).
pub const MAX_DEPTH: usize = 64;

struct Parser {
    tokens: Vec<String>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }

    fn next(&mut self) -> Option<String> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    fn keyword(&self, word: &str) -> bool {
        self.peek().is_some_and(|t| t.eq_ignore_ascii_case(word))
    }

    fn or(&mut self) -> Result<Expr, SigmaError> {
        let mut parts = vec![self.and()?];
        while self.keyword("or") {
            self.at += 1;
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Expr, SigmaError> {
        let mut parts = vec![self.not()?];
        while self.keyword("and") {
            self.at += 1;
            parts.push(self.not()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    fn not(&mut self) -> Result<Expr, SigmaError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(SigmaError::Condition(format!(
                "nested deeper than {MAX_DEPTH} levels"
            )));
        }
        let result = if self.keyword("not") {
            self.at += 1;
            self.not().map(|e| Expr::Not(Box::new(e)))
        } else {
            self.primary()
        };
        self.depth -= 1;
        result
    }

    fn primary(&mut self) -> Result<Expr, SigmaError> {
        let syntax = |m: String| SigmaError::Condition(m);
        let token = self
            .next()
            .ok_or_else(|| syntax("condition ends too early".into()))?;
        match token.to_ascii_lowercase().as_str() {
            "(" => {
                let inner = self.or()?;
                match self.next().as_deref() {
                    Some(")") => Ok(inner),
                    _ => Err(syntax("missing `)`".into())),
                }
            }
            ")" | "and" | "or" => Err(syntax(format!("unexpected `{token}`"))),
            "|" => Err(SigmaError::Unsupported(
                "aggregation (`| count() ...`)".into(),
            )),
            "near" => Err(SigmaError::Unsupported("`near`".into())),
            quantifier if self.keyword("of") => {
                let all = match quantifier {
                    "1" | "any" => false,
                    "all" => true,
                    other => {
                        return Err(SigmaError::Unsupported(format!(
                            "`{other} of` (only `1 of` and `all of`)"
                        )))
                    }
                };
                self.at += 1;
                let target = self
                    .next()
                    .ok_or_else(|| syntax(format!("`{token} of` needs a pattern")))?;
                let pattern = if target.eq_ignore_ascii_case("them") {
                    "*".to_string()
                } else {
                    target
                };
                Ok(Expr::Of { all, pattern })
            }
            _ => Ok(Expr::Ident(token)),
        }
    }
}

/// Parses one condition expression.
pub(crate) fn parse(text: &str) -> Result<Expr, SigmaError> {
    let mut parser = Parser {
        tokens: tokens(text),
        at: 0,
        depth: 0,
    };
    let expr = parser.or()?;
    match parser.peek() {
        None => Ok(expr),
        Some("|") => Err(SigmaError::Unsupported(
            "aggregation (`| count() ...`)".into(),
        )),
        Some(t) if t.eq_ignore_ascii_case("near") => Err(SigmaError::Unsupported("`near`".into())),
        Some(t) => Err(SigmaError::Condition(format!("unexpected `{t}`"))),
    }
}

/// Whether `name` matches a Sigma identifier pattern (`*` is the only wildcard). Greedy with
/// one backtrack point, so any pattern runs in O(pattern × name), never exponentially.
pub(crate) fn glob(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        match p.get(i) {
            Some(b'*') => {
                star = Some((i, j));
                i += 1;
            }
            Some(&c) if n.get(j) == Some(&c) => {
                i += 1;
                j += 1;
            }
            _ => match star {
                Some((si, sj)) => {
                    i = si + 1;
                    j = sj + 1;
                    star = Some((si, sj + 1));
                }
                None => return false,
            },
        }
    }
    p.get(i..)
        .is_some_and(|rest| rest.iter().all(|&c| c == b'*'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> Expr {
        Expr::Ident(s.into())
    }

    #[test]
    fn precedence_not_and_or() {
        assert_eq!(
            parse("a or b and not c"),
            Ok(Expr::Or(vec![
                id("a"),
                Expr::And(vec![id("b"), Expr::Not(Box::new(id("c")))])
            ]))
        );
        assert_eq!(
            parse("(a or b) and not 1 of filter_*"),
            Ok(Expr::And(vec![
                Expr::Or(vec![id("a"), id("b")]),
                Expr::Not(Box::new(Expr::Of {
                    all: false,
                    pattern: "filter_*".into()
                }))
            ]))
        );
        assert_eq!(
            parse("all of them"),
            Ok(Expr::Of {
                all: true,
                pattern: "*".into()
            })
        );
    }

    #[test]
    fn rejects_aggregations_near_and_bad_syntax() {
        assert!(
            matches!(parse("selection | count() by sourceIPAddress > 10"), Err(SigmaError::Unsupported(m)) if m.contains("count"))
        );
        assert!(
            matches!(parse("selection near other"), Err(SigmaError::Unsupported(m)) if m.contains("near"))
        );
        assert!(matches!(parse("(a and b"), Err(SigmaError::Condition(_))));
        assert!(matches!(parse("a and"), Err(SigmaError::Condition(_))));
        assert!(matches!(
            parse("2 of sel*"),
            Err(SigmaError::Unsupported(_))
        ));
    }

    #[test]
    fn globs() {
        assert!(glob("filter_*", "filter_main"));
        assert!(glob("*", "x"));
        assert!(glob("sel*_b", "sel_a_b"));
        assert!(!glob("filter_*", "selection"));
        assert!(glob("selection", "selection") && !glob("selection", "selection2"));
        assert!(glob("*_b", "a_b_b") && glob("a**", "a") && !glob("a*c", "abcd"));
        // Many stars against a long name that does not match: linear, not exponential.
        let pattern = "a*".repeat(40) + "b";
        assert!(!glob(&pattern, &"a".repeat(5000)));
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let deep = format!("{}a{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(matches!(parse(&deep), Err(SigmaError::Condition(m)) if m.contains("nested")));
        let nots = "not ".repeat(100_000) + "a";
        assert!(matches!(parse(&nots), Err(SigmaError::Condition(m)) if m.contains("nested")));
        let ok = format!("{}a{}", "(".repeat(20), ")".repeat(20));
        assert_eq!(parse(&ok), Ok(id("a")));
    }
}
