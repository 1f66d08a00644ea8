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

/// Checks a view name: 1–40 characters, none of them whitespace or control characters.
pub fn check_view_name(name: &str) -> Result<(), ServiceError> {
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
    /// is 1–40 characters without whitespace or control characters.
    pub async fn save_view(&self, name: &str, spec: &ViewSpec) -> Result<SavedView, ServiceError> {
        check_view_name(name)?;
        check_spec(spec)?;
        Ok(self
            .store
            .save_view(&self.user, name, spec, self.now())
            .await?)
    }

    /// Deletes the user's view `name`; `false` when there was none.
    pub async fn delete_view(&self, name: &str) -> Result<bool, ServiceError> {
        check_view_name(name)?;
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
}
