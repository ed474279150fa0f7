//! A benchmark's result: a titled Markdown table followed by notes.

use std::fmt;

use crate::stats;

/// One Markdown table with a heading and explanatory notes.
#[derive(Debug, Clone)]
pub struct Table {
    title: String,
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    notes: Vec<String>,
}

impl Table {
    /// An empty table titled `title` with these column headers.
    pub fn new(title: impl Into<String>, headers: &[&str]) -> Self {
        Self {
            title: title.into(),
            headers: headers.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// A table of two runs side by side: a column for each, then how they
    /// compare (`ratio_heading`, such as "Rust ÷ Python"), a target and
    /// whether it was met.
    pub fn side_by_side(
        title: impl Into<String>,
        left: &str,
        right: &str,
        ratio_heading: &str,
    ) -> Self {
        Self::new(title, &["", left, right, ratio_heading, "target", "met"])
    }

    /// Adds the row of a side-by-side table comparing two rates: both,
    /// `left ÷ right`, and the target of at least `target`×, met when the
    /// ratio reaches it and `also_met` holds too (no errors, say).
    pub fn rate_row(&mut self, name: &str, left: f64, right: f64, target: f64, also_met: bool) {
        let ratio = stats::divide(left, right);
        self.row([
            name.to_owned(),
            stats::count(left),
            stats::count(right),
            stats::ratio(ratio),
            format!("≥ {target}×"),
            stats::verdict(ratio >= target && also_met).to_owned(),
        ]);
    }

    /// Adds a row; missing cells are left empty.
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut row: Vec<String> = cells.into_iter().map(Into::into).collect();
        row.resize(self.headers.len(), String::new());
        self.rows.push(row);
    }

    /// Adds a paragraph under the table.
    pub fn note(&mut self, text: impl Into<String>) {
        self.notes.push(text.into());
    }

    /// The note naming each row's bottleneck (`per_row`, as
    /// `stats::bottleneck` says it), for a table of servers whose threads
    /// `servers` names (such as "the funnel's one thread") against a load
    /// generator of `generator_threads` workers.
    pub fn bottleneck_note(&mut self, servers: &str, generator_threads: usize, per_row: &[String]) {
        self.note(format!(
            "Bottleneck per row (the side using ≥ 90 % of its threads' CPU: {servers}, the load \
             generator's {generator_threads} workers): {}.",
            per_row.join("; ")
        ));
    }
}

fn escape(cell: &str) -> String {
    cell.replace('|', "\\|").replace('\n', " ")
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "### {}", self.title)?;
        writeln!(f)?;
        let line = |cells: &[String]| {
            let cells: Vec<String> = cells.iter().map(|c| escape(c)).collect();
            format!("| {} |", cells.join(" | "))
        };
        writeln!(f, "{}", line(&self.headers))?;
        let rule: Vec<String> = (0..self.headers.len())
            .map(|i| if i == 0 { "---".into() } else { "---:".into() })
            .collect();
        writeln!(f, "|{}|", rule.join("|"))?;
        for row in &self.rows {
            writeln!(f, "{}", line(row))?;
        }
        for note in &self.notes {
            writeln!(f)?;
            writeln!(f, "{note}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_markdown() {
        let mut table = Table::new("T", &["a", "b"]);
        table.row(["x|y", "1"]);
        table.row(["only"]);
        table.note("n");
        assert_eq!(
            table.to_string(),
            "### T\n\n| a | b |\n|---|---:|\n| x\\|y | 1 |\n| only |  |\n\nn\n"
        );
    }

    #[test]
    fn a_rate_row_compares_two_rates_against_the_target() {
        let mut table = Table::side_by_side("T", "ours", "theirs", "ours ÷ theirs");
        table.rate_row("calls/s", 3000.0, 1000.0, 2.0, true);
        table.rate_row("calls/s, with errors", 3000.0, 1000.0, 2.0, false);
        let rendered = table.to_string();
        assert!(
            rendered.contains("| calls/s | 3,000 | 1,000 | 3.00× | ≥ 2× | ✅ met |"),
            "{rendered}"
        );
        assert!(rendered.contains("| ❌ missed |"), "{rendered}");
    }
}
