//! Output for a terminal that cannot be driven by the data it shows.
//!
//! Team, tournament and market names come from the bookmakers' feeds. Written raw to a
//! terminal, a name holding `ESC ] 52 ; c ; … BEL` would write the trader's clipboard (the
//! README asks tmux users to allow exactly that for `y`), and other escapes can retitle the
//! window or hide text. So when a command writes data to a terminal, every control character
//! but newline and tab, and every bidirectional override or line separator, is written as a
//! visible `\u001b` — which inside a JSON string is the same character to a parser, so the JSON
//! formats stay valid. Files and pipes get the data as it is.

use std::io::{self, Write};

use crate::tui::clip::escape_unsafe;

/// A writer that escapes what a terminal would obey (see the module doc). Bytes that are not
/// UTF-8 are escaped as `\xNN`; a character split across two writes is kept until it is whole.
pub struct TerminalSafe<W: Write> {
    inner: W,
    /// The start of a character whose other bytes are in the next write.
    carry: Vec<u8>,
}

impl<W: Write> TerminalSafe<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        TerminalSafe {
            inner,
            carry: Vec::new(),
        }
    }

    fn emit(&mut self, text: &str) -> io::Result<()> {
        self.inner
            .write_all(escape_unsafe(text, &['\n', '\t']).as_bytes())
    }
}

impl<W: Write> Write for TerminalSafe<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut bytes = std::mem::take(&mut self.carry);
        bytes.extend_from_slice(buf);
        let mut rest = bytes.as_slice();
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    self.emit(text)?;
                    break;
                }
                Err(e) => {
                    let (valid, after) = rest.split_at(e.valid_up_to());
                    // `valid` is UTF-8 by the error's own account.
                    self.emit(std::str::from_utf8(valid).unwrap_or_default())?;
                    match e.error_len() {
                        // An incomplete character at the end: wait for its other bytes.
                        None => {
                            self.carry = after.to_vec();
                            break;
                        }
                        Some(n) => {
                            for b in &after[..n] {
                                self.inner.write_all(format!("\\x{b:02x}").as_bytes())?;
                            }
                            rest = &after[n..];
                        }
                    }
                }
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // A character cut off at the very end is written escaped, not lost.
        for b in std::mem::take(&mut self.carry) {
            self.inner.write_all(format!("\\x{b:02x}").as_bytes())?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through(chunks: &[&[u8]]) -> String {
        let mut w = TerminalSafe::new(Vec::new());
        for chunk in chunks {
            w.write_all(chunk).unwrap();
        }
        w.flush().unwrap();
        String::from_utf8(w.inner).unwrap()
    }

    #[test]
    fn escapes_that_would_drive_the_terminal_are_written_visibly() {
        let hostile = "Ars\u{1b}]52;c;cm0gLXJmIH4=\u{7}enal,\u{9b}31m,\u{202e}x\r\n";
        let out = through(&[hostile.as_bytes()]);
        assert_eq!(
            out,
            "Ars\\u001b]52;c;cm0gLXJmIH4=\\u0007enal,\\u009b31m,\\u202ex\\u000d\n"
        );
        assert!(!out.chars().any(|c| c.is_control() && c != '\n'));
    }

    #[test]
    fn a_json_string_stays_the_same_string_to_a_parser() {
        let value = serde_json::json!({"team": "Kano\u{9b}\u{2066}Pillars\tFC"});
        let out = through(&[serde_json::to_string(&value).unwrap().as_bytes()]);
        assert_ne!(out, value.to_string());
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&out).unwrap(),
            value
        );
    }

    #[test]
    fn characters_split_across_writes_and_stray_bytes_survive() {
        let text = "Zoë ⇅ \u{9b}";
        let bytes = text.as_bytes();
        // Split inside every multi-byte character.
        let chunks: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(through(&chunks), "Zoë ⇅ \\u009b");
        assert_eq!(through(&[b"a\xffb"]), "a\\xffb");
        assert_eq!(through(&[b"end\xe2\x87"]), "end\\xe2\\x87");
    }
}
