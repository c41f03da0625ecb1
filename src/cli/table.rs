//! The human table of `list-users`: laid out by comfy-table while it is a screenful or so; past
//! that, a plain aligned layout whose column widths come from the first rows, streamed row by
//! row, so memory stays flat however many users there are.

use std::io::{self, Write};

use comfy_table::{ContentArrangement, Table, presets};

use crate::db::UserRef;
use crate::shape::Shape;

/// The columns for a shape: the tutorial's `ID USERNAME EMAIL FULL NAME STATUS`, with the
/// login's name and the rights the shape has.
fn header(shape: &Shape) -> Vec<String> {
    let mut header = vec!["ID".to_owned(), shape.login.to_uppercase()];
    if shape.email {
        header.push("EMAIL".to_owned());
    }
    if shape.full_name {
        header.push("FULL NAME".to_owned());
    }
    header.push("STATUS".to_owned());
    if shape.superuser {
        header.push("SUPERUSER".to_owned());
    }
    if shape.verified {
        header.push("VERIFIED".to_owned());
    }
    header
}

/// Rows held for comfy-table's layout; one more and the table streams.
const LAID_OUT_ROWS: usize = 1000;

pub struct UserTable<W: Write> {
    out: W,
    header: Vec<String>,
    held: Vec<Vec<String>>,
    /// Set once the table streams: the widths of its columns.
    widths: Option<Vec<usize>>,
    count: u64,
}

impl<W: Write> UserTable<W> {
    pub fn new(out: W, shape: &Shape) -> Self {
        UserTable {
            out,
            header: header(shape),
            held: Vec::new(),
            widths: None,
            count: 0,
        }
    }

    pub fn add(&mut self, user: UserRef<'_>) -> io::Result<()> {
        let id = user.id.text();
        let cells = cells(&user, &id);
        self.count += 1;
        // Streaming: the cells are written borrowed, a million rows without a copy each.
        if let Some(widths) = &self.widths {
            return write_plain(&mut self.out, widths, cells.into_iter().flatten());
        }
        self.held
            .push(cells.into_iter().flatten().map(str::to_owned).collect());
        if self.held.len() > LAID_OUT_ROWS {
            self.stream()?;
        }
        Ok(())
    }

    /// Switches to the plain layout: widths from the rows held, which are written and dropped.
    fn stream(&mut self) -> io::Result<()> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.held {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        write_plain(
            &mut self.out,
            &widths,
            self.header.iter().map(String::as_str),
        )?;
        for row in std::mem::take(&mut self.held) {
            write_plain(&mut self.out, &widths, row.iter().map(String::as_str))?;
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
                .set_header(&self.header)
                .add_rows(std::mem::take(&mut self.held));
            writeln!(self.out, "{table}")?;
        }
        self.out.flush()?;
        Ok(self.count)
    }
}

/// A user's cells where the shape has the column, in [`header`]'s order.
fn cells<'a>(user: &UserRef<'a>, id: &'a str) -> [Option<&'a str>; 7] {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    [
        Some(id),
        Some(user.username),
        user.shape.email.then(|| user.email.unwrap_or_default()),
        user.shape
            .full_name
            .then(|| user.full_name.unwrap_or_default()),
        Some(if user.disabled { "disabled" } else { "active" }),
        user.superuser.map(yes_no),
        user.verified.map(yes_no),
    ]
}

/// One line of the plain layout: cells padded to their column (a longer one widens its line
/// only), two spaces apart, no trailing spaces.
fn write_plain<'a>(
    out: &mut impl Write,
    widths: &[usize],
    row: impl Iterator<Item = &'a str>,
) -> io::Result<()> {
    let mut line = String::with_capacity(widths.iter().sum::<usize>() + 10);
    for (i, (cell, width)) in row.zip(widths).enumerate() {
        if i > 0 {
            line.push_str("  ");
        }
        line.push_str(cell);
        if i + 1 < widths.len() {
            let pad = width.saturating_sub(cell.chars().count());
            line.extend(std::iter::repeat_n(' ', pad));
        }
    }
    writeln!(out, "{}", line.trim_end())
}
