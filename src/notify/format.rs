//! The bodies a target receives, one per [`NotifyFormat`]: the API's alert JSON plus `event`
//! (generic), Slack's `text`/`blocks`, Telegram's `sendMessage`. Pure.
//!
//! Names come from bookmaker feeds and may hold anything: the text is the one line `y` copies
//! (control and bidi characters escaped), and for Slack `&`, `<` and `>` are escaped as Slack
//! asks, so a team name cannot ping a channel or forge a link. Telegram gets plain text (no
//! parse mode), where nothing is markup.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;

use crate::config::{NotifyFormat, NotifyTarget};
use crate::domain::{Alert, AlertJson, NoticeKind};

/// The generic body: the API's alert plus why it is sent.
#[derive(Serialize)]
struct Generic<'a> {
    event: &'a str,
    #[serde(flatten)]
    alert: AlertJson,
}

/// `New critical alert`, `Escalated to critical`, `Re-opened as critical`.
pub fn headline(alert: &Alert, kind: NoticeKind) -> String {
    match kind {
        NoticeKind::New => format!("New {} alert", alert.severity),
        NoticeKind::Escalated => format!("Escalated to {}", alert.severity),
        NoticeKind::Reopened => format!("Re-opened as {}", alert.severity),
    }
}

/// The body announcing `alert` to `target`.
pub fn body(target: &NotifyTarget, alert: &Alert, kind: NoticeKind) -> Vec<u8> {
    let value = match target.format {
        NotifyFormat::Generic => serde_json::to_value(Generic {
            event: kind.as_str(),
            alert: AlertJson::from(alert),
        })
        .expect("an alert serialises"),
        NotifyFormat::Slack => {
            let title = headline(alert, kind);
            let line = crate::tui::clip::line(alert);
            json!({
                "text": slack_escape(&format!("{title}: {line}")),
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": slack_escape_bold(&title, &line)}},
                    {"type": "context", "elements": [{"type": "mrkdwn", "text": slack_escape(&format!("oddswatch · alert #{} · event {}", alert.id, alert.sr_id))}]}
                ]
            })
        }
        NotifyFormat::Telegram => json!({
            "chat_id": target.chat_id,
            "text": format!("{}\n{}", headline(alert, kind), crate::tui::clip::line(alert)),
            "disable_web_page_preview": true,
        }),
    };
    serde_json::to_vec(&value).expect("JSON serialises")
}

/// The body of `oddswatch notify test`: says who sent it and when, in the target's format.
pub fn test_body(target: &NotifyTarget, from: &str, at: DateTime<Utc>) -> Vec<u8> {
    let text = format!(
        "oddswatch test message from {from} at {}: notifications to {:?} work",
        at.format("%Y-%m-%d %H:%M:%S UTC"),
        target.name
    );
    let value = match target.format {
        NotifyFormat::Generic => json!({"event": "test", "text": text}),
        NotifyFormat::Slack => json!({"text": slack_escape(&text)}),
        NotifyFormat::Telegram => json!({"chat_id": target.chat_id, "text": text}),
    };
    serde_json::to_vec(&value).expect("JSON serialises")
}

/// Slack's three control characters escaped (its message formatting rules).
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn slack_escape_bold(title: &str, line: &str) -> String {
    // `*` inside a name would end the bold early: it is only used around our own title.
    format!("*{}*\n{}", slack_escape(title), slack_escape(line))
}

#[cfg(test)]
mod tests;
