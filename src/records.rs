//! The user record as files and machine formats carry it: its fields (what `list-users` and
//! `export` write, what `import` reads), the file formats, writing records as they stream, and
//! reading them back. No clap, no printing.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;

use serde::Serialize;
use serde::ser::SerializeMap;

use crate::db::{User, UserRef};
use crate::error::{Error, Result, RowError};
use crate::shape::Shape;

/// The file formats of `import`, `export` and the machine formats of `list-users`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// A header row, then one user per line.
    Csv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Jsonl,
}

impl FileFormat {
    /// The format a file name implies: `.csv`, `.json`, `.jsonl`/`.ndjson`.
    pub fn from_extension(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(FileFormat::Csv),
            "json" => Some(FileFormat::Json),
            "jsonl" | "ndjson" => Some(FileFormat::Jsonl),
            _ => None,
        }
    }
}

/// The field `export --include-hashes` adds. A record's fields are its shape's
/// ([`Shape::fields`], the stable contract of the machine formats); an imported one may also have
/// `password` or this ([`Shape::import_fields`]).
pub const HASH_FIELD: &str = "hashed_password";

/// A user's record. Never a password hash, unless an export asked for them.
#[derive(Debug)]
pub struct UserRecord<'a> {
    user: UserRef<'a>,
    hashed_password: Option<&'a str>,
}

/// The shape's fields, in [`Shape::fields`] order, then the hash when there is one.
impl Serialize for UserRecord<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let (user, shape) = (&self.user, self.user.shape);
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", user.id)?;
        map.serialize_entry(shape.login, user.username)?;
        if shape.email {
            map.serialize_entry("email", &user.email)?;
        }
        if shape.full_name {
            map.serialize_entry("full_name", &user.full_name)?;
        }
        map.serialize_entry("disabled", &user.disabled)?;
        if let Some(superuser) = user.superuser {
            map.serialize_entry("is_superuser", &superuser)?;
        }
        if let Some(verified) = user.verified {
            map.serialize_entry("is_verified", &verified)?;
        }
        if let Some(hash) = self.hashed_password {
            map.serialize_entry(HASH_FIELD, hash)?;
        }
        map.end()
    }
}

impl<'a> From<UserRef<'a>> for UserRecord<'a> {
    fn from(user: UserRef<'a>) -> Self {
        UserRecord {
            user,
            hashed_password: None,
        }
    }
}

impl<'a> From<&'a User> for UserRecord<'a> {
    fn from(user: &'a User) -> Self {
        UserRecord::from(user.view())
    }
}

/// Writes records as they come, in one of the file formats; memory does not grow with the count.
pub struct RecordWriter<W: Write> {
    sink: Sink<W>,
    count: u64,
    include_hashes: bool,
    shape: &'static Shape,
}

enum Sink<W: Write> {
    Json(W),
    Jsonl(W),
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> RecordWriter<W> {
    /// `include_hashes`: `export --include-hashes`; never for a listing. `shape` names the
    /// fields (and gives an empty CSV its header).
    pub fn new(format: FileFormat, out: W, include_hashes: bool, shape: &'static Shape) -> Self {
        let sink = match format {
            FileFormat::Json => Sink::Json(out),
            FileFormat::Jsonl => Sink::Jsonl(out),
            FileFormat::Csv => Sink::Csv(Box::new(
                csv::WriterBuilder::new()
                    .has_headers(false)
                    .from_writer(out),
            )),
        };
        RecordWriter {
            sink,
            count: 0,
            include_hashes,
            shape,
        }
    }

    fn csv_header(&self) -> Vec<&'static str> {
        let mut header = self.shape.fields.to_vec();
        if self.include_hashes {
            header.push(HASH_FIELD);
        }
        header
    }

    /// Writes one user; `hash` only when the writer includes hashes.
    pub fn write(&mut self, user: UserRef<'_>, hash: Option<&str>) -> io::Result<()> {
        let mut record = UserRecord::from(user);
        record.hashed_password = hash.filter(|_| self.include_hashes);
        let first = self.count == 0;
        let header = first.then(|| self.csv_header());
        match &mut self.sink {
            Sink::Json(out) => {
                out.write_all(if first { b"[\n  " } else { b",\n  " })?;
                serde_json::to_writer(&mut *out, &record)?;
            }
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut *out, &record)?;
                out.write_all(b"\n")?;
            }
            Sink::Csv(csv) => {
                if let Some(header) = header {
                    csv.write_record(header).map_err(csv_to_io)?;
                }
                csv_row(csv, &record).map_err(csv_to_io)?;
            }
        }
        self.count += 1;
        Ok(())
    }

    /// Ends the output (closes the JSON array); returns how many records were written.
    pub fn finish(self) -> io::Result<u64> {
        let count = self.count;
        let header = self.csv_header();
        match self.sink {
            Sink::Json(mut out) => {
                out.write_all(if count == 0 { b"[]\n" } else { b"\n]\n" })?;
                out.flush()?;
            }
            Sink::Jsonl(mut out) => out.flush()?,
            Sink::Csv(mut csv) => {
                // No rows: still the header, so the field set is visible.
                if count == 0 {
                    csv.write_record(header).map_err(csv_to_io)?;
                }
                csv.flush()?;
            }
        }
        Ok(count)
    }
}

/// One record as a CSV row: the fields as bytes, not through serde (a million rows in a
/// fraction of the time).
fn csv_row<W: Write>(csv: &mut csv::Writer<W>, record: &UserRecord<'_>) -> csv::Result<()> {
    let (user, shape) = (&record.user, record.user.shape);
    let id = user.id.text();
    let flag = |b: bool| -> &'static [u8] { if b { b"true" } else { b"false" } };
    // Each field where the shape has it, in `Shape::fields` order; on the stack, as a listing
    // writes a million of these.
    let fields: [Option<&[u8]>; 8] = [
        Some(id.as_bytes()),
        Some(user.username.as_bytes()),
        shape
            .email
            .then(|| user.email.unwrap_or_default().as_bytes()),
        shape
            .full_name
            .then(|| user.full_name.unwrap_or_default().as_bytes()),
        Some(flag(user.disabled)),
        user.superuser.map(flag),
        user.verified.map(flag),
        record.hashed_password.map(str::as_bytes),
    ];
    csv.write_record(fields.into_iter().flatten())
}

/// Keeps an I/O failure (a closed pipe) recognisable as one.
fn csv_to_io(err: csv::Error) -> io::Error {
    match err.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// A record as read, before checking: its place in the input and its fields.
pub struct RawRecord {
    /// "line 3" of a CSV or JSON lines file, "record 2" of a JSON array.
    pub location: String,
    pub fields: Vec<(String, Option<FieldValue>)>,
}

/// A field's value as the format gave it; `None` beside it is an empty or null field.
pub enum FieldValue {
    Text(String),
    Bool(bool),
    Int(i64),
}

/// Reads every record of the input. Syntax errors are row errors too, so all are reported.
/// `shape` says which fields a record may have and which is the login.
pub fn read(
    input: impl Read,
    format: FileFormat,
    shape: &Shape,
) -> Result<(Vec<RawRecord>, Vec<RowError>)> {
    match format {
        FileFormat::Csv => read_csv(input, shape),
        FileFormat::Json => read_json(input),
        FileFormat::Jsonl => read_jsonl(input),
    }
}

fn read_csv(input: impl Read, shape: &Shape) -> Result<(Vec<RawRecord>, Vec<RowError>)> {
    let (login, known) = (shape.login, shape.import_fields);
    let (mut records, mut errors) = (Vec::new(), Vec::new());
    let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::invalid(format!("the CSV header cannot be read: {e}")))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    if headers.is_empty() {
        return Ok((records, errors));
    }
    if let Some(header) = headers
        .iter()
        .find(|h| h.eq_ignore_ascii_case(login) && *h != login)
    {
        return Err(Error::invalid(format!(
            "the CSV header names '{header}'; field names are lower-case ({})",
            known.join(", ")
        )));
    }
    // Without a username column the first line is data, not a header, and may hold a password:
    // refuse the file without quoting it.
    if !headers.iter().any(|h| h == login) {
        return Err(Error::invalid(format!(
            "line 1 of the CSV input is not a header with a {login} column; the first line names \
             the fields ({})",
            known.join(", ")
        )));
    }
    // An unknown column is reported once, at the header, not on every line.
    for header in headers.iter().filter(|h| !known.contains(&h.as_str())) {
        errors.push(RowError::new("line 1", Some(header), unknown_field(shape)));
    }
    for result in reader.records() {
        match result {
            Ok(record) => {
                let line = record.position().map_or(0, csv::Position::line);
                let fields = headers
                    .iter()
                    .zip(record.iter())
                    .filter(|(h, _)| known.contains(&h.as_str()))
                    .map(|(h, v)| {
                        (
                            h.clone(),
                            (!v.is_empty()).then(|| FieldValue::Text(v.into())),
                        )
                    })
                    .collect();
                records.push(RawRecord {
                    location: format!("line {line}"),
                    fields,
                });
            }
            Err(e) => {
                let line = e.position().map_or(0, csv::Position::line);
                errors.push(RowError::new(format!("line {line}"), None, e.to_string()));
                if e.is_io_error() {
                    break;
                }
            }
        }
    }
    Ok((records, errors))
}

fn read_json(input: impl Read) -> Result<(Vec<RawRecord>, Vec<RowError>)> {
    let value: serde_json::Value = serde_json::from_reader(input)
        .map_err(|e| Error::invalid(format!("the JSON input is not valid: {e}")))?;
    let serde_json::Value::Array(items) = value else {
        return Err(Error::NotAnArray);
    };
    let (mut records, mut errors) = (Vec::new(), Vec::new());
    for (index, item) in items.into_iter().enumerate() {
        let location = format!("record {}", index + 1);
        match json_fields(item) {
            Ok(fields) => records.push(RawRecord { location, fields }),
            Err(message) => errors.push(RowError::new(location, None, message)),
        }
    }
    Ok((records, errors))
}

fn read_jsonl(input: impl Read) -> Result<(Vec<RawRecord>, Vec<RowError>)> {
    let (mut records, mut errors) = (Vec::new(), Vec::new());
    for (index, line) in BufReader::new(input).lines().enumerate() {
        let line = line.map_err(|e| Error::Environment(format!("cannot read the input: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let location = format!("line {}", index + 1);
        match serde_json::from_str(&line)
            .map_err(|e| format!("not valid JSON: {e}"))
            .and_then(json_fields)
        {
            Ok(fields) => records.push(RawRecord { location, fields }),
            Err(message) => errors.push(RowError::new(location, None, message)),
        }
    }
    Ok((records, errors))
}

fn json_fields(value: serde_json::Value) -> Result<Vec<(String, Option<FieldValue>)>, String> {
    let serde_json::Value::Object(map) = value else {
        return Err("not a JSON object".to_owned());
    };
    map.into_iter()
        .map(|(key, value)| {
            let value = match value {
                serde_json::Value::Null => None,
                serde_json::Value::String(s) => Some(FieldValue::Text(s)),
                serde_json::Value::Bool(b) => Some(FieldValue::Bool(b)),
                // The messages name the kind of value, never the value: it may be a password.
                serde_json::Value::Number(n) => match n.as_i64() {
                    Some(i) => Some(FieldValue::Int(i)),
                    None => return Err(format!("field {key}: a number that is not an integer")),
                },
                serde_json::Value::Array(_) | serde_json::Value::Object(_) => {
                    return Err(format!(
                        "field {key}: an array or object, not a string, number or boolean"
                    ));
                }
            };
            Ok((key, value))
        })
        .collect()
}

/// The message for a field no record has.
pub fn unknown_field(shape: &Shape) -> String {
    format!("unknown field (known: {})", shape.import_fields.join(", "))
}
