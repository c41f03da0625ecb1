//! The human table of `list-users`: laid out by comfy-table while it is a screenful or so; past
//! that, a plain aligned layout whose column widths come from the first rows, streamed row by
//! row, so memory stays flat however many users there are.

use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table, presets};

use crate::db::UserRef;

const HEADER: [&str; 5] = ["ID", "USERNAME", "EMAIL", "FULL NAME", "STATUS"];

/// Rows held for comfy-table's layout; one more and the table streams.
const LAID_OUT_ROWS: usize = 1000;

pub struct UserTable<W: Write> {
    out: W,
    held: Vec<[String; 5]>,
    /// Set once the table streams: the widths of its columns.
    widths: Option<[usize; 5]>,
    count: u64,
}

impl<W: Write> UserTable<W> {
    pub fn new(out: W) -> Self {
        UserTable {
            out,
            held: Vec::new(),
            widths: None,
            count: 0,
        }
    }

    pub fn add(&mut self, user: UserRef<'_>) -> io::Result<()> {
        let row = [
            user.id.to_string(),
            user.username.to_owned(),
            user.email.unwrap_or_default().to_owned(),
            user.full_name.unwrap_or_default().to_owned(),
            if user.disabled { "disabled" } else { "active" }.to_owned(),
        ];
        self.count += 1;
        if let Some(widths) = &self.widths {
            return write_plain(&mut self.out, widths, &row);
        }
        self.held.push(row);
        if self.held.len() > LAID_OUT_ROWS {
            self.stream()?;
        }
        Ok(())
    }

    /// Switches to the plain layout: widths from the rows held, which are written and dropped.
    fn stream(&mut self) -> io::Result<()> {
        let mut widths = HEADER.map(|h| h.chars().count());
        for row in &self.held {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        write_plain(&mut self.out, &widths, &HEADER.map(str::to_owned))?;
        for row in std::mem::take(&mut self.held) {
            write_plain(&mut self.out, &widths, &row)?;
        }
        self.widths = Some(widths);
        Ok(())
    }

    /// Lays out the table if it was held, flushes; returns how many users.
    pub fn finish(mut self) -> io::Result<u64> {
        if self.widths.is_none() {
            let mut table = Table::new();
            table
                .load_style(presets::UTF8_FULL_CONDENSED)
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_header(HEADER)
                .add_rows(std::mem::take(&mut self.held));
            writeln!(self.out, "{table}")?;
        }
        self.out.flush()?;
        Ok(self.count)
    }
}

/// One line of the plain layout: cells padded to their column (a longer one widens its line
/// only), two spaces apart, no trailing spaces.
fn write_plain(out: &mut impl Write, widths: &[usize; 5], row: &[String; 5]) -> io::Result<()> {
    let mut line = String::with_capacity(widths.iter().sum::<usize>() + 10);
    for (i, (cell, width)) in row.iter().zip(widths).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        line.push_str(cell);
        if i + 1 < row.len() {
            let pad = width.saturating_sub(cell.chars().count());
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    writeln!(out, "{}", line.trim_end())
}
