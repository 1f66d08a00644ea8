//! Acknowledging and unacknowledging: refused on the spot for past alerts, applied to the rows
//! at once (optimistically), and rolled back row by row when the write is refused or fails.

use super::nav;
use crate::domain::AckOutcome;
use crate::domain::{Alert, Status};
use crate::tui::action::Effect;
use crate::tui::state::{Anchor, Overlay, PendingAck, State, refusal_text};

pub(super) fn acknowledge_selected(state: &mut State) -> Vec<Effect> {
    let Some(alert) = state.selected_alert().cloned() else {
        state.say("no alert selected", false);
        return Vec::new();
    };
    match alert.status {
        Status::Past => {
            let why = refusal_text(alert.id, &AckOutcome::EventStarted, true).unwrap_or_default();
            state.say(why, true);
            Vec::new()
        }
        Status::Acknowledged => {
            let by = alert.acknowledged_by.as_deref().unwrap_or("someone");
            state.say(
                format!("alert {} is already acknowledged by {by}", alert.id),
                false,
            );
            Vec::new()
        }
        Status::New => set_status(state, vec![alert.id], true, None),
    }
}

pub(super) fn unacknowledge_selected(state: &mut State) -> Vec<Effect> {
    let Some(alert) = state.selected_alert().cloned() else {
        state.say("no alert selected", false);
        return Vec::new();
    };
    match alert.status {
        Status::Past => {
            let why = refusal_text(alert.id, &AckOutcome::EventStarted, false).unwrap_or_default();
            state.say(why, true);
        }
        Status::New => state.say(format!("alert {} is not acknowledged", alert.id), false),
        Status::Acknowledged => {
            state.overlay = Some(Overlay::Comment {
                ids: vec![alert.id],
                acknowledge: false,
                text: String::new(),
            });
        }
    }
    Vec::new()
}

pub(super) fn acknowledge_marked(state: &mut State) -> Vec<Effect> {
    if !state.marks.is_empty() {
        let ids: Vec<i64> = state.marks.iter().copied().collect();
        return set_status(state, ids, true, None);
    }
    let visible: Vec<i64> = if state.grouped {
        state
            .groups
            .expanded
            .as_ref()
            .map(|(_, alerts)| {
                alerts
                    .iter()
                    .filter(|a| a.status == Status::New)
                    .map(|a| a.id)
                    .collect()
            })
            .unwrap_or_default()
    } else {
        // Only the rows on screen: the trader confirms what they can see.
        let height = state.table_rows();
        let selected = state.list.selected;
        let offset = state
            .list
            .offset
            .min(selected)
            .max((selected + 1).saturating_sub(height));
        state
            .list
            .rows
            .iter()
            .skip(offset)
            .take(height)
            .filter(|a| a.status == Status::New)
            .map(|a| a.id)
            .collect()
    };
    if visible.is_empty() {
        state.say(
            "nothing to acknowledge here (mark alerts with Space)",
            false,
        );
    } else {
        state.overlay = Some(Overlay::ConfirmBulk { ids: visible });
    }
    Vec::new()
}

/// Changes the rows on screen at once (optimistically) and asks for the write; the rows are put
/// back if the write fails or is refused.
pub(super) fn set_status(
    state: &mut State,
    ids: Vec<i64>,
    acknowledge: bool,
    comment: Option<String>,
) -> Vec<Effect> {
    let target = if acknowledge {
        Status::Acknowledged
    } else {
        Status::New
    };
    let mut before = Vec::new();
    for alert in state.alerts_mut() {
        if ids.contains(&alert.id) && alert.status != Status::Past {
            before.push(alert.clone());
            alert.status = target;
            if !acknowledge {
                alert.acknowledged_by = None;
                alert.acknowledged_at = None;
            }
        }
    }
    let op = state.next_op;
    state.next_op += 1;
    state.pending.insert(
        op,
        PendingAck {
            before,
            acknowledge,
        },
    );
    vec![Effect::SetStatus {
        op,
        ids,
        acknowledge,
        comment,
    }]
}

fn restore(state: &mut State, before: &[Alert], only: Option<i64>) {
    for alert in state.alerts_mut() {
        if let Some(old) = before
            .iter()
            .find(|b| b.id == alert.id && only.is_none_or(|id| id == b.id))
        {
            *alert = old.clone();
        }
    }
}

pub(super) fn on_ack_done(
    state: &mut State,
    op: u64,
    result: Result<Vec<(i64, AckOutcome)>, String>,
) -> Vec<Effect> {
    let Some(pending) = state.pending.remove(&op) else {
        return Vec::new();
    };
    let verb = if pending.acknowledge {
        "acknowledge"
    } else {
        "unacknowledge"
    };
    let outcomes = match result {
        Err(e) => {
            restore(state, &pending.before, None);
            state.say(format!("could not {verb}: {e} — nothing was changed"), true);
            return Vec::new();
        }
        Ok(outcomes) => outcomes,
    };
    let mut changed = 0;
    let mut refusals = Vec::new();
    for (id, outcome) in &outcomes {
        match refusal_text(*id, outcome, pending.acknowledge) {
            None => {
                changed += 1;
                state.marks.remove(id);
            }
            Some(why) => {
                restore(state, &pending.before, Some(*id));
                refusals.push(why);
            }
        }
    }
    let done = if pending.acknowledge {
        "acknowledged"
    } else {
        "unacknowledged"
    };
    match (changed, refusals.as_slice()) {
        (_, []) => state.say(format!("{done} {changed} alert(s)"), false),
        (0, [only]) => state.say(only.clone(), true),
        (_, [first, ..]) => state.say(
            format!("{done} {changed}; {} refused — {first}", refusals.len()),
            true,
        ),
    }
    let mut effects = Vec::new();
    if let Some(detail) = &state.detail
        && outcomes.iter().any(|(id, _)| *id == detail.alert.id)
    {
        effects.push(Effect::LoadDetail(Box::new(detail.alert.clone())));
    }
    if !state.frozen {
        effects.extend(nav::reload(state, Anchor::Keep));
    }
    effects
}
