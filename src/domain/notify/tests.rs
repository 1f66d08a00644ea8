use super::*;

fn notice(id: i64, severity: Severity, alert_type: AlertType, book: &str) -> Notice {
    Notice {
        alert_id: id,
        kind: NoticeKind::New,
        severity,
        alert_type,
        bookmaker: book.into(),
        silenced: false,
    }
}

fn rule(target: &str, min: Severity) -> NotifyRule {
    NotifyRule {
        target: target.into(),
        min_severity: min,
        types: vec![],
        books: vec![],
    }
}

#[test]
fn a_rule_matches_severity_at_least_and_its_types_and_books() {
    let mut r = rule("desk", Severity::Elevated);
    let warning = notice(1, Severity::Warning, AlertType::PriceChange, "betpawa");
    let elevated = notice(2, Severity::Elevated, AlertType::PriceChange, "betpawa");
    let critical = notice(3, Severity::Critical, AlertType::OffMarket, "sportybet");
    assert!(!r.matches(&warning));
    assert!(r.matches(&elevated));
    assert!(r.matches(&critical));

    r.types = vec![AlertType::OffMarket];
    assert!(!r.matches(&elevated), "price_change is not among the types");
    assert!(r.matches(&critical));

    r.books = vec!["betpawa".into()];
    assert!(!r.matches(&critical), "sportybet is not among the books");
    r.books = vec!["betpawa".into(), "sportybet".into()];
    assert!(r.matches(&critical));
}

#[test]
fn a_silenced_alert_is_never_routed() {
    let mut n = notice(1, Severity::Critical, AlertType::OffMarket, "betpawa");
    n.silenced = true;
    assert!(!rule("desk", Severity::Warning).matches(&n));
    assert!(route(&[rule("desk", Severity::Warning)], &[n]).is_empty());
}

#[test]
fn routing_sends_one_delivery_per_alert_kind_and_target() {
    let rules = [
        rule("desk", Severity::Warning),
        rule("desk", Severity::Critical),
        rule("pager", Severity::Critical),
    ];
    let notices = [
        notice(7, Severity::Critical, AlertType::PriceChange, "betpawa"),
        notice(8, Severity::Warning, AlertType::PriceChange, "betpawa"),
    ];
    let routed: Vec<(i64, String)> = route(&rules, &notices)
        .into_iter()
        .map(|d| (d.alert_id, d.target))
        .collect();
    assert_eq!(
        routed,
        vec![(7, "desk".into()), (7, "pager".into()), (8, "desk".into())]
    );
}

#[test]
fn an_escalation_is_routed_by_the_severity_it_reached() {
    let mut n = notice(9, Severity::Critical, AlertType::PriceChange, "betpawa");
    n.kind = NoticeKind::Escalated;
    let routed = route(&[rule("desk", Severity::Critical)], &[n]);
    assert_eq!(routed.len(), 1);
    assert_eq!(routed[0].kind, NoticeKind::Escalated);
    assert_eq!(routed[0].severity, Severity::Critical);
}

#[test]
fn retries_come_at_once_then_after_30_s_5_min_and_hourly() {
    let secs: Vec<u64> = (1..=7).map(|f| retry_delay(f).as_secs()).collect();
    assert_eq!(secs, vec![0, 30, 300, 3600, 3600, 3600, 3600]);
}

#[test]
fn a_target_pauses_after_its_failures_in_a_row_unless_pausing_is_off() {
    assert!(!pauses(4, DEFAULT_PAUSE_AFTER));
    assert!(pauses(5, DEFAULT_PAUSE_AFTER));
    assert!(!pauses(500, 0), "pause_after = 0 never pauses");
}

#[test]
fn the_signature_is_hmac_sha256_of_time_dot_body_in_hex() {
    // Expected value computed independently (Python's hmac module) for this key, time and body.
    let header = signature(b"whsec_test", 1_765_000_000, br#"{"hello":"desk"}"#);
    assert_eq!(
        header,
        "t=1765000000,v1=e9ad909d9c8f52c2fd842d244cf7355eef24b4fa0c0f21a896238a94dfd5bda5"
    );
}

#[test]
fn verify_accepts_the_signature_and_refuses_a_changed_body_key_or_old_time() {
    let body = br#"{"event":"new"}"#;
    let header = signature(b"k1", 1_000, body);
    assert_eq!(verify(b"k1", &header, body, 1_010, 300), Ok(()));
    assert_eq!(
        verify(b"k1", &header, br#"{"event":"nEw"}"#, 1_010, 300),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(b"k2", &header, body, 1_010, 300),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verify(b"k1", &header, body, 2_000, 300),
        Err(SignatureError::Stale(1_000))
    );
    assert_eq!(
        verify(b"k1", "v1=00", body, 1_000, 300),
        Err(SignatureError::Malformed)
    );
}
