//! What `y` and `Y` copy (issue 16): the selected alert as one line of text, or as the API's
//! JSON. Pure; the terminal puts it on the clipboard with OSC 52.

use crate::domain::Alert;

/// The alert as one line of text, as a trader pastes it into a chat.
pub fn line(_alert: &Alert) -> String {
    todo!("issue 16: copy line")
}

/// The alert as the API's JSON (one object, one line).
pub fn json(_alert: &Alert) -> String {
    todo!("issue 16: copy json")
}
