//! `oddswatch alerts export`: every alert matching the list's filters, in its sort order, as
//! CSV, one JSON array or JSON lines, to a file or stdout.
//!
//! Choices (DESIGN.md is silent on these):
//! - Streaming through the service's keyset windows (the UI's paging: one index range per
//!   window, no OFFSET scan), the largest window the service allows, each written and dropped
//!   before the one after the next is read. While one window is written the next is read on
//!   another task, so the database and the encoder work at the same time; memory holds two
//!   windows whatever the number of alerts.
//! - The export is not one snapshot: alerts stored while it runs may or may not appear (the
//!   windows are separate reads, as the UI's pages are). Each alert appears at most once, as
//!   keyset paging never revisits a row.
//! - The JSON objects are the API's (`AlertJson`), byte for byte. The CSV has the same field
//!   names as columns, every column on every row (the market-wide types' fields are empty for
//!   the older types), lists (`books`, `prices`, `movers`) as compact JSON in one cell, null as an
//!   empty cell. Cells are not altered to defuse spreadsheet formulas (a name starting with
//!   `=`): the file is data for scripts, and a prefixed quote would change the names.
//! - The first window is read before the output is opened, so a bad filter or an unreachable
//!   database leaves an existing file untouched. A failure later leaves the partial file in
//!   place and says so (a JSON array is then unterminated and will not parse); the exit code is
//!   1. A closed pipe (`| head`) is the reader having had enough: exit 0, no message.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use color_eyre::eyre::Result;
use serde::Serialize;

use super::alerts::{FilterArgs, user_error};
use crate::domain::{
    Alert, AlertJson, AlertType, AvailabilityChange, Direction, MAX_PAGE_LIMIT, Page, Pattern,
    Severity, Status,
};
use crate::service::{AlertService, AlertWindow, ServiceError};

/// `oddswatch alerts export`
#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// Which alerts, in which order (the same flags as `alerts list`).
    #[command(flatten)]
    pub select: FilterArgs,
    /// Output format: csv (a header row, one row per alert), json (one array of the API's
    /// alert objects), ndjson (one API alert object per line).
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    pub format: ExportFormat,
    /// Write to this file (created or replaced) instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// The formats of `alerts export`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExportFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// One JSON array, one alert object per line inside it.
    Json,
    /// One JSON object per line (JSON lines).
    Ndjson,
}

/// Bytes gathered before a write to the output: few system calls for a million rows.
const OUTPUT_BUFFER: usize = 256 * 1024;

/// Why an export stopped early.
enum Failure {
    /// Reading a window failed (the service's error, as text).
    Read(String),
    /// Writing the output failed.
    Write(io::Error),
}

/// Runs `alerts export`: exit 0 when every alert was written (or the reader closed the pipe),
/// 2 for a bad filter, 1 when the output or the database failed.
pub async fn run(service: &AlertService, args: ExportArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let filter = args.select.filter();
    let sort = args.select.sort;
    let page = Page::first(MAX_PAGE_LIMIT);
    let first = match service.window(&filter, sort, &page).await {
        Ok(window) => window,
        Err(e) => return user_error(e),
    };
    let where_to = match &args.output {
        Some(path) => path.display().to_string(),
        None => "stdout".to_string(),
    };
    let sink: Box<dyn Write + Send> = match &args.output {
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => Box::new(file),
            Err(e) => {
                eprintln!("error: cannot write --output {where_to}: {e}");
                return Ok(ExitCode::FAILURE);
            }
        },
        // Names come from the feeds: on a terminal, nothing in them may act as an escape.
        None if io::stdout().is_terminal() => {
            Box::new(super::terminal_safe::TerminalSafe::new(io::stdout()))
        }
        None => Box::new(io::stdout()),
    };
    let mut encoder = Encoder::new(args.format, sink);
    let mut written = 0u64;
    let outcome = stream(service, &filter, sort, first, &mut encoder, &mut written).await;
    let outcome = match outcome {
        Ok(()) => encoder.finish().map_err(Failure::Write),
        Err(e) => Err(e),
    };
    match outcome {
        Ok(()) => {
            if args.output.is_some() {
                eprintln!(
                    "exported {written} alerts to {where_to} ({}) in {:.1} s",
                    format_name(args.format),
                    started.elapsed().as_secs_f64()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(Failure::Write(e)) if e.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(failure) => {
            let what = match failure {
                Failure::Read(e) => format!("reading alerts from the database failed: {e}"),
                Failure::Write(e) => format!("writing {where_to} failed: {e}"),
            };
            eprintln!("error: {what}");
            let unparsable = if args.format == ExportFormat::Json {
                "; its JSON array is not closed"
            } else {
                ""
            };
            eprintln!(
                "error: {where_to} is incomplete: the export stopped after {written} alerts{unparsable}"
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Writes `first` and every window after it, reading the next window while writing one.
async fn stream(
    service: &AlertService,
    filter: &crate::domain::AlertFilter,
    sort: crate::domain::AlertSort,
    first: AlertWindow,
    encoder: &mut Encoder,
    written: &mut u64,
) -> Result<(), Failure> {
    encoder.begin().map_err(Failure::Write)?;
    let mut window = first;
    loop {
        let next = window.next_cursor.take().map(|cursor| {
            let (service, filter) = (service.clone(), filter.clone());
            let page = Page {
                after: Some(cursor),
                ..Page::first(MAX_PAGE_LIMIT)
            };
            tokio::spawn(async move { service.window(&filter, sort, &page).await })
        });
        let wrote = window
            .alerts
            .iter()
            .try_for_each(|alert| {
                encoder.write(alert)?;
                *written += 1;
                Ok(())
            })
            .map_err(Failure::Write);
        let Some(next) = next else {
            return wrote;
        };
        if let Err(e) = wrote {
            next.abort();
            return Err(e);
        }
        window = match next.await {
            Ok(read) => read.map_err(|e: ServiceError| Failure::Read(e.to_string()))?,
            // The read task panicked: report it as a failed read.
            Err(e) => return Err(Failure::Read(e.to_string())),
        };
    }
}

fn format_name(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Csv => "csv",
        ExportFormat::Json => "json",
        ExportFormat::Ndjson => "ndjson",
    }
}

/// One output format over a buffered sink.
enum Encoder {
    // Boxed: the csv writer carries its state inline; one encoder lives per export.
    Csv(Box<csv::Writer<Box<dyn Write + Send>>>),
    Json {
        out: BufWriter<Box<dyn Write + Send>>,
        first: bool,
    },
    Ndjson(BufWriter<Box<dyn Write + Send>>),
}

impl Encoder {
    fn new(format: ExportFormat, sink: Box<dyn Write + Send>) -> Self {
        match format {
            ExportFormat::Csv => Encoder::Csv(Box::new(
                csv::WriterBuilder::new()
                    .has_headers(false)
                    .buffer_capacity(OUTPUT_BUFFER)
                    .from_writer(sink),
            )),
            ExportFormat::Json => Encoder::Json {
                out: BufWriter::with_capacity(OUTPUT_BUFFER, sink),
                first: true,
            },
            ExportFormat::Ndjson => Encoder::Ndjson(BufWriter::with_capacity(OUTPUT_BUFFER, sink)),
        }
    }

    /// The header row, or the array's opening bracket.
    fn begin(&mut self) -> io::Result<()> {
        match self {
            Encoder::Csv(w) => w.write_record(CSV_COLUMNS).map_err(csv_io),
            Encoder::Json { out, .. } => out.write_all(b"["),
            Encoder::Ndjson(_) => Ok(()),
        }
    }

    fn write(&mut self, alert: &Alert) -> io::Result<()> {
        match self {
            Encoder::Csv(w) => w
                .serialize(CsvRow::from(AlertJson::from(alert)))
                .map_err(csv_io),
            Encoder::Json { out, first } => {
                out.write_all(if *first { b"\n" } else { b",\n" })?;
                *first = false;
                serde_json::to_writer(&mut *out, &AlertJson::from(alert)).map_err(io::Error::from)
            }
            Encoder::Ndjson(out) => {
                serde_json::to_writer(&mut *out, &AlertJson::from(alert))
                    .map_err(io::Error::from)?;
                out.write_all(b"\n")
            }
        }
    }

    /// The array's closing bracket, then everything buffered out.
    fn finish(&mut self) -> io::Result<()> {
        match self {
            Encoder::Csv(w) => w.flush(),
            Encoder::Json { out, first } => {
                out.write_all(if *first { b"]\n" } else { b"\n]\n" })?;
                out.flush()
            }
            Encoder::Ndjson(out) => out.flush(),
        }
    }
}

/// A csv error as the I/O error under it when there is one, so a closed pipe stays a
/// `BrokenPipe` (the csv crate's own conversion hides the kind).
fn csv_io(e: csv::Error) -> io::Error {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    }
}

/// The CSV columns: the API's alert fields, in the API's order.
pub const CSV_COLUMNS: &[&str] = &[
    "id",
    "eventId",
    "srId",
    "eventName",
    "homeTeam",
    "awayTeam",
    "tournament",
    "bookmakerSlug",
    "marketId",
    "marketName",
    "line",
    "outcomeName",
    "alertType",
    "severity",
    "changePercent",
    "oldValue",
    "newValue",
    "competitorBookmaker",
    "competitorOldValue",
    "competitorNewValue",
    "competitorDirection",
    "gapPercent",
    "availability",
    "unavailableSecs",
    "marketsAffected",
    "detectedAt",
    "acknowledgedAt",
    "acknowledgedBy",
    "status",
    "eventKickoff",
    "occurrences",
    "firstDetectedAt",
    "lastDetectedAt",
    "escalated",
    "silencedBy",
    "edgePercent",
    "fairOdds",
    "pattern",
    "books",
    "marginPercent",
    "prices",
    "direction",
    "medianChangePercent",
    "movers",
];

/// One CSV row: the API's alert with its lists as compact JSON text (a CSV cell holds no list).
/// Its fields are [`CSV_COLUMNS`], in order (a test holds them together).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CsvRow {
    id: i64,
    event_id: i64,
    sr_id: String,
    event_name: String,
    home_team: String,
    away_team: String,
    tournament: Option<String>,
    bookmaker_slug: String,
    market_id: String,
    market_name: String,
    line: Option<f64>,
    outcome_name: Option<String>,
    alert_type: AlertType,
    severity: Severity,
    change_percent: Option<f64>,
    old_value: Option<f64>,
    new_value: Option<f64>,
    competitor_bookmaker: Option<String>,
    competitor_old_value: Option<f64>,
    competitor_new_value: Option<f64>,
    competitor_direction: Option<Direction>,
    gap_percent: Option<f64>,
    availability: Option<AvailabilityChange>,
    unavailable_secs: Option<i64>,
    markets_affected: Option<i64>,
    detected_at: chrono::DateTime<chrono::Utc>,
    acknowledged_at: Option<chrono::DateTime<chrono::Utc>>,
    acknowledged_by: Option<String>,
    status: Status,
    event_kickoff: chrono::DateTime<chrono::Utc>,
    occurrences: u32,
    first_detected_at: chrono::DateTime<chrono::Utc>,
    last_detected_at: chrono::DateTime<chrono::Utc>,
    escalated: bool,
    silenced_by: Option<i64>,
    edge_percent: Option<f64>,
    fair_odds: Option<f64>,
    pattern: Option<Pattern>,
    books: Option<String>,
    margin_percent: Option<f64>,
    prices: Option<String>,
    direction: Option<Direction>,
    median_change_percent: Option<f64>,
    movers: Option<String>,
}

/// A list as compact JSON text for one cell.
fn cell<T: Serialize>(list: Option<Vec<T>>) -> Option<String> {
    // A list of plain records always serialises.
    list.map(|items| serde_json::to_string(&items).unwrap_or_default())
}

impl From<AlertJson> for CsvRow {
    fn from(a: AlertJson) -> Self {
        CsvRow {
            id: a.id,
            event_id: a.event_id,
            sr_id: a.sr_id,
            event_name: a.event_name,
            home_team: a.home_team,
            away_team: a.away_team,
            tournament: a.tournament,
            bookmaker_slug: a.bookmaker_slug,
            market_id: a.market_id,
            market_name: a.market_name,
            line: a.line,
            outcome_name: a.outcome_name,
            alert_type: a.alert_type,
            severity: a.severity,
            change_percent: a.change_percent,
            old_value: a.old_value,
            new_value: a.new_value,
            competitor_bookmaker: a.competitor_bookmaker,
            competitor_old_value: a.competitor_old_value,
            competitor_new_value: a.competitor_new_value,
            competitor_direction: a.competitor_direction,
            gap_percent: a.gap_percent,
            availability: a.availability,
            unavailable_secs: a.unavailable_secs,
            markets_affected: a.markets_affected,
            detected_at: a.detected_at,
            acknowledged_at: a.acknowledged_at,
            acknowledged_by: a.acknowledged_by,
            status: a.status,
            event_kickoff: a.event_kickoff,
            occurrences: a.occurrences,
            first_detected_at: a.first_detected_at,
            last_detected_at: a.last_detected_at,
            escalated: a.escalated,
            silenced_by: a.silenced_by,
            edge_percent: a.edge_percent,
            fair_odds: a.fair_odds,
            pattern: a.pattern,
            books: cell(a.books),
            margin_percent: a.margin_percent,
            prices: cell(a.prices),
            direction: a.direction,
            median_change_percent: a.median_change_percent,
            movers: cell(a.movers),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::AlertBuilder;

    /// One alert of each type, the market-wide ones with their lists.
    fn every_type() -> Vec<Alert> {
        vec![
            AlertBuilder::new().stored(1),
            AlertBuilder::new()
                .prices(2.0, 2.14)
                .disagreement("sportybet", 2.0, 1.9)
                .stored(2),
            AlertBuilder::new().returned(Some(300)).stored(3),
            AlertBuilder::new()
                .prices(2.0, 2.0)
                .market_move(-9.0, &[("bet9ja", 2.0, 1.84), ("sportybet", 2.0, 1.8)])
                .stored(4),
            AlertBuilder::new()
                .prices(2.0, 4.0)
                .off_market(91.55, 2.09, Some(Pattern::Swapped))
                .books(&[("sportybet", 2.0, 2.09)])
                .stored(5),
            AlertBuilder::new()
                .margin(-2.81, &[("1", 2.5), ("X", 3.4), ("2", 3.6)])
                .stored(6),
        ]
    }

    fn export(format: ExportFormat, alerts: &[Alert]) -> String {
        let buffer = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        struct Shared(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
        impl Write for Shared {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                self.0.lock().unwrap().write(buf)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut encoder = Encoder::new(format, Box::new(Shared(buffer.clone())));
        encoder.begin().unwrap();
        for alert in alerts {
            encoder.write(alert).unwrap();
        }
        encoder.finish().unwrap();
        drop(encoder);
        String::from_utf8(buffer.lock().unwrap().clone()).unwrap()
    }

    #[test]
    fn the_csv_columns_are_the_api_fields_of_every_type_in_the_api_order() {
        let mut seen: Vec<String> = Vec::new();
        for alert in every_type() {
            let json = serde_json::to_value(AlertJson::from(&alert)).unwrap();
            for key in json.as_object().unwrap().keys() {
                if !seen.contains(key) {
                    seen.push(key.clone());
                }
            }
        }
        let mut columns: Vec<String> = CSV_COLUMNS.iter().map(|c| c.to_string()).collect();
        assert_eq!(columns.len(), seen.len(), "{columns:?} vs {seen:?}");
        columns.sort();
        seen.sort();
        assert_eq!(columns, seen);
        // The row's own field names (what csv would write as a header) are the columns, in order.
        let mut auto = csv::Writer::from_writer(Vec::new());
        auto.serialize(CsvRow::from(AlertJson::from(&every_type()[0])))
            .unwrap();
        let text = String::from_utf8(auto.into_inner().unwrap()).unwrap();
        assert_eq!(text.lines().next().unwrap(), CSV_COLUMNS.join(","));
    }

    #[test]
    fn a_csv_row_holds_the_api_values_and_its_lists_as_json_cells() {
        let alerts = every_type();
        let text = export(ExportFormat::Csv, &alerts);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        assert_eq!(reader.headers().unwrap(), CSV_COLUMNS);
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), alerts.len());
        for (row, alert) in rows.iter().zip(&alerts) {
            let json = serde_json::to_value(AlertJson::from(alert)).unwrap();
            for (column, cell) in CSV_COLUMNS.iter().zip(row.iter()) {
                match json.get(*column) {
                    None | Some(serde_json::Value::Null) => assert_eq!(cell, "", "{column}"),
                    Some(serde_json::Value::String(s)) => assert_eq!(cell, s, "{column}"),
                    Some(list @ serde_json::Value::Array(_)) => {
                        assert_eq!(
                            &serde_json::from_str::<serde_json::Value>(cell).unwrap(),
                            list
                        )
                    }
                    Some(other) => assert_eq!(cell, other.to_string(), "{column}"),
                }
            }
        }
        assert_eq!(
            &rows[3][CSV_COLUMNS.iter().position(|c| *c == "movers").unwrap()],
            r#"[{"bookmaker":"bet9ja","oldPrice":2.0,"newPrice":1.84,"changePercent":-8.0},{"bookmaker":"sportybet","oldPrice":2.0,"newPrice":1.8,"changePercent":-10.0}]"#
        );
    }

    #[test]
    fn a_name_with_commas_quotes_and_a_newline_survives_the_csv() {
        let alert = AlertBuilder::new()
            .teams("Brighton, \"Hove\"", "Albion\nFC", None)
            .stored(1);
        let text = export(ExportFormat::Csv, &[alert]);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let row = reader.records().next().unwrap().unwrap();
        assert_eq!(&row[4], "Brighton, \"Hove\"");
        assert_eq!(&row[5], "Albion\nFC");
        assert_eq!(&row[6], "", "no tournament is an empty cell");
    }

    #[test]
    fn the_json_array_and_the_json_lines_hold_the_api_objects() {
        let alerts = every_type();
        let array = export(ExportFormat::Json, &alerts);
        let parsed: Vec<AlertJson> = serde_json::from_str(&array).unwrap();
        assert_eq!(
            parsed,
            alerts.iter().map(AlertJson::from).collect::<Vec<_>>()
        );
        assert_eq!(
            array.lines().count(),
            alerts.len() + 2,
            "one object per line"
        );
        let lines = export(ExportFormat::Ndjson, &alerts);
        for (line, alert) in lines.lines().zip(&alerts) {
            assert_eq!(
                line,
                serde_json::to_string(&AlertJson::from(alert)).unwrap()
            );
        }
        assert_eq!(lines.lines().count(), alerts.len());
    }

    #[test]
    fn an_empty_export_is_still_a_header_or_an_empty_array() {
        assert_eq!(
            export(ExportFormat::Csv, &[]),
            format!("{}\n", CSV_COLUMNS.join(","))
        );
        let empty: Vec<AlertJson> = serde_json::from_str(&export(ExportFormat::Json, &[])).unwrap();
        assert!(empty.is_empty());
        assert_eq!(export(ExportFormat::Ndjson, &[]), "");
    }
}
