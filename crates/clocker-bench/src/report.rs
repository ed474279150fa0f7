//! A benchmark's result: a titled Markdown table followed by notes.

use std::fmt;

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
}
