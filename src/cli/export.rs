//! `authctl export`: every user, in the fields `import` reads; hashes only when asked.

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use crate::db::{Access, StatusFilter};
use crate::error::Error;
use crate::exit;
use crate::records::{FileFormat, RecordWriter};

use super::Context;
use super::format::{ExportFormatArgs, FileFormatArg};

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Writes id, username, email, full_name, disabled (and hashed_password with --include-hashes),
the fields `import` reads, so `export --include-hashes | import` into an empty database gives the
same users with the same ids and hashes. A file is written whole or not at all (a temporary file
renamed into place), with mode 0600, and an existing file is replaced only with --force.

Examples:
  authctl export users.csv
  authctl export --format jsonl | jq -r .email
  authctl export backup.jsonl --include-hashes --force")]
pub struct Args {
    /// The file to write, or - for standard output
    #[arg(value_name = "FILE", default_value = "-")]
    pub file: PathBuf,

    #[command(flatten)]
    pub output: ExportFormatArgs,

    /// Include the password hashes (secrets: keep the file private)
    #[arg(long = "include-hashes")]
    pub include_hashes: bool,

    /// Replace the file if it exists
    #[arg(long = "force")]
    pub force: bool,
}

pub fn run(args: Args, ctx: &Context) -> anyhow::Result<u8> {
    let format = FileFormatArg::for_file(args.output.format, &args.file);
    let mut store = ctx.open(Access::ReadOnly)?;
    let to_stdout = args.file.as_os_str() == "-";
    if !to_stdout && !args.force && args.file.exists() {
        return Err(Error::invalid(format!(
            "{} exists; pass --force to replace it",
            args.file.display()
        ))
        .into());
    }
    let count = if to_stdout {
        write_users(
            &mut *store,
            format,
            args.include_hashes,
            ctx.out.stdout(),
            "standard output",
        )?
    } else {
        write_file(&args.file, args.force, |out| {
            write_users(
                &mut *store,
                format,
                args.include_hashes,
                out,
                "the export file",
            )
        })?
    };
    let hashes = if args.include_hashes {
        " with their password hashes"
    } else {
        ""
    };
    let target = if to_stdout {
        "standard output".to_owned()
    } else {
        args.file.display().to_string()
    };
    ctx.out
        .status(format!("exported {count} users{hashes} to {target}"));
    Ok(exit::SUCCESS)
}

fn write_users(
    store: &mut dyn crate::db::Store,
    format: FileFormat,
    include_hashes: bool,
    out: impl Write,
    target: &str,
) -> anyhow::Result<u64> {
    let shape = store.shape();
    let mut writer = RecordWriter::new(format, BufWriter::new(out), include_hashes, shape);
    store.for_each_stored_user(StatusFilter::All, &mut |user| {
        writer
            .write(user.user.view(), Some(&user.hashed_password))
            .map_err(Error::writing(target))
    })?;
    Ok(writer.finish().map_err(Error::writing(target))?)
}

/// Writes through a temporary file (mode 0600) in the same directory, renamed into place at the
/// end: a reader never sees half a file, and a failure leaves the old file as it was.
fn write_file(
    path: &Path,
    force: bool,
    write: impl FnOnce(&mut std::fs::File) -> anyhow::Result<u64>,
) -> anyhow::Result<u64> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".authctl-export-")
        .tempfile_in(dir)
        .map_err(|e| Error::Environment(format!("cannot write in {}: {e}", dir.display())))?;
    let count = write(temp.as_file_mut())?;
    temp.as_file().sync_all().context("writing the export")?;
    let persisted = if force {
        temp.persist(path).map(drop)
    } else {
        temp.persist_noclobber(path).map(drop)
    };
    persisted.map_err(|e| {
        if e.error.kind() == io::ErrorKind::AlreadyExists {
            Error::invalid(format!(
                "{} exists; pass --force to replace it",
                path.display()
            ))
        } else {
            Error::Environment(format!("cannot write {}: {}", path.display(), e.error))
        }
    })?;
    // The rename itself is durable only once the directory is synced.
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))?;
    Ok(count)
}
