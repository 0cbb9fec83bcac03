//! The one CSV writer of the project: every CSV Trailscope writes (events in the console's
//! columns, findings, query results) goes through it, so every cell is quoted as RFC 4180 says and
//! neutralized against spreadsheet formulas. A cell an attacker controls (an `eventID`, a user
//! agent, a bucket name) that starts with `=`, `+`, `-` or `@` would otherwise run as a formula
//! when the export is opened in a spreadsheet.

use std::io::{self, Write};

/// Spreadsheets run cells that start with `=`, `+`, `-`, `@` (or a tab or carriage return before
/// one) as formulas; a leading `'` makes them text.
pub fn neutralize(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Writes CSV rows to `W`, quoting and neutralizing every cell.
pub struct CsvWriter<W: Write> {
    out: W,
    line: String,
}

impl<W: Write> CsvWriter<W> {
    /// A writer over `out`.
    pub fn new(out: W) -> Self {
        CsvWriter {
            out,
            line: String::new(),
        }
    }

    /// Writes one row (`\n`-terminated).
    pub fn write_row<I, S>(&mut self, cells: I) -> io::Result<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.line.clear();
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.line.push(',');
            }
            push_cell(&mut self.line, &neutralize(cell.as_ref()));
        }
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())
    }

    /// Flushes and hands back the output.
    pub fn into_inner(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// Appends a cell, quoted when it holds a separator, a quote, a line break or edge spaces.
fn push_cell(line: &mut String, cell: &str) {
    let needs_quotes =
        cell.contains([',', '"', '\n', '\r']) || cell.starts_with(' ') || cell.ends_with(' ');
    if needs_quotes {
        line.push('"');
        line.push_str(&cell.replace('"', "\"\""));
        line.push('"');
    } else {
        line.push_str(cell);
    }
}

/// One CSV document in memory, from a header and rows.
pub fn csv_document<R, I, S>(header: &[&str], rows: R) -> String
where
    R: IntoIterator<Item = I>,
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut w = CsvWriter::new(Vec::new());
    // Writing to a Vec cannot fail.
    let _ = w.write_row(header);
    for row in rows {
        let _ = w.write_row(row);
    }
    w.into_inner()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_become_text_and_cells_are_quoted() {
        for (cell, out) in [
            ("=1+1", "'=1+1"),
            ("+x", "'+x"),
            ("-1", "'-1"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "\"'\rx\""),
            ("a=b", "a=b"),
            ("", ""),
            ("a,b", "\"a,b\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            (
                "=HYPERLINK(\"http://x\",\"y\")",
                "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"",
            ),
        ] {
            assert_eq!(
                csv_document(&["h"], [[cell]]),
                format!("h\n{out}\n"),
                "{cell:?}"
            );
        }
    }
}
