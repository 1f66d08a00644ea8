//! Completion of the `:` command line: the candidates for the word being typed, from the
//! fixed vocabularies and what the screen knows (books, saved views, the loaded rows' names).

use super::{COMMANDS, SCOPES, SEVERITIES, SILENCE_DURATIONS, TABS, pick, sort_words, type_words};

/// What completion draws its candidates from, besides the fixed vocabularies.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// The book slugs the screen knows.
    pub books: &'a [String],
    /// The user's saved view names.
    pub views: &'a [String],
    /// Team and tournament names of the loaded rows (for `:event`).
    pub events: &'a [String],
}

/// The candidates for the word being typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Completion {
    /// Byte offset in the line where the completed word starts (the candidate replaces the
    /// text from there to the end).
    pub start: usize,
    /// The candidates, in the order Tab cycles through them.
    pub candidates: Vec<String>,
}

/// Candidates among `all` that start with `typed` (case-insensitive).
fn prefixed<S: AsRef<str>>(typed: &str, all: &[S]) -> Vec<String> {
    let typed = typed.to_lowercase();
    all.iter()
        .map(AsRef::as_ref)
        .filter(|c| c.to_lowercase().starts_with(&typed))
        .map(str::to_string)
        .collect()
}

/// The completions of the last word of `line` (the word under the cursor, which stays at the
/// end): command names first, then each command's values.
pub fn complete(line: &str, ctx: &Context) -> Completion {
    // The word being completed starts after the last whitespace.
    let start = line
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let typed = &line[start..];
    let before: Vec<&str> = line[..start].split_whitespace().collect();
    let Some((first, args)) = before.split_first() else {
        return Completion {
            start,
            candidates: prefixed(typed, &COMMANDS),
        };
    };
    let command = pick(first, &COMMANDS).ok();
    let candidates = match (command, args) {
        (Some("type"), []) => prefixed(typed, &type_words()),
        (Some("book"), []) => {
            let mut books: Vec<&str> = ctx.books.iter().map(String::as_str).collect();
            books.push("all");
            prefixed(typed, &books)
        }
        (Some("severity"), []) => prefixed(typed, &SEVERITIES),
        (Some("sort"), []) => prefixed(typed, &sort_words()),
        (Some("tab"), []) => prefixed(typed, &TABS),
        (Some("view"), []) => {
            let mut words = vec!["save", "delete"];
            words.extend(ctx.views.iter().map(String::as_str));
            prefixed(typed, &words)
        }
        (Some("view"), ["save" | "delete"]) => prefixed(typed, ctx.views),
        (Some("silence"), []) => {
            let mut words = SCOPES.to_vec();
            words.extend(SILENCE_DURATIONS);
            prefixed(typed, &words)
        }
        (Some("silence"), [scope]) if SCOPES.contains(scope) => prefixed(typed, &SILENCE_DURATIONS),
        (Some("event"), _) => {
            // The whole text after `:event` is the name, spaces included.
            let event_start = line.len() - line.trim_start().len() + first.len();
            let event_start =
                event_start + line[event_start..].len() - line[event_start..].trim_start().len();
            return Completion {
                start: event_start,
                candidates: event_candidates(&line[event_start..], ctx.events),
            };
        }
        _ => Vec::new(),
    };
    Completion { start, candidates }
}

/// Event names that start with `typed`, then those that contain it, each once.
fn event_candidates(typed: &str, names: &[String]) -> Vec<String> {
    let lower = typed.to_lowercase();
    let mut out: Vec<String> = prefixed(typed, names);
    for name in names {
        if name.to_lowercase().contains(&lower) && !out.contains(name) {
            out.push(name.clone());
        }
    }
    out.dedup();
    out
}

/// Tab completion in progress: the candidates and which one is in the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completing {
    /// Where the completed word starts.
    pub start: usize,
    /// The candidates.
    pub candidates: Vec<String>,
    /// The one in the line.
    pub index: usize,
}
