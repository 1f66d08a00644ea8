//! Silences from the keyboard (DESIGN §10): the small form a key opens on a row, and the
//! silences screen. Pure: what a key does to the form, and what silence or edit it asks for;
//! `update` turns those into effects.
//!
//! Choices (the design leaves them open):
//! - The scopes are built from the row without its type or book, except the "book" scope: a
//!   trader silencing "this outcome" wants quiet on it whatever rule fires. "Market" is every
//!   line of the market in the event; "outcome" is the row's market, line and outcome.
//! - Custom durations are typed as `45m`, `3h`, `1d` or combined (`1h30m`); a bare number is
//!   refused rather than guessed as minutes or hours.
//! - The silences screen lists active silences first, then (when shown) the ended ones, each
//!   group newest first as the service returns them.

use chrono::{DateTime, Duration, Utc};

use crate::domain::{Alert, NewSilence, Silence, SilenceEdit, SilenceEnd, SilenceMatchers};

/// What a silence made from a row covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The row's event, market, line and outcome.
    Outcome,
    /// The row's market (every line) in its event.
    Market,
    /// The row's event.
    Event,
    /// Every alert about the row's book.
    Book,
}

impl Scope {
    /// The scopes in the form's order.
    pub const ALL: [Scope; 4] = [Scope::Outcome, Scope::Market, Scope::Event, Scope::Book];

    /// Label in the form.
    pub const fn label(self) -> &'static str {
        match self {
            Scope::Outcome => "outcome",
            Scope::Market => "market",
            Scope::Event => "event",
            Scope::Book => "book",
        }
    }

    /// The matchers this scope builds from `alert`.
    pub fn matchers(self, alert: &Alert) -> SilenceMatchers {
        let mut m = SilenceMatchers::default();
        match self {
            Scope::Book => m.bookmaker = Some(alert.bookmaker.clone()),
            Scope::Event => m.event_id = Some(alert.event_id),
            Scope::Market => {
                m.event_id = Some(alert.event_id);
                m.market_id = Some(alert.market_id.clone());
            }
            Scope::Outcome => {
                m.event_id = Some(alert.event_id);
                m.market_id = Some(alert.market_id.clone());
                m.line = alert.line;
                m.outcome = alert.outcome_name.clone();
            }
        }
        m
    }
}

/// How long, as offered by the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DurationChoice {
    /// 30 minutes.
    HalfHour,
    /// 2 hours.
    TwoHours,
    /// Until the event kicks off.
    UntilKickoff,
    /// Typed (`45m`, `3h`).
    Custom,
}

impl DurationChoice {
    /// The choices in the form's order.
    pub const ALL: [DurationChoice; 4] = [
        DurationChoice::HalfHour,
        DurationChoice::TwoHours,
        DurationChoice::UntilKickoff,
        DurationChoice::Custom,
    ];

    /// Label in the form.
    pub const fn label(self) -> &'static str {
        match self {
            DurationChoice::HalfHour => "30m",
            DurationChoice::TwoHours => "2h",
            DurationChoice::UntilKickoff => "until kickoff",
            DurationChoice::Custom => "custom",
        }
    }
}

/// Reads a typed duration: `45m`, `3h`, `2d`, `1h30m`. Whole numbers with a unit each.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim().to_ascii_lowercase();
    let refused = || format!("{text:?} is not a duration: type e.g. 45m, 3h, 1h30m or 2d");
    if text.is_empty() {
        return Err("type a duration, e.g. 45m, 3h, 1h30m or 2d".into());
    }
    let mut total = Duration::zero();
    let mut digits = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let n: i64 = digits.parse().map_err(|_| refused())?;
        // Longer than any silence the service accepts; stops an overflow before it.
        if n > 100_000 {
            return Err(refused());
        }
        total += match c {
            'm' => Duration::minutes(n),
            'h' => Duration::hours(n),
            'd' => Duration::days(n),
            _ => return Err(refused()),
        };
        digits.clear();
    }
    if !digits.is_empty() || total <= Duration::zero() {
        return Err(refused());
    }
    Ok(total)
}

/// A duration as the screens show it: `45m`, `2h30m`, `3d4h`.
pub fn short_duration(d: Duration) -> String {
    let minutes = d.num_minutes().max(0);
    match minutes {
        0..=59 => format!("{minutes}m"),
        60..=1439 if minutes % 60 == 0 => format!("{}h", minutes / 60),
        60..=1439 => format!("{}h{:02}m", minutes / 60, minutes % 60),
        _ if minutes % 1440 < 60 => format!("{}d", minutes / 1440),
        _ => format!("{}d{}h", minutes / 1440, (minutes % 1440) / 60),
    }
}

/// Which field of the form has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormField {
    /// The scope choice.
    Scope,
    /// The duration choice (and the custom text).
    Duration,
    /// The reason text.
    Reason,
}

/// The silence form, opened on one row.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceForm {
    /// The row it was opened on.
    pub alert: Box<Alert>,
    /// Chosen scope.
    pub scope: Scope,
    /// Chosen duration.
    pub duration: DurationChoice,
    /// The custom duration typed.
    pub custom: String,
    /// The reason typed.
    pub reason: String,
    /// The field with the cursor.
    pub field: FormField,
    /// Why the last try was refused (shown in the form).
    pub error: Option<String>,
    /// The silence is being made; keys wait for the answer.
    pub sending: bool,
}

impl SilenceForm {
    /// A form on `alert`: this outcome, 30 minutes, no reason.
    pub fn new(alert: Alert) -> Self {
        SilenceForm {
            alert: Box::new(alert),
            scope: Scope::Outcome,
            duration: DurationChoice::HalfHour,
            custom: String::new(),
            reason: String::new(),
            field: FormField::Scope,
            error: None,
            sending: false,
        }
    }

    /// Moves the cursor to the next field (`forward`) or the previous one.
    pub fn next_field(&mut self, forward: bool) {
        let order = [FormField::Scope, FormField::Duration, FormField::Reason];
        let i = order.iter().position(|f| *f == self.field).unwrap_or(0);
        let n = order.len();
        self.field = order[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }];
    }

    /// Changes the choice of the field with the cursor (scope or duration) by one.
    pub fn cycle_choice(&mut self, forward: bool) {
        fn step<T: Copy + PartialEq>(all: &[T], now: T, forward: bool) -> T {
            let i = all.iter().position(|v| *v == now).unwrap_or(0);
            let n = all.len();
            all[if forward {
                (i + 1) % n
            } else {
                (i + n - 1) % n
            }]
        }
        match self.field {
            FormField::Scope => self.scope = step(&Scope::ALL, self.scope, forward),
            FormField::Duration => {
                self.duration = step(&DurationChoice::ALL, self.duration, forward);
            }
            FormField::Reason => {}
        }
    }

    /// The text field the cursor is in, if it takes typing.
    pub fn text_mut(&mut self) -> Option<&mut String> {
        match self.field {
            FormField::Reason => Some(&mut self.reason),
            FormField::Duration if self.duration == DurationChoice::Custom => {
                Some(&mut self.custom)
            }
            _ => None,
        }
    }

    /// What the chosen scope hides, in the trader's words (the matchers name ids).
    pub fn hides(&self) -> String {
        let a = &self.alert;
        let market = crate::tui::view::format::market(a);
        match self.scope {
            Scope::Outcome => {
                let line = crate::tui::view::format::line(a.line);
                let outcome = a.outcome_name.as_deref().unwrap_or("");
                [a.event_name.as_str(), market, &line, outcome]
                    .into_iter()
                    .filter(|p| !p.is_empty())
                    .collect::<Vec<_>>()
                    .join(" · ")
            }
            Scope::Market => format!("{} · {market}, every line", a.event_name),
            Scope::Event => format!("{}, every market", a.event_name),
            Scope::Book => format!("every alert about {}, every event", a.bookmaker),
        }
    }

    /// The matchers of the chosen scope.
    pub fn matchers(&self) -> SilenceMatchers {
        self.scope.matchers(&self.alert)
    }

    /// The silence to ask the service for, or why the form cannot make one (a custom duration
    /// that does not read).
    pub fn to_new_silence(&self) -> Result<NewSilence, String> {
        let end = match self.duration {
            DurationChoice::HalfHour => SilenceEnd::For(Duration::minutes(30)),
            DurationChoice::TwoHours => SilenceEnd::For(Duration::hours(2)),
            DurationChoice::UntilKickoff => SilenceEnd::UntilKickoff,
            DurationChoice::Custom => SilenceEnd::For(parse_duration(&self.custom)?),
        };
        Ok(NewSilence {
            matchers: self.matchers(),
            end,
            reason: self.reason.trim().to_string(),
        })
    }
}

/// What a silence matches, in a few words: `event 12 · market 5000 · line 2.5 · Over`.
pub fn describe(m: &SilenceMatchers) -> String {
    describe_named(m, |_| None)
}

/// [`describe`], with the event's name where `event_name` knows it (`Arsenal v Chelsea ·
/// market 5000`).
pub fn describe_named(m: &SilenceMatchers, event_name: impl Fn(i64) -> Option<String>) -> String {
    let mut parts = Vec::new();
    if let Some(e) = m.event_id {
        parts.push(event_name(e).unwrap_or_else(|| format!("event {e}")));
    }
    if let Some(t) = &m.tournament {
        parts.push(t.clone());
    }
    if let Some(b) = &m.bookmaker {
        parts.push(format!("book {b}"));
    }
    if let Some(market) = &m.market_id {
        parts.push(format!("mkt {market}"));
    }
    if let Some(l) = m.line {
        parts.push(format!("line {l}"));
    }
    if let Some(o) = &m.outcome {
        parts.push(o.clone());
    }
    if let Some(t) = m.alert_type {
        parts.push(t.to_string());
    }
    if let Some(s) = m.max_severity {
        parts.push(format!("≤{s}"));
    }
    parts.join(" · ")
}

/// When a silence ends, relative to `now`: `in 28m`, `ended 5m ago`, `expired 2h ago`.
pub fn ends_text(s: &Silence, now: DateTime<Utc>) -> String {
    let ago = |at: DateTime<Utc>| {
        if now - at < Duration::minutes(1) {
            "just now".to_string()
        } else {
            format!("{} ago", short_duration(now - at))
        }
    };
    if let Some(at) = s.expired_at.filter(|e| *e <= now && *e < s.ends_at) {
        return format!("expired {}", ago(at));
    }
    if s.ends_at <= now {
        return format!("ended {}", ago(s.ends_at));
    }
    format!(
        "in {}",
        short_duration(s.ends_at - now + Duration::seconds(59))
    )
}

/// Which field of a silence edit has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditField {
    /// The new end: a duration from now, `kickoff`, or empty to keep it.
    End,
    /// The reason.
    Reason,
}

/// An edit of one silence in progress.
#[derive(Debug, Clone, PartialEq)]
pub struct SilenceEditing {
    /// The silence.
    pub id: i64,
    /// The new end as typed (empty: unchanged).
    pub end: String,
    /// The reason (starts as the current one).
    pub reason: String,
    /// The field with the cursor.
    pub field: EditField,
}

impl SilenceEditing {
    /// What the edit changes, or why it cannot be read; `None` inside `Ok` when nothing changes.
    pub fn to_edit(&self, current_reason: &str) -> Result<Option<SilenceEdit>, String> {
        let end = match self.end.trim().to_ascii_lowercase().as_str() {
            "" => None,
            "kickoff" | "ko" | "until kickoff" => Some(SilenceEnd::UntilKickoff),
            text => Some(SilenceEnd::For(parse_duration(text)?)),
        };
        let reason = Some(self.reason.trim().to_string()).filter(|r| r != current_reason.trim());
        if end.is_none() && reason.is_none() {
            return Ok(None);
        }
        Ok(Some(SilenceEdit { end, reason }))
    }
}

/// The silences screen.
#[derive(Debug, Clone, PartialEq)]
pub struct SilencesScreen {
    /// Ended and expired silences are listed too.
    pub include_ended: bool,
    /// The silences, active first.
    pub silences: Vec<Silence>,
    /// Selected row.
    pub selected: usize,
    /// A first answer arrived.
    pub loaded: bool,
    /// Latest list request; older answers are dropped.
    pub seq: u64,
    /// Why the last load or change failed.
    pub error: Option<String>,
    /// "Expire silence N?" is being asked.
    pub confirm_expire: Option<i64>,
    /// An edit in progress.
    pub editing: Option<SilenceEditing>,
}

impl SilencesScreen {
    /// An empty screen waiting for its first list.
    pub fn new() -> Self {
        SilencesScreen {
            include_ended: false,
            silences: Vec::new(),
            selected: 0,
            loaded: false,
            seq: 0,
            error: None,
            confirm_expire: None,
            editing: None,
        }
    }

    /// Shows a loaded list: active silences first, the selection kept on the same silence.
    pub fn apply(&mut self, mut silences: Vec<Silence>, now: DateTime<Utc>) {
        let kept = self.selected().map(|s| s.id);
        // Stable: each group keeps the service's newest-first order.
        silences.sort_by_key(|s| !s.is_active(now));
        self.silences = silences;
        self.loaded = true;
        self.error = None;
        self.selected = kept
            .and_then(|id| self.silences.iter().position(|s| s.id == id))
            .unwrap_or(self.selected)
            .min(self.silences.len().saturating_sub(1));
    }

    /// The silence under the cursor.
    pub fn selected(&self) -> Option<&Silence> {
        self.silences.get(self.selected)
    }
}

impl Default for SilencesScreen {
    fn default() -> Self {
        SilencesScreen::new()
    }
}
