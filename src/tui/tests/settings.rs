//! The settings screen through `update`: every key of the market-aware rules (DESIGN §9) is
//! shown and editable, and a refused value says what the key accepts.

use crossterm::event::KeyCode;

use super::fixtures::*;
use crate::tui::action::{Action, Effect};
use crate::tui::state::{Overlay, State};
use crate::tui::theme::Theme;
use crate::tui::update::update;

/// Opens the settings screen with nothing stored and selects `key`.
fn settings_at(name: &str) -> State {
    let mut s = loaded(alerts(1));
    press(&mut s, 'c');
    update(&mut s, Action::SettingsLoaded(Ok(Vec::new())));
    let Some(Overlay::Settings(form)) = &s.overlay else {
        panic!("no settings screen");
    };
    let at = form.fields.iter().position(|f| f.key == name).unwrap();
    for _ in 0..at {
        update(&mut s, key(KeyCode::Char('j')));
    }
    s
}

/// Types `text` over the selected setting's value and presses Enter, as a trader would.
fn type_setting(s: &mut State, text: &str) -> Vec<Effect> {
    let editing = matches!(&s.overlay, Some(Overlay::Settings(f)) if f.editing.is_some());
    if !editing {
        update(s, key(KeyCode::Enter));
    }
    for _ in 0..24 {
        update(s, key(KeyCode::Backspace));
    }
    for c in text.chars() {
        update(s, key(KeyCode::Char(c)));
    }
    update(s, key(KeyCode::Enter))
}

fn settings_error(s: &State) -> String {
    match &s.overlay {
        Some(Overlay::Settings(form)) => form.error.clone().unwrap_or_default(),
        _ => panic!("no settings screen"),
    }
}

#[test]
fn every_market_aware_setting_is_editable_and_a_bad_value_names_what_is_allowed() {
    use serde_json::json;
    // (key, refused text, what the refusal names, a good value and what is saved)
    let cases = [
        (
            "detection.consensus_min_move_pct",
            "0",
            "between 0.01 and 100",
            "4.5",
            json!(4.5),
        ),
        (
            "detection.consensus_min_books",
            "two",
            "a whole number between 1 and 50",
            "3",
            json!(3),
        ),
        (
            "detection.consensus_min_books",
            "0",
            "between 1 and 50",
            "1",
            json!(1),
        ),
        (
            "detection.off_market_warning_pct",
            "7",
            "0 < warning < elevated < critical <= 1000",
            "2.5",
            json!(2.5),
        ),
        (
            "detection.off_market_elevated_pct",
            "x",
            "a number, 0 < warning < elevated < critical <= 1000",
            "8",
            json!(8.0),
        ),
        (
            "detection.off_market_critical_pct",
            "1001",
            "0 < warning < elevated < critical <= 1000",
            "12",
            json!(12.0),
        ),
        (
            "detection.margin_floor_pct",
            "-1",
            "between 0 and 100",
            "1.5",
            json!(1.5),
        ),
    ];
    for (name, bad, allowed, good, saved) in cases {
        let mut s = settings_at(name);
        let effects = type_setting(&mut s, bad);
        assert!(effects.is_empty(), "{name} = {bad} was saved");
        let error = settings_error(&s);
        assert!(
            error.contains(name.rsplit('.').next().unwrap()) && error.contains(allowed),
            "{name} = {bad}: {error}"
        );
        let effects = type_setting(&mut s, good);
        assert_eq!(
            effects,
            vec![Effect::SaveSettings(vec![(name.to_string(), saved)])],
            "{name} = {good}: {}",
            settings_error(&s)
        );
    }
}

#[test]
fn competitor_alerts_is_a_switch() {
    let mut s = settings_at("detection.competitor_alerts");
    let effects = update(&mut s, key(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::SaveSettings(vec![(
            "detection.competitor_alerts".to_string(),
            serde_json::json!(false)
        )])]
    );
    let text = format!("{}", render(&s, &Theme::color(), 80, 24).backend());
    assert!(
        text.contains("Competitor alerts") && text.contains("off"),
        "{text}"
    );
}

#[test]
fn the_screen_shows_every_key_and_while_typing_what_it_accepts() {
    let mut s = settings_at("detection.consensus_min_books");
    let text = format!("{}", render(&s, &Theme::color(), 80, 24).backend());
    for name in crate::config::OVERRIDABLE_KEYS {
        let label = crate::tui::settings::label(name);
        assert!(text.contains(label), "{label} is not on screen:\n{text}");
    }
    update(&mut s, key(KeyCode::Enter));
    let text = format!("{}", render(&s, &Theme::color(), 80, 24).backend());
    assert!(
        text.contains("a whole number between 1 and 50 · Enter save"),
        "{text}"
    );
}

#[test]
fn a_band_refusal_and_the_hint_fit_the_screen_at_80x24() {
    let mut s = settings_at("detection.off_market_warning_pct");
    type_setting(&mut s, "12");
    let text = format!("{}", render(&s, &Theme::color(), 80, 24).backend());
    assert!(text.contains("<= 1000"), "{text}");
    assert!(text.contains("cancel"), "the hint is cut:\n{text}");
    assert!(text.contains("Keep price history"), "{text}");
}
