//! The `:` command line (issue 16): its text, the parser of what was typed, and completion.
//! Pure: [`super::update`] applies a parsed command to the state.
//!
//! Choices (DESIGN.md is silent on these):
//! - Words are split on whitespace; a command name or a value of a closed vocabulary (type,
//!   severity, sort, tab, scope) may be shortened to any unique prefix (`:sev crit`), since a
//!   trader types them many times a day. An exact name always wins (`view` before `views`).
//! - `:book` takes any slug (letters, digits, `-`, `_`), not only the books of the config: a
//!   database another process fills may hold alerts of books this one does not scrape.
//! - `:event` takes the rest of the line (`:event real madrid`), matched as a substring of the
//!   event's teams, tournament and country by the store.
//! - `:silence` takes an optional scope, then a duration or `kickoff`, then the reason (the rest
//!   of the line, may be empty): `:silence market 2h suspended in-play`.
//! - Completion completes the last word (the cursor stays at the end of the line): prefixes
//!   first, then (for event names) names that contain the typed text.

use std::fmt;

use crate::domain::{
    AlertSort, AlertType, DURATION_FORMS, DurationError, Severity, SilenceEnd, parse_duration,
};
use crate::tui::silence::Scope;
use crate::tui::state::Tab;

mod complete;

pub use complete::{Completing, Completion, Context, complete};

/// The commands, in the order completion and error messages list them.
pub const COMMANDS: [&str; 13] = [
    "type", "book", "severity", "event", "sort", "silence", "view", "views", "tab", "clear",
    "market", "help", "quit",
];

/// Longest command line accepted, in characters (a reason is at most 500 characters).
pub const MAX_COMMAND_CHARS: usize = 600;

/// Most commands remembered for Up/Down in one session.
pub const MAX_HISTORY: usize = 100;

/// A parsed command.
#[derive(Debug, Clone, PartialEq)]
pub enum Cmd {
    /// `:type T` (`None`: every type).
    Type(Option<AlertType>),
    /// `:book SLUG` (`None`: every book).
    Book(Option<String>),
    /// `:severity S` (`None`: every severity).
    Severity(Option<Severity>),
    /// `:event TEXT` (`None`: every event).
    Event(Option<String>),
    /// `:sort KEY`.
    Sort(AlertSort),
    /// `:silence [scope] DURATION [reason…]` on the selected alert.
    Silence {
        /// What it covers around the selected alert.
        scope: Scope,
        /// When it ends.
        end: SilenceEnd,
        /// Why (may be empty).
        reason: String,
    },
    /// `:view NAME`: apply a saved view.
    View(String),
    /// `:view save NAME`.
    ViewSave(String),
    /// `:view delete NAME`.
    ViewDelete(String),
    /// `:views`: list the saved views.
    Views,
    /// `:tab new|acknowledged|past|all`.
    Tab(Tab),
    /// `:clear`: every filter off.
    Clear,
    /// `:market`: the market screen of the selected alert.
    Market,
    /// `:help`.
    Help,
    /// `:quit` / `:q`.
    Quit,
}

/// Why a command line was refused. Every message names what is allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandError {
    /// Nothing typed.
    Empty,
    /// No command of that name.
    UnknownCommand(String),
    /// A prefix of several commands.
    AmbiguousCommand {
        /// What was typed.
        typed: String,
        /// The commands it starts.
        matches: Vec<&'static str>,
    },
    /// A value outside the command's vocabulary.
    UnknownValue {
        /// What kind of value (`type`, `severity` …).
        what: &'static str,
        /// What was typed.
        value: String,
        /// The allowed values, comma separated.
        allowed: String,
    },
    /// The command needs a value.
    Missing {
        /// The command.
        command: &'static str,
        /// What it takes.
        allowed: String,
    },
    /// More words than the command takes.
    Extra {
        /// The command.
        command: &'static str,
        /// The first word too many.
        extra: String,
    },
    /// The silence's duration does not read.
    Duration(DurationError),
    /// The line is too long.
    TooLong(usize),
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::Empty => write!(f, "type a command: one of {}", COMMANDS.join(", ")),
            CommandError::UnknownCommand(typed) => {
                write!(f, "unknown command {typed}: one of {}", COMMANDS.join(", "))
            }
            CommandError::AmbiguousCommand { typed, matches } => {
                write!(f, "ambiguous command {typed}: {}", matches.join(", "))
            }
            CommandError::UnknownValue {
                what,
                value,
                allowed,
            } => write!(f, "unknown {what} {value}: one of {allowed}"),
            CommandError::Missing { command, allowed } => {
                write!(f, ":{command} needs {allowed}")
            }
            CommandError::Extra { command, extra } => {
                write!(f, ":{command} takes no more words: remove {extra:?}")
            }
            CommandError::Duration(e) => write!(f, ":silence: {e}, or kickoff"),
            CommandError::TooLong(n) => write!(
                f,
                "the command is {n} characters long: at most {MAX_COMMAND_CHARS}"
            ),
        }
    }
}

impl std::error::Error for CommandError {}

/// The silence scopes' words.
const SCOPES: [&str; 4] = ["outcome", "market", "event", "book"];
/// The tabs' words.
const TABS: [&str; 4] = ["new", "acknowledged", "past", "all"];
/// The severities' words, most severe first (as the key cycles them).
const SEVERITIES: [&str; 4] = ["critical", "elevated", "warning", "all"];
/// Durations offered by completion after `:silence` (any duration parses).
const SILENCE_DURATIONS: [&str; 4] = ["30m", "2h", "1d", "kickoff"];

/// The value among `all` that `typed` names exactly, or as the prefix of exactly one.
fn pick<'a>(typed: &str, all: &[&'a str]) -> Result<&'a str, Vec<&'a str>> {
    let typed = typed.to_ascii_lowercase();
    if let Some(exact) = all.iter().find(|v| **v == typed) {
        return Ok(exact);
    }
    let matches: Vec<&str> = all
        .iter()
        .copied()
        .filter(|v| v.starts_with(&typed))
        .collect();
    match matches.as_slice() {
        [one] => Ok(one),
        _ => Err(matches),
    }
}

/// A value of a closed vocabulary, or the error listing it.
fn value<'a>(what: &'static str, typed: &str, all: &[&'a str]) -> Result<&'a str, CommandError> {
    pick(typed, all).map_err(|_| CommandError::UnknownValue {
        what,
        value: typed.to_string(),
        allowed: all.join(", "),
    })
}

fn type_words() -> Vec<&'static str> {
    let mut words: Vec<&str> = AlertType::ALL.iter().map(|t| t.as_str()).collect();
    words.push("all");
    words
}

fn sort_words() -> Vec<&'static str> {
    AlertSort::ALL.iter().map(|s| s.as_str()).collect()
}

/// Exactly one value after the command, or the error naming what it takes.
fn one<'a>(
    command: &'static str,
    args: &[&'a str],
    allowed: impl FnOnce() -> String,
) -> Result<&'a str, CommandError> {
    match args {
        [] => Err(CommandError::Missing {
            command,
            allowed: allowed(),
        }),
        [v] => Ok(v),
        [_, extra, ..] => Err(CommandError::Extra {
            command,
            extra: (*extra).to_string(),
        }),
    }
}

fn none(command: &'static str, args: &[&str]) -> Result<(), CommandError> {
    match args.first() {
        None => Ok(()),
        Some(extra) => Err(CommandError::Extra {
            command,
            extra: (*extra).to_string(),
        }),
    }
}

/// Whether `slug` could name a book: letters, digits, `-` and `_`, at most 64 characters.
fn is_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.chars().count() <= crate::service::MAX_BOOKMAKER_CHARS
        && slug
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The text after the first `n` words of `line`, trimmed (the reason, the event text).
fn rest_after(line: &str, n: usize) -> String {
    let mut rest = line.trim_start();
    for _ in 0..n {
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        rest = rest[end..].trim_start();
    }
    rest.trim_end().to_string()
}

/// Parses a command line (the text after `:`).
pub fn parse(line: &str) -> Result<Cmd, CommandError> {
    let chars = line.chars().count();
    if chars > MAX_COMMAND_CHARS {
        return Err(CommandError::TooLong(chars));
    }
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some((first, args)) = words.split_first() else {
        return Err(CommandError::Empty);
    };
    let command = if first.eq_ignore_ascii_case("q") {
        "quit"
    } else {
        pick(first, &COMMANDS).map_err(|matches| match matches.len() {
            0 => CommandError::UnknownCommand((*first).to_string()),
            _ => CommandError::AmbiguousCommand {
                typed: (*first).to_string(),
                matches,
            },
        })?
    };
    match command {
        "type" => {
            let words = type_words();
            let v = one("type", args, || {
                format!("a type: one of {}", words.join(", "))
            })?;
            let v = value("type", v, &words)?;
            Ok(Cmd::Type(v.parse().ok()))
        }
        "book" => {
            let v = one("book", args, || {
                "a book slug (e.g. sportybet) or all".into()
            })?;
            if v.eq_ignore_ascii_case("all") {
                Ok(Cmd::Book(None))
            } else if is_slug(v) {
                Ok(Cmd::Book(Some(v.to_ascii_lowercase())))
            } else {
                Err(CommandError::UnknownValue {
                    what: "book",
                    value: v.to_string(),
                    allowed: "a slug of letters, digits, - and _ (e.g. sportybet), all".into(),
                })
            }
        }
        "severity" => {
            let v = one("severity", args, || {
                format!("a severity: one of {}", SEVERITIES.join(", "))
            })?;
            let v = value("severity", v, &SEVERITIES)?;
            Ok(Cmd::Severity(v.parse().ok()))
        }
        "event" => {
            let text = rest_after(line, 1);
            match text.as_str() {
                "" => Err(CommandError::Missing {
                    command: "event",
                    allowed: "a team, tournament or country (e.g. arsenal), or all".into(),
                }),
                t if t.eq_ignore_ascii_case("all") => Ok(Cmd::Event(None)),
                _ => Ok(Cmd::Event(Some(text))),
            }
        }
        "sort" => {
            let words = sort_words();
            let v = one("sort", args, || {
                format!("a sort key: one of {}", words.join(", "))
            })?;
            let v = value("sort key", v, &words)?;
            Ok(Cmd::Sort(v.parse().unwrap_or_default()))
        }
        "silence" => parse_silence(line, args),
        "view" => parse_view(args),
        "views" => none("views", args).map(|_| Cmd::Views),
        "tab" => {
            let v = one("tab", args, || format!("a tab: one of {}", TABS.join(", ")))?;
            let tab = match value("tab", v, &TABS)? {
                "new" => Tab::New,
                "acknowledged" => Tab::Acknowledged,
                "past" => Tab::Past,
                _ => Tab::All,
            };
            Ok(Cmd::Tab(tab))
        }
        "clear" => none("clear", args).map(|_| Cmd::Clear),
        "market" => none("market", args).map(|_| Cmd::Market),
        "help" => Ok(Cmd::Help),
        _ => none("quit", args).map(|_| Cmd::Quit),
    }
}

fn parse_silence(line: &str, args: &[&str]) -> Result<Cmd, CommandError> {
    let missing = || CommandError::Missing {
        command: "silence",
        allowed: format!(
            "[outcome|market|event|book] then a duration ({DURATION_FORMS}) or kickoff, then a reason"
        ),
    };
    let mut used = 1;
    let mut rest = args;
    let mut scope = Scope::Outcome;
    if let Some((first, after)) = rest.split_first()
        && let Some(s) = Scope::ALL
            .iter()
            .find(|s| s.label().eq_ignore_ascii_case(first))
    {
        scope = *s;
        rest = after;
        used += 1;
    }
    let Some(duration) = rest.first() else {
        return Err(missing());
    };
    let end = if duration.eq_ignore_ascii_case("kickoff") {
        SilenceEnd::UntilKickoff
    } else {
        SilenceEnd::For(parse_duration(duration).map_err(CommandError::Duration)?)
    };
    Ok(Cmd::Silence {
        scope,
        end,
        reason: rest_after(line, used + 1),
    })
}

fn parse_view(args: &[&str]) -> Result<Cmd, CommandError> {
    let name_of = |command: &'static str, rest: &[&str]| {
        one(command, rest, || "a view name (one word)".into()).map(str::to_string)
    };
    match args {
        [] => Err(CommandError::Missing {
            command: "view",
            allowed: "a view name, or save NAME, or delete NAME (:views lists them)".into(),
        }),
        ["save", rest @ ..] => name_of("view save", rest).map(Cmd::ViewSave),
        ["delete", rest @ ..] => name_of("view delete", rest).map(Cmd::ViewDelete),
        [name] => Ok(Cmd::View((*name).to_string())),
        [_, extra, ..] => Err(CommandError::Extra {
            command: "view",
            extra: (*extra).to_string(),
        }),
    }
}

/// The command line being typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommandLine {
    /// The text after `:`.
    pub text: String,
    /// Why the last Enter was refused (the text is kept so it can be fixed).
    pub error: Option<String>,
    /// Tab completion in progress.
    pub completing: Option<Completing>,
    /// The history entry shown (Up/Down), counted from the newest.
    pub history_at: Option<usize>,
    /// What was typed before walking the history (Down past the newest brings it back).
    pub draft: String,
}

impl CommandLine {
    /// Tab (`forward`) or Shift-Tab: completes the last word, or moves to the next (previous)
    /// candidate when completion is in progress. A single candidate is taken with a space after
    /// it, ready for the next word.
    pub fn tab(&mut self, ctx: &Context, forward: bool) {
        if let Some(c) = &mut self.completing {
            let n = c.candidates.len();
            c.index = if forward {
                (c.index + 1) % n
            } else {
                (c.index + n - 1) % n
            };
            self.text.truncate(c.start);
            self.text.push_str(&c.candidates[c.index]);
            return;
        }
        let completion = complete(&self.text, ctx);
        match completion.candidates.as_slice() {
            [] => {}
            [only] => {
                self.text.truncate(completion.start);
                self.text.push_str(only);
                self.text.push(' ');
            }
            many => {
                let index = if forward { 0 } else { many.len() - 1 };
                self.text.truncate(completion.start);
                self.text.push_str(&many[index]);
                self.completing = Some(Completing {
                    start: completion.start,
                    candidates: completion.candidates,
                    index,
                });
            }
        }
    }

    /// Up (`older`) or Down through `history` (oldest first): the line shows the entry, and
    /// Down past the newest brings back what was being typed.
    pub fn walk_history(&mut self, history: &[String], older: bool) {
        self.completing = None;
        let next = match (self.history_at, older) {
            (None, true) if !history.is_empty() => {
                self.draft = self.text.clone();
                Some(0)
            }
            (None, _) => return,
            (Some(i), true) => Some((i + 1).min(history.len().saturating_sub(1))),
            (Some(0), false) => None,
            (Some(i), false) => Some(i - 1),
        };
        self.history_at = next;
        self.text = match next {
            Some(i) => history[history.len() - 1 - i].clone(),
            None => std::mem::take(&mut self.draft),
        };
    }

    /// The text changed by typing: completion and history walking end there.
    pub fn edited(&mut self) {
        self.completing = None;
        self.history_at = None;
        self.error = None;
    }
}

/// The view the screen shows now: its filter, sort and layout.
pub fn spec_of(state: &crate::tui::state::State) -> crate::domain::ViewSpec {
    crate::domain::ViewSpec {
        statuses: state.tab.statuses(),
        severity: state.severity,
        alert_type: state.alert_type,
        book: state.book.clone(),
        event_text: state.event_text.clone(),
        text: Some(state.text.trim().to_string()).filter(|t| !t.is_empty()),
        sort: state.sort,
        grouped: state.grouped,
        show_silenced: state.show_silenced,
    }
}

/// The name of the saved view the screen still shows: the one last applied, until a filter,
/// the sort or the layout differs from it (or a one-event filter narrows it).
pub fn shown_view(state: &crate::tui::state::State) -> Option<&str> {
    let name = state.view.as_deref()?;
    let view = state.views.iter().find(|v| v.name == name)?;
    (state.event.is_none() && view.spec == spec_of(state)).then_some(name)
}

/// The tab that shows `statuses` (the All tab for any other set).
pub fn tab_of(statuses: &[crate::domain::Status]) -> Tab {
    Tab::ALL
        .into_iter()
        .find(|t| t.statuses() == statuses)
        .unwrap_or(Tab::All)
}
