//! Saved views (issue 16), per user: the service's user owns the views it reads and writes.
//!
//! Choices (DESIGN.md is silent on these):
//! - A name is 1–40 characters with no whitespace and no control characters, so `:view NAME`
//!   reads it back as one word and the tab line shows it whole. Case is kept and matters
//!   (`Live` and `live` are two views), as in the database's primary key.
//! - A view's filter texts are checked like the list's own filters, so a view that saves is a
//!   view that applies.

use super::{AlertService, MAX_BOOKMAKER_CHARS, MAX_TEXT_FILTER_CHARS, ServiceError, check_text};
use crate::domain::{MAX_VIEW_NAME_CHARS, SavedView, ViewSpec};

/// Words `:view` reads as its subcommands (`:view save NAME`, `:view delete NAME`): a view of
/// that name could be saved but never applied by `:view NAME`, so no view may take one.
/// Matched exactly, as the command line matches them (`Save` is a name like any other).
pub const RESERVED_VIEW_NAMES: [&str; 2] = ["save", "delete"];

/// Checks the name of a view to save: 1–40 characters, none of them whitespace or control
/// characters, and not one of [`RESERVED_VIEW_NAMES`].
pub fn check_view_name(name: &str) -> Result<(), ServiceError> {
    check_view_name_form(name)?;
    if RESERVED_VIEW_NAMES.contains(&name) {
        return Err(ServiceError::InvalidArgument {
            name: "view name",
            value: format!("{name:?}"),
            allowed: format!(
                "a name other than {}, which :view reads as its subcommands",
                RESERVED_VIEW_NAMES.join(" and ")
            ),
        });
    }
    Ok(())
}

/// Checks the form of a view name: 1–40 characters, none of them whitespace or control
/// characters. Deleting checks only this, so a view saved under a name reserved later can
/// still be deleted.
pub fn check_view_name_form(name: &str) -> Result<(), ServiceError> {
    let allowed = || {
        format!(
            "a name of 1 to {MAX_VIEW_NAME_CHARS} characters without spaces or control characters"
        )
    };
    if name.is_empty() {
        return Err(ServiceError::InvalidArgument {
            name: "view name",
            value: "(empty)".into(),
            allowed: allowed(),
        });
    }
    let count = name.chars().count();
    if count > MAX_VIEW_NAME_CHARS {
        return Err(ServiceError::InvalidArgument {
            name: "view name",
            value: format!("of {count} characters"),
            allowed: allowed(),
        });
    }
    if let Some(c) = name.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(ServiceError::InvalidArgument {
            name: "view name",
            value: format!("{name:?} (holds U+{:04X})", u32::from(c)),
            allowed: allowed(),
        });
    }
    Ok(())
}

/// Checks a view to save, name and spec, as [`AlertService::save_view`] does: pure, so a face
/// can refuse it before sending it (the command line keeps its text open with the reason).
pub fn check_view(name: &str, spec: &ViewSpec) -> Result<(), ServiceError> {
    check_view_name(name)?;
    check_spec(spec)
}

fn check_spec(spec: &ViewSpec) -> Result<(), ServiceError> {
    if let Some(text) = &spec.text {
        check_text("text filter", text, MAX_TEXT_FILTER_CHARS)?;
    }
    if let Some(text) = &spec.event_text {
        check_text("event filter", text, MAX_TEXT_FILTER_CHARS)?;
    }
    if let Some(book) = &spec.book {
        check_text("bookmaker", book, MAX_BOOKMAKER_CHARS)?;
    }
    Ok(())
}

impl AlertService {
    /// The user's saved views, by name.
    pub async fn views(&self) -> Result<Vec<SavedView>, ServiceError> {
        Ok(self.store.saved_views(&self.user).await?)
    }

    /// Saves a view under `name` for the user, replacing the user's view of that name. The name
    /// is 1–40 characters without whitespace or control characters, and not `save` or `delete`.
    pub async fn save_view(&self, name: &str, spec: &ViewSpec) -> Result<SavedView, ServiceError> {
        check_view(name, spec)?;
        Ok(self
            .store
            .save_view(&self.user, name, spec, self.now())
            .await?)
    }

    /// Deletes the user's view `name`; `false` when there was none. A reserved name is
    /// accepted here: a view saved under it before it was reserved can still be removed.
    pub async fn delete_view(&self, name: &str) -> Result<bool, ServiceError> {
        check_view_name_form(name)?;
        Ok(self.store.delete_view(&self.user, name).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_names_of_one_word_up_to_forty_characters_are_accepted() {
        for name in ["a", "live-crit", "Zoë_1", &"x".repeat(40)] {
            assert!(check_view_name(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn empty_long_spaced_or_control_names_are_refused_naming_what_is_allowed() {
        for (name, says) in [
            ("", "(empty)"),
            (&"x".repeat(41) as &str, "of 41 characters"),
            ("two words", "U+0020"),
            ("tab\there", "U+0009"),
        ] {
            let e = check_view_name(name).unwrap_err().to_string();
            assert!(e.contains(says), "{name:?}: {e}");
            assert!(e.contains("1 to 40 characters without spaces"), "{e}");
        }
    }

    #[test]
    fn the_subcommands_of_view_are_refused_as_names_but_can_be_deleted() {
        for name in RESERVED_VIEW_NAMES {
            let e = check_view_name(name).unwrap_err().to_string();
            assert!(e.contains(&format!("{name:?}")), "{e}");
            assert!(e.contains("other than save and delete"), "{e}");
            assert!(check_view_name_form(name).is_ok(), "{name} can be deleted");
            let e = check_view(name, &ViewSpec::default()).unwrap_err();
            assert!(e.to_string().contains("subcommands"), "{e}");
        }
        // Exactly the subcommand words: the command line reads `Save` as a name.
        for name in ["Save", "saved", "deleted"] {
            assert!(check_view_name(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn a_view_is_checked_name_first_then_its_filters() {
        let spec = ViewSpec {
            event_text: Some("x".repeat(MAX_TEXT_FILTER_CHARS + 1)),
            ..ViewSpec::default()
        };
        let e = check_view("ok", &spec).unwrap_err().to_string();
        assert!(e.contains("event filter of 201 characters"), "{e}");
        assert!(check_view("ok", &ViewSpec::default()).is_ok());
    }
}
