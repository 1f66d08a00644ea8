//! The benchmark's figures as a markdown table.

use super::{BackendReport, Latency, REFERENCE_DETECT_STEADY_S};
use crate::pipeline::cycle::CycleTotals;

/// The figures as a markdown table, one column per backend.
pub fn markdown(reports: &[BackendReport]) -> String {
    let mut out = String::from("| figure |");
    for r in reports {
        out.push_str(&format!(" {} |", r.backend));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(reports.len()));
    out.push('\n');
    let mut row = |name: &str, f: &dyn Fn(&BackendReport) -> String| {
        out.push_str(&format!("| {name} |"));
        for r in reports {
            out.push_str(&format!(" {} |", f(r)));
        }
        out.push('\n');
    };
    let opt = |v: Option<f64>, unit: &str| {
        v.map_or_else(|| "–".to_string(), |v| format!("{v:.3} {unit}"))
    };
    row("events per cycle", &|r| r.events.to_string());
    row("first cycle (everything new)", &|r| {
        format!("{:.2} s", r.first_cycle_s)
    });
    row(PHASES, &|r| phases(&r.first_cycle));
    row(
        "  COPY of the first cycle's rows (events, links, odds, history)",
        &|r| {
            r.first_cycle_copy_s.map_or("–".into(), |copy| {
                format!(
                    "{copy:.2} s (first cycle {:.2}×)",
                    r.first_cycle_s / copy.max(1e-9)
                )
            })
        },
    );
    row("steady cycle", &|r| format!("{:.2} s", r.steady_cycle_s));
    row("cost per event: first / steady cycle", &|r| {
        let per = |s: f64| s * 1000.0 / (r.events.max(1) as f64);
        format!(
            "{:.3} / {:.3} ms",
            per(r.first_cycle_s),
            per(r.steady_cycle_s)
        )
    });
    row(PHASES, &|r| phases(&r.steady_cycle));
    row("events/s, outcomes/s (steady)", &|r| {
        format!("{:.0}, {:.0}", r.events_per_s, r.outcomes_per_s)
    });
    row("peak RSS of the pipeline process (all cycles)", &|r| {
        format!("{:.0} MB", r.peak_rss_mb)
    });
    row("database growth per cycle", &|r| {
        format!("{:.1} MB", r.db_bytes_per_cycle / 1e6)
    });
    row("projected per day at 5 min", &|r| {
        format!("{:.0} MB", r.db_bytes_per_day / 1e6)
    });
    row("alerts per steady cycle", &|r| {
        format!("{:.1}", r.alerts_per_cycle)
    });
    row("persist home rows: ours / plainest loop", &|r| {
        format!(
            "{:.2} s / {:.2} s = {:.2}×",
            r.persist_s, r.plain_insert_s, r.persist_overhead_ratio
        )
    });
    row("  COPY of the same rows", &|r| opt(r.copy_s, "s"));
    row("parse+map / raw serde_json::Value", &|r| {
        format!(
            "{:.2}× ({:.0} MB/s)",
            r.parse_overhead_ratio, r.parse_mb_per_s
        )
    });
    row("refcycle detection (cycle_next)", &|r| {
        r.refcycle_detect_s.map_or("–".into(), |s| {
            format!(
                "{s:.3} s ({:.0}× the reference's {REFERENCE_DETECT_STEADY_S} s)",
                REFERENCE_DETECT_STEADY_S / s.max(1e-9)
            )
        })
    });
    row(
        "refcycle detection (cycle_prev cold + cycle_next)",
        &|r| match (r.refcycle_cold_detect_s, r.refcycle_detect_s) {
            (Some(cold), Some(steady)) => {
                format!("{cold:.3} s + {steady:.3} s = {:.3} s", cold + steady)
            }
            _ => "–".into(),
        },
    );
    for (label, key) in [("cold", "cold"), ("steady", "steady")] {
        row(&format!("refcycle alerts per type ({label})"), &|r| {
            r.refcycle_alert_counts
                .get(key)
                .map_or("–".into(), crate::detect::refcycle::alert_counts_text)
        });
    }
    row("refcycle detection + persistence", &|r| {
        opt(r.refcycle_detect_persist_s, "s")
    });
    row("refcycle last-seen state", &|r| {
        opt(r.refcycle_state_mb, "MB")
    });
    row("refcycle alerts (price / direction / availability)", &|r| {
        let a = |k: &str| r.refcycle_alerts.get(k).copied().unwrap_or(0);
        format!(
            "{} / {} / {}",
            a("price_change"),
            a("direction_disagreement"),
            a("availability")
        )
    });
    row("read side: alerts stored", &|r| r.read_alerts.to_string());
    let lat = |l: &Latency| format!("{:.1} / {:.1} ms", l.p50_ms, l.p99_ms);
    row("list first page p50/p99", &|r| lat(&r.read.list));
    row("list new+critical p50/p99", &|r| lat(&r.read.list_filtered));
    row("list text search p50/p99", &|r| lat(&r.read.list_text));
    row("list new by abs(change) p50/p99", &|r| {
        lat(&r.read.list_by_change)
    });
    row("stats p50/p99", &|r| lat(&r.read.stats));
    row("acknowledge 1 p50/p99", &|r| lat(&r.read.ack_1));
    row("acknowledge 200 p50/p99", &|r| lat(&r.read.ack_200));
    row("UI first frame (open, load, draw) p50/p99", &|r| {
        lat(&r.ui.first_frame)
    });
    row("UI tab switch p50/p99", &|r| lat(&r.ui.tab_switch));
    row("UI severity / type / book filter p50", &|r| {
        format!(
            "{:.1} / {:.1} / {:.1} ms",
            r.ui.severity_filter.p50_ms, r.ui.type_filter.p50_ms, r.ui.book_filter.p50_ms
        )
    });
    row("UI severity / type / book filter p99", &|r| {
        format!(
            "{:.1} / {:.1} / {:.1} ms",
            r.ui.severity_filter.p99_ms, r.ui.type_filter.p99_ms, r.ui.book_filter.p99_ms
        )
    });
    row("UI sort change p50/p99", &|r| lat(&r.ui.sort_change));
    row("UI text filter keystroke p50/p99", &|r| {
        lat(&r.ui.text_keystroke)
    });
    row("UI next window (keyset) p50/p99", &|r| {
        lat(&r.ui.next_window)
    });
    row("UI grouped view p50/p99", &|r| lat(&r.ui.grouped_view));
    row("UI reload with stats panel p50/p99", &|r| {
        lat(&r.ui.stats_panel)
    });
    row("UI last row (G) p50/p99", &|r| lat(&r.ui.last_row));
    row("UI tab counts of a text filter p50/p99", &|r| {
        lat(&r.ui.text_counts)
    });
    row("UI render 80x24 / 120x40 p50", &|r| {
        format!(
            "{:.2} / {:.2} ms",
            r.ui.render_80x24.p50_ms, r.ui.render_120x40.p50_ms
        )
    });
    row("live: commit → visible in one process p50/p99", &|r| {
        lat(&r.live.in_process)
    });
    row("live: commit → visible across processes p50/p99", &|r| {
        lat(&r.live.cross_process)
    });
    out
}

/// The phase row's label: fetch and persist are wall times that overlap (the writer stores
/// batches while later ones are fetched); parse+map is CPU summed over concurrent fetches.
const PHASES: &str =
    "  discovery / fetch / parse+map (CPU) / detect / persist (writer) / persist wait";

fn phases(t: &CycleTotals) -> String {
    format!(
        "{} / {} / {} / {} / {} / {} ms",
        t.discovery_ms, t.fetch_ms, t.parse_map_ms, t.detect_ms, t.persist_ms, t.persist_wait_ms
    )
}
