//! The trader's screen, round 2 (issue 16): the type in every layout, the competitor compact
//! at 80 columns, one price format per column, the detail pane's relative times, and stats
//! that follow changes as fast as their measured cost allows.

use chrono::Duration;

use super::fixtures::*;
use super::render::main_state;
use crate::domain::testing::AlertBuilder;
use crate::domain::{Alert, AlertType, AvailabilityChange, Price, Severity, Status};
use crate::live::Change;
use crate::tui::action::{Action, DetailData, Effect, StatsData};
use crate::tui::state::{Detail, State};
use crate::tui::theme::Theme;
use crate::tui::update::update;
use crate::tui::view::format;

/// Every shape a trader can meet, newest first: the fixtures' every type, plus a `returned`, an
/// event-level suspension, two disagreements on one outcome (one per competitor), a
/// competitor's own price change, and a move that needs a third decimal.
pub(super) fn every_shape() -> Vec<Alert> {
    let on = |b: AlertBuilder, id: i64, minutes: i64| {
        b.event_key("sr:1001")
            .event_id(2)
            .teams("Real Madrid", "Sevilla", Some("LaLiga"))
            .detected_at(now() - Duration::minutes(minutes))
            .kickoff(now() + Duration::minutes(130))
            .stored(id)
    };
    let one_x_two = || AlertBuilder::new().market("3743", "1X2 | Full Time");
    let mut rows = vec![
        on(
            one_x_two()
                .outcome(Some("1"))
                .severity(Severity::Elevated)
                .prices(2.0, 2.1)
                .disagreement("sportybet", 2.0, 1.9)
                .gap_pct(9.52),
            14,
            1,
        ),
        on(
            one_x_two()
                .outcome(Some("1"))
                .severity(Severity::Elevated)
                .prices(2.0, 2.1)
                .disagreement("bet9ja", 2.05, 1.95)
                .gap_pct(7.14),
            13,
            1,
        ),
        on(
            one_x_two()
                .book("sportybet")
                .outcome(Some("X"))
                .severity(Severity::Warning)
                .prices(3.4, 3.65),
            12,
            2,
        ),
        on(
            AlertBuilder::new()
                .market("5000", "Over/Under | Full Time")
                .line(2.5)
                .outcome(Some("Over"))
                .severity(Severity::Warning)
                .prices(5.34, 5.398 * 1.08),
            11,
            3,
        ),
        on(AlertBuilder::new().returned(Some(900)), 10, 4),
        on(AlertBuilder::new().suspended().event_level(37), 9, 5),
    ];
    rows.extend(every_type());
    rows
}

fn every_shape_state() -> State {
    let mut s = loaded(every_shape());
    s.stats = Some(super::render::stats());
    s
}

/// The text of a rendered screen's rows.
fn rows(state: &State, theme: &Theme, w: u16, h: u16) -> Vec<String> {
    let terminal = render(state, theme, w, h);
    let buffer = terminal.backend().buffer();
    (0..h)
        .map(|y| (0..w).map(|x| buffer[(x, y)].symbol()).collect::<String>())
        .collect()
}

#[test]
fn every_type_has_one_tag_with_its_own_letter() {
    for t in AlertType::ALL {
        assert!(
            format::TYPE_TAGS.iter().any(|tag| tag.alert_type == *t),
            "{t} has no tag"
        );
    }
    let mut letters: Vec<char> = format::TYPE_TAGS.iter().map(|t| t.letter).collect();
    letters.sort_unstable();
    letters.dedup();
    assert_eq!(
        letters.len(),
        format::TYPE_TAGS.len(),
        "a letter is used twice"
    );
    // Availability's two directions read differently.
    let suspended = AlertBuilder::new().suspended().stored(1);
    let returned = AlertBuilder::new().returned(Some(60)).stored(2);
    assert_eq!(format::type_tag(&suspended).tag(), "⊘S");
    assert_eq!(format::type_tag(&returned).tag(), "↺R");
    assert_eq!(
        format::type_tag(&returned).change,
        Some(AvailabilityChange::Returned)
    );
    let legend = format::type_legend();
    for tag in format::TYPE_TAGS {
        assert!(legend.contains(&format!("{} {}", tag.tag(), tag.label)));
        assert!(tag.letter.is_ascii_uppercase());
    }
    // It rides on the help overlay's bottom border at 80 columns.
    assert!(legend.chars().count() <= 74, "{legend}");
}

#[test]
fn short_book_names_come_from_one_mapping_with_a_fallback() {
    assert_eq!(format::short_book("sportybet"), "sb");
    assert_eq!(format::short_book("bet9ja"), "b9");
    assert_eq!(format::short_book("betpawa"), "bp");
    assert_eq!(format::short_book("msport"), "ms");
    assert_eq!(format::short_book("x"), "x");
}

#[test]
fn one_column_of_prices_has_one_number_of_decimals() {
    let p = |m| Price::from_milli(m);
    assert_eq!(format::decimals([p(5_340), p(2_000)]), 2);
    assert_eq!(format::decimals([p(5_340), p(5_398)]), 3);
    // Today's code showed `5.34→5.398` in one cell.
    let alert = AlertBuilder::new().prices(5.34, 5.398).stored(1);
    assert_eq!(format::old_new(&alert), "5.340→5.398");
    // In the table, a row that needs no third decimal gets one when another row on screen does.
    let s = every_shape_state();
    for (w, h) in [(80, 24), (120, 40)] {
        let screen = rows(&s, &Theme::mono(), w, h);
        let text = screen.join("\n");
        assert!(text.contains("5.340→5.830"), "{text}");
        assert!(text.contains("2.000→2.100"), "{text}");
        assert!(!text.contains("2.00→"), "{text}");
    }
}

#[test]
fn every_row_says_its_type_at_80x24_and_the_two_disagreements_differ() {
    let s = every_shape_state();
    let screen = rows(&s, &Theme::mono(), 80, 24);
    let table: Vec<&String> = screen.iter().skip(5).take(14).collect();
    for (row, alert) in table.iter().zip(&s.list.rows) {
        let tag = format::type_tag(alert).tag();
        assert!(row.contains(&tag), "{row:?} does not say {tag}");
    }
    // Two disagreements on one outcome: the competitor and its price tell them apart.
    assert!(
        table[0].contains("⇅D") && table[0].contains("sb 1.90↓"),
        "{:?}",
        table[0]
    );
    assert!(
        table[1].contains("⇅D") && table[1].contains("b9 1.95↓"),
        "{:?}",
        table[1]
    );
    assert_ne!(table[0], table[1]);
}

#[test]
fn the_detail_pane_says_just_now_and_lines_up_its_prices() {
    let mut s = every_shape_state();
    let alert = AlertBuilder::new()
        .severity(Severity::Elevated)
        .prices(5.34, 5.398)
        .disagreement("sportybet", 5.40, 5.30)
        .detected_at(now() - Duration::seconds(20))
        .kickoff(now() + Duration::hours(3))
        .stored(42);
    s.detail = Some(Detail {
        alert,
        data: Some(DetailData {
            audit: Vec::new(),
            odds: Vec::new(),
            history: Vec::new(),
            occurrences: Vec::new(),
        }),
        error: None,
    });
    let text = rows(&s, &Theme::mono(), 80, 24).join("\n");
    assert!(text.contains("(just now)"), "{text}");
    assert!(!text.contains("now ago"), "{text}");
    assert!(text.contains("5.340→5.398"), "{text}");
    assert!(text.contains("sportybet 5.400 → 5.300"), "{text}");
}

#[test]
fn book_health_says_just_now_not_now_ago() {
    let mut s = main_state();
    if let Some(p) = &mut s.pipeline {
        p.books[0].last_success = Some(now() - Duration::seconds(10));
        p.books[1].last_success = Some(now() - Duration::minutes(5));
    }
    press(&mut s, 'H');
    let text = rows(&s, &Theme::color(), 120, 40).join("\n");
    assert!(text.contains("ok just now"), "{text}");
    assert!(text.contains("ok 5m ago"), "{text}");
    assert!(text.contains("ok never"), "{text}");
    assert!(!text.contains("now ago"), "{text}");
}

#[test]
fn book_health_asks_for_the_notify_targets_and_shows_a_paused_one_with_its_fix() {
    use crate::service::NotifyTargetStatus;
    use crate::store::TargetState;
    let mut s = main_state();
    let effects = press(&mut s, 'H');
    assert!(
        effects.iter().any(|e| matches!(e, Effect::LoadNotify)),
        "{effects:?}"
    );
    let text = rows(&s, &Theme::color(), 120, 40).join("\n");
    assert!(
        text.contains("Notifications") && text.contains("reading…"),
        "{text}"
    );
    let paused = NotifyTargetStatus {
        name: "desk".into(),
        format: Some("slack".into()),
        url: Some("https://hooks.example.net/…".into()),
        configured: true,
        signed: true,
        state: "paused",
        stored: TargetState {
            name: "desk".into(),
            consecutive_failures: 5,
            paused_at: Some(now() - Duration::minutes(3)),
            next_attempt_at: Some(now() + Duration::minutes(57)),
            last_error: Some("could not connect: Connection refused (os error 111)".into()),
            pending: 12,
            delivered: 40,
            ..TargetState::default()
        },
    };
    update(&mut s, Action::NotifyLoaded(Ok(vec![paused])));
    // At 80 columns the error wraps and the popup grows with it: nothing is cut off.
    let text = rows(&s, &Theme::color(), 80, 30).join("\n");
    assert!(
        text.contains("desk") && text.contains("paused") && text.contains("12 waiting"),
        "{text}"
    );
    assert!(
        text.contains("5 failures in a row: could not connect"),
        "{text}"
    );
    assert!(text.contains("notify resume desk"), "{text}");
}

fn stats_took(ms: u64) -> StatsData {
    StatsData {
        took_ms: ms,
        ..super::render::stats()
    }
}

fn loads_stats(effects: &[Effect]) -> bool {
    effects.iter().any(|e| matches!(e, Effect::LoadStats))
}

fn arrive(s: &mut State, id: i64) -> Vec<Effect> {
    update(
        s,
        Action::Change(Change::Created(
            vec![alert(id, 0, Severity::Critical, Status::New)].into(),
        )),
    )
}

/// A state whose first stats load answered, measured at `ms`.
fn started(ms: u64) -> State {
    let mut s = state();
    let effects = update(&mut s, Action::Start);
    assert!(loads_stats(&effects));
    answer(&mut s, alerts(3), false);
    // At most one stats query in flight: a change during the load asks for none.
    assert!(!loads_stats(&arrive(&mut s, 90)));
    let after = update(&mut s, Action::StatsLoaded(Ok(stats_took(ms))));
    // The change that arrived during the load is followed as soon as the cost allows.
    assert_eq!(loads_stats(&after), ms < 100);
    if !after.is_empty() {
        update(&mut s, Action::StatsLoaded(Ok(stats_took(ms))));
    }
    s
}

#[test]
fn cheap_stats_follow_every_change_at_once() {
    let mut s = started(4);
    assert!(loads_stats(&arrive(&mut s, 91)));
    // One in flight: the next change waits for it, then is followed.
    assert!(!loads_stats(&arrive(&mut s, 92)));
    let after = update(&mut s, Action::StatsLoaded(Ok(stats_took(4))));
    assert!(loads_stats(&after));
}

#[test]
fn expensive_stats_are_throttled_in_proportion_to_their_cost() {
    // 1.5 s a load: at most one every 15 s.
    let mut s = started(1_500);
    let t = s.now;
    assert!(!loads_stats(&arrive(&mut s, 91)));
    assert!(!loads_stats(&update(
        &mut s,
        Action::Tick(t + Duration::seconds(14))
    )));
    assert!(loads_stats(&update(
        &mut s,
        Action::Tick(t + Duration::seconds(15))
    )));
    // Nothing changed since: no load, however long.
    update(&mut s, Action::StatsLoaded(Ok(stats_took(1_500))));
    assert!(!loads_stats(&update(
        &mut s,
        Action::Tick(t + Duration::seconds(90))
    )));
}

#[test]
fn the_throttle_is_capped_at_thirty_seconds() {
    use crate::tui::update::stats::stats_every;
    assert_eq!(stats_every(None), Duration::zero());
    assert_eq!(stats_every(Some(99)), Duration::zero());
    assert_eq!(stats_every(Some(100)), Duration::seconds(1));
    assert_eq!(stats_every(Some(20_000)), Duration::seconds(30));
}

#[test]
fn after_a_change_stats_and_tab_counts_are_both_asked_for() {
    // The strip and the tabs agree once both answer: a change asks for both (the counts at
    // most every 2 s, the stats at once when cheap).
    let mut s = started(4);
    s.now += Duration::seconds(5);
    let effects = arrive(&mut s, 93);
    assert!(loads_stats(&effects));
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::LoadCounts { .. })),
        "{effects:?}"
    );
}

#[test]
fn table_with_every_type_snapshots() {
    let s = every_shape_state();
    for (w, h) in [(80, 24), (120, 40)] {
        for (name, theme) in [("color", Theme::color()), ("mono", Theme::mono())] {
            let terminal = render(&s, &theme, w, h);
            insta::assert_snapshot!(format!("every_type_{name}_{w}x{h}"), terminal.backend());
        }
    }
}

/// The strip and the tabs count the same alerts by construction (see `view::stats`): on a real
/// store filled by `demo-data`, the stats' per-status totals are the tab counts of an
/// unfiltered screen, and the strip's severities sum to the All tab.
#[tokio::test]
async fn the_strip_and_the_tabs_count_the_same_alerts() {
    use crate::demo::{DemoOptions, load};
    use crate::domain::{AlertSort, Page};
    use crate::service::AlertService;
    use crate::store::Store;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("agree.db").display());
    let store = Store::open(&url, 2).await.unwrap();
    let options = DemoOptions {
        alerts: 600,
        events: 12,
        seed: 5,
    };
    load(&store, &options, |_| {}).await.unwrap();
    let service = AlertService::new(store, "ada");
    let stats = service.stats().await.unwrap();
    let screen = state();
    let tabs = service
        .list(
            &screen.counts_filter(),
            AlertSort::Detected,
            &Page::first(1),
        )
        .await
        .unwrap()
        .counts;
    assert_eq!(stats.by_status["new"], tabs.new);
    assert_eq!(stats.by_status["acknowledged"], tabs.acknowledged);
    assert_eq!(stats.by_status["past"], tabs.past);
    let severities: u64 = stats.by_severity.values().sum();
    assert_eq!(severities, tabs.total_of(&[]));
    assert_eq!(stats.total, 600);
}

/// Regression: under a filter the tabs count the filter's alerts while the strip counts the
/// whole book ("All 50,529" beside "CRIT 460,785" on the live screen), with nothing saying so.
#[test]
fn a_filtered_screen_says_the_stats_are_the_whole_books() {
    let rows = |s: &State, w: u16, h: u16| -> Vec<String> {
        let terminal = render(s, &Theme::color(), w, h);
        let buffer = terminal.backend().buffer().clone();
        (0..h)
            .map(|y| (0..w).map(|x| buffer[(x, y)].symbol()).collect::<String>())
            .collect()
    };
    let mut s = main_state();
    assert!(!rows(&s, 80, 24)[3].contains("all alerts"));
    s.alert_type = Some(AlertType::OffMarket);
    assert!(
        rows(&s, 80, 24)[3].starts_with(" all alerts: CRIT"),
        "{}",
        rows(&s, 80, 24)[3]
    );
    assert!(rows(&s, 120, 40).iter().any(|r| r.contains(" All alerts ")));
    s.alert_type = None;
    s.event_text = Some("arsenal".into());
    assert!(rows(&s, 80, 24)[3].starts_with(" all alerts: CRIT"));
}

/// Regression: the 80-column market column was seven wide, so `AH -1.25` read `AH -1.2` (another
/// line) and `AH -0.25` read `AH -0.2`; seen on the live screen.
#[test]
fn quarter_lines_are_never_cut_to_another_line_at_80_columns() {
    let rows_of = |lines: &[f64]| -> Vec<Alert> {
        lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                AlertBuilder::new()
                    .market("3774", "Asian Handicap | Full Time")
                    .line(*line)
                    .outcome(Some("2"))
                    .prices(2.39, 2.34)
                    .detected_at(now() - Duration::minutes(i as i64))
                    .kickoff(now() + Duration::hours(5))
                    .stored(i as i64 + 1)
            })
            .collect()
    };
    let s = loaded(rows_of(&[-1.25, -0.25, 0.75]));
    let screen = rows(&s, &Theme::mono(), 80, 24).join("\n");
    for line in ["AH -1.25", "AH -0.25", "AH 0.75"] {
        assert!(screen.contains(line), "{line} is cut:\n{screen}");
    }
}

/// Regression: seen live at 80x24 with the pipeline running. The window is the list's first 100
/// rows; arrivals above the selected alert push it down, the view follows it, and near the
/// window's end the screen ran out of rows (the last three table lines blank).
#[test]
fn arrivals_above_a_followed_selection_never_leave_blank_rows_at_the_window_end() {
    let mut s = loaded(alerts(100));
    assert_eq!(s.list.rows[s.list.selected].id, 100);
    // 90 alerts arrive above it: the window now holds ids 190..=91, the selected one 90th.
    update(&mut s, Action::Change(Change::Reload));
    let mut rows = alerts(190);
    rows.truncate(100);
    answer(&mut s, rows, true);
    assert_eq!(
        s.list.rows[s.list.selected].id, 100,
        "the selection is kept"
    );
    assert!(
        s.list.offset + s.table_rows() <= s.list.rows.len(),
        "offset {} leaves the screen short of rows",
        s.list.offset
    );
    let screen = rows_of_screen(&s);
    let table = &screen[5..23];
    assert!(
        table.iter().all(|r| !r.trim().is_empty()),
        "blank table rows:\n{}",
        screen.join("\n")
    );
}

fn rows_of_screen(s: &State) -> Vec<String> {
    rows(s, &Theme::mono(), 80, 24)
}

/// The empty table under `:event` names the filter (it said "everything is acknowledged"):
/// every "is the screen filtered?" question is `State::is_filtered`.
#[test]
fn an_empty_event_text_filter_says_the_filters_match_nothing() {
    let mut s = loaded(Vec::new());
    s.event_text = Some("nowhere".into());
    let screen = rows(&s, &Theme::mono(), 80, 24).join("\n");
    assert!(screen.contains("No alerts match these filters"), "{screen}");
}
