//! The header's team line: read every 5 s, one read at a time, shown in full or short, marked
//! when unhealthy, `team: ?` after a failed read. Snapshots at 80x24 and 120x40, and without
//! colour.

use chrono::Duration;
use ratatui::style::{Color, Modifier};

use super::fixtures::*;
use super::render::main_state;
use crate::domain::TeamSummary;
use crate::tui::action::{Action, Effect};
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::update::update;

fn summary(scrapers: usize, shards: u16, unowned: Vec<u16>) -> TeamSummary {
    TeamSummary {
        scrapers,
        owned: shards - unowned.len() as u16,
        shards,
        unowned,
    }
}

fn healthy() -> TeamSummary {
    summary(3, 16, vec![])
}

fn unhealthy() -> TeamSummary {
    summary(2, 16, vec![2, 5, 8, 11, 14])
}

fn with_team(mut s: State, result: Result<TeamSummary, String>) -> State {
    s.team.in_flight = true;
    update(&mut s, Action::TeamLoaded(result));
    s
}

/// An attached UI (`oddswatch tui`): no pipeline in the process.
fn attached(result: Result<TeamSummary, String>) -> State {
    let mut s = loaded(alerts(30));
    s.stats = Some(super::render::stats());
    with_team(s, result)
}

fn header_line(state: &State, theme: &Theme, width: u16) -> String {
    let terminal = render(state, theme, width, 24);
    let buffer = terminal.backend().buffer();
    (0..width)
        .map(|x| buffer[(x, 0)].symbol().to_string())
        .collect::<String>()
        .trim_end()
        .to_string()
}

fn snapshot_sizes(name: &str, state: &State) {
    for (w, h) in [(80, 24), (120, 40)] {
        let terminal = render(state, &Theme::color(), w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
    }
    let terminal = render(state, &Theme::mono(), 80, 24);
    insta::assert_snapshot!(format!("{name}_no_color_80x24"), terminal.backend());
}

#[test]
fn attached_ui_shows_the_healthy_team() {
    let s = attached(Ok(healthy()));
    snapshot_sizes("team_attached_healthy", &s);
    let line = header_line(&s, &Theme::color(), 80);
    assert!(
        line.contains("attached  3 scrapers · 16/16 shards  sqlite:"),
        "{line}"
    );
}

#[test]
fn attached_ui_marks_unowned_shards_in_the_down_colour() {
    let s = attached(Ok(unhealthy()));
    snapshot_sizes("team_attached_unhealthy", &s);
    let line = header_line(&s, &Theme::color(), 120);
    assert!(
        line.contains("⚠ 2 scrapers · 11/16 shards · 5 unowned"),
        "{line}"
    );
    let terminal = render(&s, &Theme::color(), 120, 24);
    let buffer = terminal.backend().buffer();
    let x = line.chars().position(|c| c == '⚠').unwrap() as u16;
    assert_eq!(buffer[(x + 2, 0)].fg, Color::Red, "unhealthy is red");
    let mono = render(&s, &Theme::mono(), 120, 24);
    let cell = &mono.backend().buffer()[(x + 2, 0)];
    assert_eq!(cell.fg, Color::Reset, "no colour in mono");
    assert!(
        cell.modifier
            .contains(Modifier::BOLD | Modifier::UNDERLINED)
    );
}

#[test]
fn zero_set_up_ui_fits_the_short_form_at_80_columns() {
    // The zero set-up `oddswatch`: the pipeline's state, cycle and countdown come first.
    let s = with_team(main_state(), Ok(unhealthy()));
    snapshot_sizes("team_pipeline_unhealthy", &s);
    let narrow = header_line(&s, &Theme::color(), 80);
    assert!(narrow.contains("next 6s  ⚠ 11/16 shards"), "{narrow}");
    let wide = header_line(&s, &Theme::color(), 120);
    assert!(
        wide.contains("next 6s  ⚠ 2 scrapers · 11/16 shards · 5 unowned"),
        "{wide}"
    );
    let one = with_team(main_state(), Ok(summary(1, 16, vec![])));
    let line = header_line(&one, &Theme::color(), 80);
    assert!(line.contains("next 6s  1 scraper · 16/16 shards"), "{line}");
}

#[test]
fn no_scraper_and_a_failed_read_say_so() {
    let none = attached(Ok(summary(0, 16, (0..16).collect())));
    snapshot_sizes("team_no_scraper", &none);
    assert!(header_line(&none, &Theme::color(), 80).contains("⚠ no scraper running"));
    let short = with_team(main_state(), Ok(summary(0, 0, vec![])));
    assert!(header_line(&short, &Theme::color(), 80).contains("⚠ no scraper"));

    // A failed read after a good one: `team: ?`, not the stale line, and no crash.
    let failed = with_team(attached(Ok(healthy())), Err("connection refused".into()));
    let line = header_line(&failed, &Theme::color(), 80);
    assert!(line.contains("attached  team: ?"), "{line}");
    assert!(!line.contains("scrapers"));
    // The next good read puts the line back.
    let back = with_team(failed, Ok(healthy()));
    assert!(header_line(&back, &Theme::color(), 80).contains("3 scrapers · 16/16 shards"));
}

fn team_loads(effects: &[Effect]) -> usize {
    effects.iter().filter(|e| **e == Effect::LoadTeam).count()
}

#[test]
fn the_team_is_read_at_start_then_every_5_s_never_two_at_once() {
    let mut s = state();
    assert_eq!(team_loads(&update(&mut s, Action::Start)), 1);
    assert!(s.team.in_flight);
    // Due again after 5 s, but the first read has not answered: no second read.
    let t = now() + Duration::seconds(6);
    assert_eq!(team_loads(&update(&mut s, Action::Tick(t))), 0);
    update(&mut s, Action::TeamLoaded(Ok(healthy())));
    assert!(!s.team.in_flight);
    // Answered: the next tick past 5 s since the request asks again, earlier ones do not.
    assert_eq!(team_loads(&update(&mut s, Action::Tick(t))), 1);
    update(&mut s, Action::TeamLoaded(Ok(healthy())));
    for secs in 7..11 {
        let tick = now() + Duration::seconds(secs);
        assert_eq!(
            team_loads(&update(&mut s, Action::Tick(tick))),
            0,
            "{secs}s"
        );
    }
    let tick = now() + Duration::seconds(11);
    assert_eq!(team_loads(&update(&mut s, Action::Tick(tick))), 1);
}

#[test]
fn a_problem_is_read_again_after_2_s_until_it_heals() {
    let mut s = state();
    update(&mut s, Action::Start);
    update(&mut s, Action::TeamLoaded(Err("timeout".into())));
    assert!(s.team.failed);
    let at = |secs| Action::Tick(now() + Duration::seconds(secs));
    assert_eq!(team_loads(&update(&mut s, at(1))), 0);
    assert_eq!(team_loads(&update(&mut s, at(2))), 1, "a failed read");
    update(&mut s, Action::TeamLoaded(Ok(unhealthy())));
    assert_eq!(team_loads(&update(&mut s, at(3))), 0);
    assert_eq!(
        team_loads(&update(&mut s, at(4))),
        1,
        "a shard without owner"
    );
    update(&mut s, Action::TeamLoaded(Ok(healthy())));
    // Healthy again: back to every 5 s.
    assert_eq!(team_loads(&update(&mut s, at(8))), 0);
    assert_eq!(team_loads(&update(&mut s, at(9))), 1);
}

/// Regression: the zero set-up `oddswatch` read the team at start, before its own pipeline's
/// first lease round had registered it, and showed "⚠ no scraper running" about itself.
#[test]
fn with_a_pipeline_in_the_process_the_first_read_waits_for_its_first_cycle() {
    let mut s = state();
    s.pipeline = Some(crate::health::PipelineStatus {
        state: crate::health::PipelineState::Running,
        ..Default::default()
    });
    assert_eq!(team_loads(&update(&mut s, Action::Start)), 0);
    let at = |secs| Action::Tick(now() + Duration::seconds(secs));
    assert_eq!(
        team_loads(&update(&mut s, at(6))),
        0,
        "first cycle still running"
    );
    let mut done = s.pipeline.clone().unwrap();
    done.cycles = 1;
    update(&mut s, Action::Pipeline(done));
    assert_eq!(team_loads(&update(&mut s, at(7))), 1);
}
