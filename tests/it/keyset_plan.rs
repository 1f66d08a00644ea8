//! Deep pages of the alert list seek the index instead of walking the sort order from the top.
//!
//! Regression: the keyset condition was only an OR (`detected_at < c OR (detected_at = c AND
//! id < i)`), which SQLite cannot turn into an index range, so every page scanned the order
//! from its first row and filtered: an export of a million alerts slowed to ~350 alerts/s
//! after 780,000. The plan, not a timing, is what the test checks.

use chrono::{TimeZone, Utc};
use oddswatch::domain::{AlertFilter, AlertSort, Page, PageCursor, Severity, Status};

use crate::common::sqlite_db;

fn cursor() -> PageCursor {
    PageCursor {
        id: 500,
        detected_at: Utc.with_ymd_and_hms(2026, 12, 6, 12, 0, 0).unwrap(),
        severity: Severity::Elevated,
        event_kickoff: Utc.with_ymd_and_hms(2026, 12, 7, 15, 0, 0).unwrap(),
        abs_change: 12.5,
    }
}

#[tokio::test]
async fn a_page_after_a_cursor_is_an_index_range_on_the_leading_sort_column() {
    let db = sqlite_db().await;
    let filters = [
        AlertFilter::default(),
        AlertFilter {
            statuses: vec![Status::New],
            ..AlertFilter::default()
        },
    ];
    for (sort, column) in [
        (AlertSort::Detected, "detected_at"),
        (AlertSort::Severity, "severity_rank"),
        (AlertSort::Kickoff, "event_kickoff"),
        (AlertSort::Change, "abs_change_pct"),
    ] {
        for filter in &filters {
            for backwards in [false, true] {
                let page = Page {
                    limit: 200,
                    offset: 0,
                    after: Some(cursor()),
                    backwards,
                };
                let plan = db
                    .store
                    .explain_list_sqlite(filter, sort, &page)
                    .await
                    .unwrap()
                    .expect("a SQLite store explains its plan");
                let plan = plan.join("\n");
                let seeks = plan.lines().any(|l| {
                    l.contains("SEARCH")
                        && (l.contains(&format!("{column}<")) || l.contains(&format!("{column}>")))
                });
                assert!(
                    seeks,
                    "{sort:?} backwards={backwards} filter={filter:?}: the plan does not seek \
                     {column}:\n{plan}"
                );
            }
        }
    }
    db.finish().await;
}
