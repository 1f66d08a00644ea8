//! The `:` command line (issue 16): its text, the parser of what was typed, and completion.
//! Pure: [`super::update`] applies a parsed command to the state.

/// The command line being typed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CommandLine {
    /// The text after `:`.
    pub text: String,
}
