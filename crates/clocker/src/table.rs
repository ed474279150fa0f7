//! Aligned text tables, as `clocker ps` and `clocker timer list` print them:
//! a header in capitals, then one line per row, columns two spaces apart,
//! the last column unpadded.

/// `header` and `rows` as aligned lines (each row as long as the header).
pub fn text_table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|title| title.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let mut line = |cells: &[&str]| {
        let last = cells.len().saturating_sub(1);
        for (i, cell) in cells.iter().enumerate() {
            text.push_str(cell);
            if i < last {
                let pad = widths[i] - cell.chars().count() + 2;
                text.push_str(&" ".repeat(pad));
            }
        }
        text.push('\n');
    };
    line(&header);
    for row in rows {
        line(&row.each_ref().map(String::as_str));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_under_their_header() {
        let rows = [
            ["a".to_owned(), "long cell".to_owned(), "x".to_owned()],
            ["wider".to_owned(), "b".to_owned(), "last".to_owned()],
        ];
        assert_eq!(
            text_table(["ONE", "TWO", "THREE"], &rows),
            "ONE    TWO        THREE\n\
             a      long cell  x\n\
             wider  b          last\n"
        );
    }
}
