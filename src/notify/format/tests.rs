use serde_json::Value;

use super::*;
use crate::config::Secret;
use crate::domain::Severity;
use crate::domain::testing::AlertBuilder;

fn target(format: NotifyFormat) -> NotifyTarget {
    NotifyTarget {
        name: "desk".into(),
        format,
        url: Secret::new("http://127.0.0.1:9/hook"),
        secret: Secret::new("k"),
        chat_id: "-100123".into(),
    }
}

fn alert() -> Alert {
    AlertBuilder::new()
        .teams("Arsenal <!channel>", "Chelsea & Co", Some("Premier League"))
        .severity(Severity::Critical)
        .prices(2.0, 2.3)
        .stored(7)
}

fn parse(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).unwrap()
}

#[test]
fn the_generic_body_is_the_api_alert_plus_the_event() {
    let a = alert();
    let body = parse(&body(
        &target(NotifyFormat::Generic),
        &a,
        NoticeKind::Escalated,
    ));
    assert_eq!(body["event"], "escalated");
    let api = serde_json::to_value(AlertJson::from(&a)).unwrap();
    for (field, value) in api.as_object().unwrap() {
        assert_eq!(&body[field], value, "field {field}");
    }
    assert_eq!(
        body.as_object().unwrap().len(),
        api.as_object().unwrap().len() + 1
    );
}

#[test]
fn the_slack_body_has_text_and_blocks_and_escapes_mentions() {
    let body = parse(&body(
        &target(NotifyFormat::Slack),
        &alert(),
        NoticeKind::New,
    ));
    let text = body["text"].as_str().unwrap();
    assert!(
        text.starts_with("New critical alert: CRITICAL price_change"),
        "{text}"
    );
    assert!(
        text.contains("Arsenal &lt;!channel&gt; v Chelsea &amp; Co"),
        "{text}"
    );
    assert!(!text.contains("<!channel>"), "{text}");
    let section = body["blocks"][0]["text"]["text"].as_str().unwrap();
    assert!(section.starts_with("*New critical alert*\n"), "{section}");
    assert!(!section.contains("<!channel>"));
    let context = body["blocks"][1]["elements"][0]["text"].as_str().unwrap();
    assert!(context.contains("alert #7"), "{context}");
}

#[test]
fn the_telegram_body_is_send_message_with_the_chat_and_plain_text() {
    let body = parse(&body(
        &target(NotifyFormat::Telegram),
        &alert(),
        NoticeKind::Reopened,
    ));
    assert_eq!(body["chat_id"], "-100123");
    let text = body["text"].as_str().unwrap();
    assert!(
        text.starts_with("Re-opened as critical\nCRITICAL price_change"),
        "{text}"
    );
    assert!(
        text.contains("Arsenal <!channel> v Chelsea & Co"),
        "plain text: {text}"
    );
    assert!(body.get("parse_mode").is_none());
}

#[test]
fn a_control_character_in_a_name_cannot_break_the_line() {
    let a = AlertBuilder::new()
        .teams("Evil\u{1b}[2J\nFC", "B\u{202e}", None)
        .stored(1);
    for format in NotifyFormat::ALL {
        let body = parse(&body(&target(*format), &a, NoticeKind::New));
        let text = if *format == NotifyFormat::Generic {
            continue;
        } else {
            body["text"].as_str().unwrap().to_string()
        };
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{format}: {text:?}"
        );
    }
}

#[test]
fn the_test_message_names_the_target_in_each_format() {
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-07T10:00:00Z")
        .unwrap()
        .to_utc();
    for format in NotifyFormat::ALL {
        let body = parse(&test_body(&target(*format), "host1", at));
        let text = body["text"].as_str().unwrap();
        assert!(
            text.contains("\"desk\"") && text.contains("host1"),
            "{text}"
        );
    }
}
