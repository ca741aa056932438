//! Reading a CSV file once, as it is uploaded: columns, inferred types, missing values, ranges,
//! row count and the first rows. Pure reading: no database, no storage.

use super::*;
use crate::domain::error::{Code, codes};

/// What reading a CSV file found.
#[derive(Debug)]
pub(crate) struct CsvProfile {
    pub columns: Vec<crate::domain::dataset::Column>,
    pub row_count: u64,
    pub preview: Vec<Vec<String>>,
}

/// The marker of a row longer than the limit, carried through the CSV reader as an I/O error.
#[derive(Debug)]
pub(super) struct RowTooLong;

impl std::fmt::Display for RowTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a row is too long")
    }
}

impl std::error::Error for RowTooLong {}

/// Counts the bytes handed to the CSV reader since the last row it finished, and stops it when
/// one row grows past the limit (the reader would otherwise buffer it whole).
pub(super) struct RowGuard<R> {
    inner: R,
    since_row: Rc<Cell<u64>>,
    limit: u64,
}

impl<R: Read> Read for RowGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.since_row.get() > self.limit {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                RowTooLong,
            ));
        }
        let n = self.inner.read(buf)?;
        self.since_row.set(self.since_row.get() + n as u64);
        Ok(n)
    }
}

pub(super) fn invalid_file(code: Code, msg: String, solution: impl Into<String>) -> AppError {
    ApiError::invalid("file", code, msg, solution).into()
}

pub(super) fn bad_encoding(line: u64, column: Option<&str>) -> AppError {
    let place = match column {
        Some(c) => format!(" (in the column '{}')", preview(c)),
        None => " (the header row)".to_owned(),
    };
    invalid_file(
        codes::DATASET_BAD_ENCODING,
        format!("Line {line} is not valid UTF-8 text{place}."),
        "Save the file as UTF-8 (in Excel: Save As, 'CSV UTF-8'; in pandas: to_csv(..., encoding='utf-8')) and upload it again.",
    )
}

/// Reads the next record; false at the end of the input.
pub(super) fn next_record<R: Read>(
    reader: &mut csv::Reader<R>,
    record: &mut csv::ByteRecord,
    next_line: u64,
    limit: u64,
) -> AppResult<bool> {
    reader.read_byte_record(record).map_err(|e| match e.kind() {
        csv::ErrorKind::Io(io)
            if io
                .get_ref()
                .is_some_and(|inner| inner.is::<RowTooLong>()) =>
        {
            invalid_file(
                codes::DATASET_ROW_TOO_LONG,
                format!(
                    "The row starting at line {next_line} is longer than {} MiB.",
                    limit / (1024 * 1024)
                ),
                "Check that the file is a CSV file with one row per line, and that quotes are closed.",
            )
        }
        _ => AppError::Internal(format!("reading a dataset: {e}")),
    })
}

/// Reads a whole CSV file: the header row names the columns (each once), every other row is
/// data with as many fields. Each column's type is inferred from all its values; the first
/// [`PREVIEW_ROWS`] rows are kept as text. Malformed input is a 422 naming the line.
pub(crate) fn profile_csv<R: Read>(input: R, max_row_bytes: u64) -> AppResult<CsvProfile> {
    let since_row = Rc::new(Cell::new(0u64));
    let guarded = RowGuard {
        inner: input,
        since_row: Rc::clone(&since_row),
        limit: max_row_bytes,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(guarded);
    let mut record = csv::ByteRecord::new();
    let line_of = |record: &csv::ByteRecord| record.position().map_or(0, csv::Position::line);

    if !next_record(&mut reader, &mut record, 1, max_row_bytes)? {
        return Err(invalid_file(
            codes::DATASET_EMPTY,
            "The file is empty.".to_owned(),
            "Upload a CSV file with a header row naming the columns and at least one data row.",
        ));
    }
    since_row.set(0);
    let header_line = line_of(&record);
    check_column_count(record.len())?;
    let mut names = Vec::with_capacity(record.len());
    for (i, field) in record.iter().enumerate() {
        // A UTF-8 byte order mark is not part of the first name (the reader usually drops it).
        let field = if i == 0 {
            field.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(field)
        } else {
            field
        };
        let name = std::str::from_utf8(field).map_err(|_| bad_encoding(header_line, None))?;
        names.push(name.to_owned());
    }
    check_column_names(&names)?;

    let mut stats: Vec<ColumnStats> = names.iter().map(|n| ColumnStats::new(n)).collect();
    let mut row_count = 0u64;
    let mut preview = Vec::new();
    let mut preview_bytes = 0usize;
    let mut next_line = reader.position().line();
    while next_record(&mut reader, &mut record, next_line, max_row_bytes)? {
        since_row.set(0);
        next_line = reader.position().line();
        let line = line_of(&record);
        if record.len() != names.len() {
            return Err(invalid_file(
                codes::DATASET_RAGGED_ROW,
                format!(
                    "Line {line} has {} field{}, the header has {}.",
                    record.len(),
                    if record.len() == 1 { "" } else { "s" },
                    names.len()
                ),
                format!(
                    "Every row needs as many fields as the header row. Check line {line} for a missing or extra comma, and quote values that contain commas."
                ),
            ));
        }
        let keep = preview.len() < PREVIEW_ROWS
            && (preview.is_empty() || preview_bytes < MAX_PREVIEW_BYTES);
        let mut cells = Vec::with_capacity(if keep { names.len() } else { 0 });
        for (i, field) in record.iter().enumerate() {
            let value =
                std::str::from_utf8(field).map_err(|_| bad_encoding(line, Some(&names[i])))?;
            stats[i].observe(value);
            if keep {
                let cell = preview_cell(value);
                preview_bytes += cell.len();
                cells.push(cell);
            }
        }
        if keep {
            preview.push(cells);
        }
        row_count += 1;
    }
    if row_count == 0 {
        return Err(invalid_file(
            codes::DATASET_EMPTY,
            "The file has a header row but no data rows.".to_owned(),
            "Upload a CSV file with at least one data row under the header row.",
        ));
    }
    Ok(CsvProfile {
        columns: stats.into_iter().map(ColumnStats::finish).collect(),
        row_count,
        preview,
    })
}
