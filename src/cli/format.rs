//! The output formats and their options, in one place: each command flattens the group it
//! takes, as it does the global options, and `--format` is declared here only.

use std::path::Path;

use clap::ArgMatches;

use crate::records::FileFormat;

/// `--format` of the commands that write or show one thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    /// Messages for people, on stderr
    #[default]
    Text,
    /// One JSON object per user acted on, one per line, on stdout
    Json,
}

#[derive(Debug, Clone, clap::Args)]
pub struct FormatArgs {
    /// Output format
    #[arg(long = "format", value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// How `list-users` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ListFormat {
    /// A table for people
    #[default]
    Table,
    /// One JSON array
    Json,
    /// One JSON object per line
    Jsonl,
    /// CSV with a header row
    Csv,
}

#[derive(Debug, Clone, clap::Args)]
pub struct ListFormatArgs {
    /// Output format
    #[arg(long = "format", value_enum, default_value_t = ListFormat::Table)]
    pub format: ListFormat,
}

impl ListFormat {
    /// The machine format, or `None` for the table.
    pub fn records(self) -> Option<FileFormat> {
        match self {
            ListFormat::Table => None,
            ListFormat::Json => Some(FileFormat::Json),
            ListFormat::Jsonl => Some(FileFormat::Jsonl),
            ListFormat::Csv => Some(FileFormat::Csv),
        }
    }
}

/// How `issue-token` prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenFormat {
    /// The token alone, on one line
    Token,
    /// {"access_token", "token_type": "bearer", "expires_at"}: the service's /token answer plus the
    /// expiry; for reset and verify tokens {"token", "purpose", "expires_at", "link"}
    Json,
    /// The link the service's email would carry (the full-stack template's reset link:
    /// FRONTEND_HOST/reset-password?token=…)
    Link,
}

#[derive(Debug, Clone, clap::Args)]
pub struct TokenFormatArgs {
    /// Output format
    #[arg(long = "format", value_enum, default_value_t = TokenFormat::Token)]
    pub format: TokenFormat,
}

/// The file formats of `import --input-format` and `export --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormatArg {
    /// CSV with a header row
    Csv,
    /// One JSON array of objects
    Json,
    /// One JSON object per line
    Jsonl,
}

impl FileFormatArg {
    /// The format given, else the one the file's extension implies, else CSV.
    pub fn for_file(given: Option<FileFormatArg>, file: &Path) -> FileFormat {
        match given {
            Some(FileFormatArg::Csv) => FileFormat::Csv,
            Some(FileFormatArg::Json) => FileFormat::Json,
            Some(FileFormatArg::Jsonl) => FileFormat::Jsonl,
            None => FileFormat::from_extension(file).unwrap_or(FileFormat::Csv),
        }
    }
}

/// `import --input-format`.
#[derive(Debug, Clone, clap::Args)]
pub struct InputFormatArgs {
    /// Input format [default: from the file's extension, else csv]
    #[arg(long = "input-format", value_enum, value_name = "FORMAT")]
    pub input_format: Option<FileFormatArg>,
}

/// `export --format`: a file format.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportFormatArgs {
    /// File format [default: from the file's extension, else csv]
    #[arg(long = "format", value_enum, value_name = "FORMAT")]
    pub format: Option<FileFormatArg>,
}

/// Whether the command line asked for JSON output (`--format json` or `jsonl`): its errors are
/// then JSON too.
pub fn asks_for_json(matches: &ArgMatches) -> bool {
    let Some((_, command)) = matches.subcommand() else {
        return false;
    };
    match command.try_get_raw("format") {
        Ok(Some(mut values)) => values.any(|v| v == "json" || v == "jsonl"),
        _ => false,
    }
}
