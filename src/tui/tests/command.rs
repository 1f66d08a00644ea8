//! The `:` command line: the parser and completion (pure), the keys and commands through
//! `update`, saved views, and the prompt with its completions on screen.

use chrono::Duration;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::fixtures::*;
use super::render::{main_state, stats};
use crate::domain::{
    AlertSort, AlertType, SavedView, Severity, SilenceEnd, SilencedFilter, Status, ViewSpec,
};
use crate::tui::action::{Action, Effect};
use crate::tui::command::{
    COMMANDS, Cmd, CommandError, CommandLine, Context, complete, parse, shown_view,
};
use crate::tui::silence::Scope;
use crate::tui::state::{Overlay, State, Tab};
use crate::tui::theme::Theme;
use crate::tui::update::update;

// ---- parser ----

#[test]
fn every_command_parses_to_what_it_does() {
    let cases = [
        ("type off_market", Cmd::Type(Some(AlertType::OffMarket))),
        ("type all", Cmd::Type(None)),
        ("book sportybet", Cmd::Book(Some("sportybet".into()))),
        ("book All", Cmd::Book(None)),
        ("severity critical", Cmd::Severity(Some(Severity::Critical))),
        ("severity all", Cmd::Severity(None)),
        ("event arsenal", Cmd::Event(Some("arsenal".into()))),
        (
            "event  real   madrid ",
            Cmd::Event(Some("real   madrid".into())),
        ),
        ("event all", Cmd::Event(None)),
        ("sort change", Cmd::Sort(AlertSort::Change)),
        ("view live", Cmd::View("live".into())),
        ("view save live", Cmd::ViewSave("live".into())),
        ("view delete live", Cmd::ViewDelete("live".into())),
        ("views", Cmd::Views),
        ("tab new", Cmd::Tab(Tab::New)),
        ("tab acknowledged", Cmd::Tab(Tab::Acknowledged)),
        ("tab past", Cmd::Tab(Tab::Past)),
        ("tab all", Cmd::Tab(Tab::All)),
        ("clear", Cmd::Clear),
        ("market", Cmd::Market),
        ("help", Cmd::Help),
        ("q", Cmd::Quit),
        ("quit", Cmd::Quit),
    ];
    for (line, want) in cases {
        assert_eq!(parse(line), Ok(want), "{line}");
    }
}

#[test]
fn unique_prefixes_of_commands_and_closed_values_are_enough() {
    assert_eq!(
        parse("sev crit"),
        Ok(Cmd::Severity(Some(Severity::Critical)))
    );
    assert_eq!(parse("ty off"), Ok(Cmd::Type(Some(AlertType::OffMarket))));
    assert_eq!(parse("tab ack"), Ok(Cmd::Tab(Tab::Acknowledged)));
    // `view` is a command of its own, not an unfinished `views`.
    assert_eq!(parse("view x"), Ok(Cmd::View("x".into())));
    assert_eq!(
        parse("s x").unwrap_err().to_string(),
        "ambiguous command s: severity, sort, silence"
    );
}

#[test]
fn silence_takes_an_optional_scope_a_duration_and_the_rest_as_reason() {
    assert_eq!(
        parse("silence 2h  suspended in-play "),
        Ok(Cmd::Silence {
            scope: Scope::Outcome,
            end: SilenceEnd::For(Duration::hours(2)),
            reason: "suspended in-play".into(),
        })
    );
    assert_eq!(
        parse("silence market 1h30m"),
        Ok(Cmd::Silence {
            scope: Scope::Market,
            end: SilenceEnd::For(Duration::minutes(90)),
            reason: String::new(),
        })
    );
    assert_eq!(
        parse("silence book kickoff feed lagging"),
        Ok(Cmd::Silence {
            scope: Scope::Book,
            end: SilenceEnd::UntilKickoff,
            reason: "feed lagging".into(),
        })
    );
}

#[test]
fn bad_commands_name_what_is_allowed() {
    let says = |line: &str| parse(line).unwrap_err().to_string();
    assert_eq!(
        says("tyep x"),
        format!("unknown command tyep: one of {}", COMMANDS.join(", "))
    );
    assert!(says("tyep x").starts_with("unknown command tyep: one of type, book, "));
    assert_eq!(
        says("type foo"),
        "unknown type foo: one of price_change, direction_disagreement, availability, \
         market_move, off_market, margin, all"
    );
    assert_eq!(
        says("severity high"),
        "unknown severity high: one of critical, elevated, warning, all"
    );
    assert_eq!(
        says("sort oldest"),
        "unknown sort key oldest: one of detected, severity, kickoff, change"
    );
    assert_eq!(
        says("tab open"),
        "unknown tab open: one of new, acknowledged, past, all"
    );
    assert!(says("book sporty/bet").contains("a slug of letters, digits, - and _"));
    assert!(says("type").starts_with(":type needs a type: one of price_change"));
    assert!(says("event").contains("a team, tournament or country"));
    assert!(says("view").contains("save NAME, or delete NAME"));
    assert_eq!(
        says("type off_market margin"),
        ":type takes no more words: remove \"margin\""
    );
    assert!(says("clear now").contains("remove \"now\""));
    assert!(says("").starts_with("type a command: one of type"));
    assert_eq!(parse(&"x".repeat(601)), Err(CommandError::TooLong(601)));
}

#[test]
fn silence_without_a_duration_lists_the_duration_forms() {
    for line in ["silence", "silence market"] {
        let e = parse(line).unwrap_err().to_string();
        assert!(e.contains(crate::domain::DURATION_FORMS), "{e}");
        assert!(e.contains("kickoff"), "{e}");
    }
    let e = parse("silence soon").unwrap_err().to_string();
    assert!(e.starts_with(":silence: invalid duration \"soon\""), "{e}");
    assert!(e.contains(crate::domain::DURATION_FORMS), "{e}");
}

// ---- completion ----

fn ctx_names() -> (Vec<String>, Vec<String>, Vec<String>) {
    (
        vec!["betpawa".into(), "sportybet".into(), "bet9ja".into()],
        vec!["crit-only".into(), "live".into()],
        vec![
            "Arsenal".into(),
            "Chelsea".into(),
            "Premier League".into(),
            "Real Madrid".into(),
        ],
    )
}

fn candidates(line: &str) -> Vec<String> {
    let (books, views, events) = ctx_names();
    let ctx = Context {
        books: &books,
        views: &views,
        events: &events,
    };
    complete(line, &ctx).candidates
}

#[test]
fn completion_offers_commands_then_each_commands_values() {
    assert_eq!(candidates(""), COMMANDS);
    assert_eq!(candidates("s"), ["severity", "sort", "silence"]);
    assert_eq!(candidates("view"), ["view", "views"]);
    assert_eq!(candidates("type o"), ["off_market"]);
    assert_eq!(candidates("type ").len(), AlertType::ALL.len() + 1);
    assert_eq!(candidates("book bet"), ["betpawa", "bet9ja"]);
    assert_eq!(
        candidates("book "),
        ["betpawa", "sportybet", "bet9ja", "all"]
    );
    assert_eq!(
        candidates("severity "),
        ["critical", "elevated", "warning", "all"]
    );
    assert_eq!(candidates("sort k"), ["kickoff"]);
    assert_eq!(candidates("tab p"), ["past"]);
    assert_eq!(candidates("view "), ["save", "delete", "crit-only", "live"]);
    assert_eq!(candidates("view delete l"), ["live"]);
    assert_eq!(
        candidates("silence "),
        [
            "outcome", "market", "event", "book", "30m", "2h", "1d", "kickoff"
        ]
    );
    assert_eq!(
        candidates("silence market "),
        ["30m", "2h", "1d", "kickoff"]
    );
    // A reason is free text: nothing to offer.
    assert!(candidates("silence 2h sus").is_empty());
    assert!(candidates("clear ").is_empty());
    assert!(candidates("tyep ").is_empty());
}

#[test]
fn event_completion_offers_names_starting_then_containing_the_text() {
    assert_eq!(candidates("event ar"), ["Arsenal"]);
    assert_eq!(
        candidates("event e"),
        ["Arsenal", "Chelsea", "Premier League", "Real Madrid"]
    );
    assert_eq!(candidates("event real m"), ["Real Madrid"]);
    let (books, views, events) = ctx_names();
    let ctx = Context {
        books: &books,
        views: &views,
        events: &events,
    };
    // The whole text after `:event` is replaced, spaces included.
    assert_eq!(complete("event real m", &ctx).start, 6);
}

#[test]
fn tab_takes_a_single_candidate_and_cycles_through_several() {
    let (books, views, events) = ctx_names();
    let ctx = Context {
        books: &books,
        views: &views,
        events: &events,
    };
    let mut line = CommandLine {
        text: "ty".into(),
        ..Default::default()
    };
    line.tab(&ctx, true);
    assert_eq!(line.text, "type ");
    assert!(line.completing.is_none());
    line.text.push('m');
    line.tab(&ctx, true);
    assert_eq!(line.text, "type market_move");
    line.tab(&ctx, true);
    assert_eq!(line.text, "type margin");
    line.tab(&ctx, true);
    assert_eq!(line.text, "type market_move", "wraps around");
    line.tab(&ctx, false);
    assert_eq!(line.text, "type margin", "Shift-Tab goes back");
    line.edited();
    assert!(line.completing.is_none(), "typing ends the cycle");
}

// ---- through update ----

fn ctrl(c: char) -> Action {
    Action::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

/// Opens the command line and types `text`.
fn type_command(s: &mut State, text: &str) {
    press(s, ':');
    for c in text.chars() {
        update(s, key(KeyCode::Char(c)));
    }
}

/// Types `text` after `:` and presses Enter.
fn run(s: &mut State, text: &str) -> Vec<Effect> {
    type_command(s, text);
    update(s, key(KeyCode::Enter))
}

fn line(s: &State) -> &CommandLine {
    match &s.overlay {
        Some(Overlay::CommandLine(line)) => line,
        other => panic!("no command line open: {other:?}"),
    }
}

fn filter_of(effects: &[Effect]) -> crate::domain::AlertFilter {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::LoadPage { query, .. } => Some(query.filter.clone()),
            _ => None,
        })
        .expect("a page query")
}

#[test]
fn colon_opens_the_prompt_and_esc_cancels_without_running() {
    let mut s = loaded(alerts(5));
    type_command(&mut s, "type margin");
    assert_eq!(line(&s).text, "type margin");
    let effects = update(&mut s, key(KeyCode::Esc));
    assert!(effects.is_empty());
    assert!(s.overlay.is_none());
    assert_eq!(s.alert_type, None);
    assert!(
        s.command_history.is_empty(),
        "a cancelled line is not remembered"
    );
}

#[test]
fn filter_commands_apply_through_the_same_reload_as_the_keys() {
    let mut s = loaded(alerts(5));
    let effects = run(&mut s, "type off_market");
    assert!(s.overlay.is_none());
    assert_eq!(s.alert_type, Some(AlertType::OffMarket));
    assert_eq!(filter_of(&effects).alert_types, [AlertType::OffMarket]);
    assert_eq!(s.list.selected, 0, "a new filter starts at the top");

    let effects = run(&mut s, "book sportybet");
    assert_eq!(filter_of(&effects).bookmaker.as_deref(), Some("sportybet"));
    let effects = run(&mut s, "severity critical");
    assert_eq!(filter_of(&effects).severities, [Severity::Critical]);
    let effects = run(&mut s, "event arsenal");
    assert_eq!(filter_of(&effects).event_text.as_deref(), Some("arsenal"));
    let effects = run(&mut s, "sort change");
    assert!(
        effects.iter().any(
            |e| matches!(e, Effect::LoadPage { query, .. } if query.sort == AlertSort::Change)
        )
    );
    let effects = run(&mut s, "tab past");
    assert_eq!(filter_of(&effects).statuses, [Status::Past]);

    let effects = run(&mut s, "clear");
    let f = filter_of(&effects);
    assert!(f.alert_types.is_empty() && f.severities.is_empty());
    assert_eq!((f.bookmaker, f.event_text), (None, None));
    assert_eq!(s.sort, AlertSort::Change, ":clear leaves the sort");
}

#[test]
fn a_refused_command_keeps_its_text_and_shows_why() {
    let mut s = loaded(alerts(5));
    let effects = run(&mut s, "type foo");
    assert!(effects.is_empty());
    let l = line(&s);
    assert_eq!(l.text, "type foo", "kept to be fixed");
    assert!(
        l.error
            .as_deref()
            .unwrap()
            .starts_with("unknown type foo: one of")
    );
    // Fixing it clears the error and runs.
    update(&mut s, ctrl('w'));
    assert_eq!(line(&s).text, "type ");
    assert_eq!(line(&s).error, None);
    for c in "margin".chars() {
        update(&mut s, key(KeyCode::Char(c)));
    }
    update(&mut s, key(KeyCode::Enter));
    assert!(s.overlay.is_none());
    assert_eq!(s.alert_type, Some(AlertType::Margin));
}

#[test]
fn up_and_down_walk_the_sessions_commands() {
    let mut s = loaded(alerts(5));
    run(&mut s, "type margin");
    run(&mut s, "sort change");
    run(&mut s, "sort change");
    assert_eq!(s.command_history, ["type margin", "sort change"]);
    type_command(&mut s, "sev");
    update(&mut s, key(KeyCode::Up));
    assert_eq!(line(&s).text, "sort change");
    update(&mut s, key(KeyCode::Up));
    assert_eq!(line(&s).text, "type margin");
    update(&mut s, key(KeyCode::Up));
    assert_eq!(line(&s).text, "type margin", "stops at the oldest");
    update(&mut s, key(KeyCode::Down));
    update(&mut s, key(KeyCode::Down));
    assert_eq!(line(&s).text, "sev", "back to what was being typed");
}

#[test]
fn tab_in_the_prompt_completes_from_the_screen_books_and_rows() {
    let mut s = loaded(alerts(5));
    type_command(&mut s, "book sp");
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(line(&s).text, "book sportybet ");
    update(&mut s, ctrl('u'));
    for c in "event ch".chars() {
        update(&mut s, key(KeyCode::Char(c)));
    }
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(line(&s).text, "event Chelsea ");
}

#[test]
fn event_completion_in_the_grouped_view_offers_teams_not_the_home_v_away_phrase() {
    let mut s = loaded(Vec::new());
    s.groups.groups = vec![crate::domain::EventGroup {
        event_id: 9,
        event_name: "Real Madrid v Sevilla".into(),
        kickoff: now(),
        alerts: 3,
        worst: Severity::Critical,
    }];
    type_command(&mut s, "event se");
    update(&mut s, key(KeyCode::Tab));
    assert_eq!(line(&s).text, "event Sevilla ");
}

#[test]
fn backspace_on_an_empty_line_and_ctrl_c_close_the_prompt() {
    let mut s = loaded(alerts(2));
    type_command(&mut s, "t");
    update(&mut s, key(KeyCode::Backspace));
    assert_eq!(line(&s).text, "");
    update(&mut s, key(KeyCode::Backspace));
    assert!(s.overlay.is_none());
    type_command(&mut s, "type margin");
    update(&mut s, ctrl('c'));
    assert!(s.overlay.is_none());
    assert_eq!(s.alert_type, None);
    assert!(!s.quitting, "Ctrl-C leaves the prompt, not the app");
}

#[test]
fn silence_command_silences_the_selected_rows_outcome_with_its_reason() {
    let mut s = loaded(alerts(5));
    let selected = s.selected_alert().unwrap().clone();
    let effects = run(&mut s, "silence 2h suspended in-play");
    let [Effect::CreateSilence(silence)] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(silence.matchers, Scope::Outcome.matchers(&selected));
    assert_eq!(silence.end, SilenceEnd::For(Duration::hours(2)));
    assert_eq!(silence.reason, "suspended in-play");

    let mut empty = loaded(Vec::new());
    let effects = run(&mut empty, "silence 2h");
    assert!(effects.is_empty());
    assert!(
        line(&empty)
            .error
            .as_deref()
            .unwrap()
            .contains("select a row")
    );
}

// ---- saved views ----

fn view(name: &str, spec: ViewSpec) -> SavedView {
    SavedView {
        user: "ada".into(),
        name: name.into(),
        spec,
        updated_at: now(),
    }
}

fn crit_spec() -> ViewSpec {
    ViewSpec {
        statuses: vec![Status::New],
        severity: Some(Severity::Critical),
        book: Some("sportybet".into()),
        sort: AlertSort::Change,
        ..Default::default()
    }
}

fn past_spec() -> ViewSpec {
    ViewSpec {
        statuses: vec![Status::Past],
        alert_type: Some(AlertType::Margin),
        event_text: Some("arsenal".into()),
        grouped: true,
        show_silenced: true,
        ..Default::default()
    }
}

fn with_views(rows: Vec<crate::domain::Alert>) -> State {
    let mut s = loaded(rows);
    update(
        &mut s,
        Action::ViewsLoaded(Ok(vec![
            view("crit", crit_spec()),
            view("past", past_spec()),
        ])),
    );
    s
}

#[test]
fn views_load_at_start() {
    let mut s = state();
    let effects = update(&mut s, Action::Start);
    assert!(effects.contains(&Effect::LoadViews));
}

#[test]
fn view_save_sends_the_screens_filter_sort_and_layout() {
    let mut s = loaded(alerts(5));
    run(&mut s, "severity critical");
    run(&mut s, "event arsenal");
    press(&mut s, 'v');
    idle(&mut s);
    let effects = run(&mut s, "view save arsenal-crit");
    let [Effect::SaveView { name, spec }] = effects.as_slice() else {
        panic!("{effects:?}");
    };
    assert_eq!(name, "arsenal-crit");
    assert_eq!(spec.severity, Some(Severity::Critical));
    assert_eq!(spec.event_text.as_deref(), Some("arsenal"));
    assert_eq!(spec.statuses, [Status::New]);
    assert!(spec.grouped);

    let saved = view(name, spec.clone());
    update(&mut s, Action::ViewSaved(Ok(saved)));
    assert_eq!(s.views.len(), 1);
    assert_eq!(shown_view(&s), Some("arsenal-crit"));
    assert!(
        s.message
            .as_ref()
            .unwrap()
            .text
            .starts_with("saved view arsenal-crit")
    );

    update(&mut s, Action::ViewSaved(Err("invalid view name …".into())));
    let m = s.message.as_ref().unwrap();
    assert!(m.error && m.text.contains("cannot save the view"));
}

#[test]
fn view_by_name_applies_its_filters_sort_and_layout() {
    let mut s = with_views(alerts(5));
    let effects = run(&mut s, "view past");
    let f = filter_of(&effects);
    assert_eq!(f.statuses, [Status::Past]);
    assert_eq!(f.alert_types, [AlertType::Margin]);
    assert_eq!(f.event_text.as_deref(), Some("arsenal"));
    assert_eq!(f.silenced, SilencedFilter::Include);
    assert!(s.grouped);
    assert_eq!(s.tab, Tab::Past);
    assert_eq!(shown_view(&s), Some("past"));
}

#[test]
fn the_view_name_shows_until_a_filter_changes() {
    let mut s = with_views(alerts(5));
    run(&mut s, "view crit");
    idle(&mut s);
    assert_eq!(shown_view(&s), Some("crit"));
    press(&mut s, 't');
    assert_eq!(shown_view(&s), None, "the type filter changed");
}

#[test]
fn next_view_key_cycles_the_views_and_wraps() {
    let mut s = with_views(alerts(5));
    press(&mut s, 'V');
    assert_eq!(s.view.as_deref(), Some("crit"));
    assert_eq!(s.severity, Some(Severity::Critical));
    press(&mut s, 'V');
    assert_eq!(s.view.as_deref(), Some("past"));
    assert_eq!(s.severity, None);
    press(&mut s, 'V');
    assert_eq!(s.view.as_deref(), Some("crit"), "wraps to the first");

    let mut none = loaded(alerts(2));
    assert!(press(&mut none, 'V').is_empty());
    assert!(
        none.message
            .as_ref()
            .unwrap()
            .text
            .contains(":view save NAME")
    );
}

#[test]
fn an_unknown_view_lists_the_users_views() {
    let mut s = with_views(alerts(5));
    assert!(run(&mut s, "view lve").is_empty());
    assert_eq!(
        line(&s).error.as_deref(),
        Some("unknown view lve: one of crit, past")
    );
    let mut none = loaded(alerts(2));
    run(&mut none, "view x");
    assert!(
        line(&none)
            .error
            .as_deref()
            .unwrap()
            .contains("no saved views yet")
    );
}

#[test]
fn view_delete_asks_the_service_and_forgets_the_view() {
    let mut s = with_views(alerts(5));
    run(&mut s, "view crit");
    let effects = run(&mut s, "view delete crit");
    assert_eq!(effects, [Effect::DeleteView("crit".into())]);
    update(
        &mut s,
        Action::ViewDeleted {
            name: "crit".into(),
            result: Ok(true),
        },
    );
    assert_eq!(s.views.len(), 1);
    assert_eq!(s.view, None);
    update(
        &mut s,
        Action::ViewDeleted {
            name: "gone".into(),
            result: Ok(false),
        },
    );
    let m = s.message.as_ref().unwrap();
    assert!(
        m.error && m.text.contains("unknown view gone: one of past"),
        "{}",
        m.text
    );
}

#[test]
fn views_command_lists_them_in_the_footer() {
    let mut s = with_views(alerts(5));
    run(&mut s, "views");
    assert_eq!(
        s.message.as_ref().unwrap().text,
        "views: crit, past (V next, :view NAME applies)"
    );
}

// ---- on screen ----

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

fn snapshot_all(name: &str, state: &State) {
    for (w, h) in SIZES {
        let terminal = render(state, &Theme::color(), w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
    }
    let terminal = render(state, &Theme::mono(), 80, 24);
    insta::assert_snapshot!(format!("{name}_no_color_80x24"), terminal.backend());
}

#[test]
fn snapshot_command_line_with_type_completions() {
    let mut s = main_state();
    s.stats = Some(stats());
    type_command(&mut s, "type m");
    update(&mut s, key(KeyCode::Tab));
    update(&mut s, key(KeyCode::Tab));
    snapshot_all("command_type_completions", &s);
}

#[test]
fn snapshot_command_line_with_command_completions() {
    let mut s = main_state();
    type_command(&mut s, "");
    update(&mut s, key(KeyCode::Tab));
    snapshot_all("command_all_completions", &s);
}

#[test]
fn snapshot_a_refused_command() {
    let mut s = main_state();
    run(&mut s, "tyep off_market");
    snapshot_all("command_refused", &s);
}

#[test]
fn snapshot_the_tab_line_with_a_view_and_an_event_filter() {
    let mut s = with_views(alerts(12));
    run(&mut s, "view crit");
    run(&mut s, "event arsenal");
    idle(&mut s);
    let terminal = render(&s, &Theme::mono(), 120, 40);
    let screen = format!("{}", terminal.backend());
    assert!(screen.contains("event~arsenal"), "{screen}");
    assert!(
        !screen.contains("view:crit"),
        "the event filter changed the view"
    );
    run(&mut s, "event all");
    idle(&mut s);
    let terminal = render(&s, &Theme::mono(), 120, 40);
    assert!(format!("{}", terminal.backend()).contains("view:crit"));
}

// ---- review fixes ----

#[test]
fn ctrl_w_cuts_after_a_multi_byte_space_without_panicking() {
    // NBSP, ideographic space, em space, narrow NBSP: 2 or 3 bytes each.
    for space in ['\u{a0}', '\u{3000}', '\u{2003}', '\u{202f}'] {
        let mut s = loaded(alerts(2));
        type_command(&mut s, &format!("event real{space}madrid"));
        update(&mut s, ctrl('w'));
        assert_eq!(
            line(&s).text,
            format!("event real{space}"),
            "U+{:04X}",
            space as u32
        );
        update(&mut s, ctrl('w'));
        assert_eq!(line(&s).text, "event ");
    }
}

/// Runs `text` and expects it refused with the prompt open, its text kept, naming `says`.
fn refused_in_prompt(s: &mut State, text: &str, says: &str) {
    let effects = run(s, text);
    assert!(effects.is_empty(), "{text}: {effects:?}");
    let l = line(s);
    assert_eq!(l.text, text, "kept to be fixed");
    let error = l.error.as_deref().unwrap_or_default();
    assert!(error.contains(says), "{text}: {error}");
}

#[test]
fn commands_the_service_would_refuse_keep_the_prompt_open_with_the_reason() {
    let mut s = loaded(alerts(3));
    let long_name = "x".repeat(41);
    refused_in_prompt(
        &mut s,
        &format!("view save {long_name}"),
        "invalid view name of 41 characters: a name of 1 to 40 characters",
    );
    update(&mut s, key(KeyCode::Esc));
    refused_in_prompt(
        &mut s,
        &format!("view delete {long_name}"),
        "invalid view name of 41 characters",
    );
    update(&mut s, key(KeyCode::Esc));
    refused_in_prompt(
        &mut s,
        &format!("silence 2h {}", "r".repeat(501)),
        "invalid reason of 501 characters: at most 500 characters",
    );
    update(&mut s, key(KeyCode::Esc));
    refused_in_prompt(
        &mut s,
        &format!("event {}", "e".repeat(201)),
        "invalid event filter of 201 characters: at most 200 characters",
    );
    update(&mut s, key(KeyCode::Esc));
    refused_in_prompt(
        &mut s,
        "event real\u{1}madrid",
        "event filter holding the control character U+0001",
    );
    assert_eq!(s.event_text, None, "the refused filter is not applied");
    assert!(
        s.command_history.is_empty(),
        "refused lines are not remembered"
    );

    // At the limits they run.
    update(&mut s, key(KeyCode::Esc));
    let effects = run(&mut s, &format!("silence 2h {}", "r".repeat(500)));
    assert!(matches!(effects.as_slice(), [Effect::CreateSilence(_)]));
    let effects = run(&mut s, &format!("view save {}", "x".repeat(40)));
    assert!(matches!(effects.as_slice(), [Effect::SaveView { .. }]));
}

#[test]
fn the_subcommands_of_view_cannot_be_saved_as_names() {
    let mut s = loaded(alerts(3));
    for name in crate::service::RESERVED_VIEW_NAMES {
        // The parser reads each reserved word as a subcommand, never as a view to apply.
        assert!(
            !matches!(parse(&format!("view {name}")), Ok(Cmd::View(_))),
            "{name}"
        );
        refused_in_prompt(
            &mut s,
            &format!("view save {name}"),
            "a name other than save and delete",
        );
        update(&mut s, key(KeyCode::Esc));
    }
    // A view saved under such a name before can still be deleted.
    let effects = run(&mut s, "view delete save");
    assert_eq!(effects, [Effect::DeleteView("save".into())]);
}

#[test]
fn help_shows_a_default_whose_key_the_user_took_as_unbound() {
    use crate::config::{Bindings, Config};
    use crate::tui::keymap::Keymap;
    let keys = Config::defaults().ui.keys;
    let mut keys = keys.clone();
    keys.insert("mark".into(), vec!["m".into()]);
    let bindings = Bindings::from_layers(&keys, |c| c == "mark").unwrap();
    let mut s = main_state();
    s.keymap = std::sync::Arc::new(Keymap::from(&bindings));
    assert_eq!(s.keymap.keys_for(crate::tui::keymap::Command::Market), "");
    s.overlay = Some(Overlay::Help);
    let text = format!("{:?}", render(&s, &Theme::color(), 100, 40).backend());
    assert!(text.contains("unbound market screen"), "{text}");
    assert!(text.contains("m mark / unmark"), "{text}");
    // The footer and the view messages cope with an unbound key too.
    s.overlay = None;
    render(&s, &Theme::color(), 80, 24);
}
