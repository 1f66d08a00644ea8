//! Moving through the alert list and (re)loading its window: the keyset-paging half of
//! `update`. Pure state changes that return the queries to run.

use crate::domain::Page;
use crate::service::cursor_of;
use crate::tui::action::{Effect, ListQuery};
use crate::tui::state::{Anchor, GroupRow, PAGE_LIMIT, PageStart, State};

/// The page request for a window start.
fn page_of(start: &PageStart) -> Page {
    match start {
        PageStart::After(cursor) => Page {
            limit: PAGE_LIMIT,
            offset: 0,
            after: cursor.clone(),
            backwards: false,
        },
        PageStart::Before(cursor) => Page {
            limit: PAGE_LIMIT,
            offset: 0,
            after: cursor.clone(),
            backwards: true,
        },
    }
}

/// Seconds between two counts requests caused by data changes (a count reads every matching
/// alert; filter changes are counted at once).
const COUNTS_EVERY_SECS: i64 = 2;

fn page_query(state: &State) -> Effect {
    let start = state
        .list
        .pages
        .last()
        .cloned()
        .unwrap_or(PageStart::After(None));
    Effect::LoadPage {
        seq: state.list.seq,
        query: ListQuery {
            filter: state.filter(),
            sort: state.sort,
            page: page_of(&start),
        },
    }
}

fn groups_query(state: &State) -> Effect {
    Effect::LoadGroups {
        seq: state.groups.seq,
        filter: state.filter(),
    }
}

/// Re-queries the current window (and the groups in grouped view), keeping the selection by
/// `anchor`. Nothing is queried beyond the window on screen, and at most one query of each kind
/// runs at a time: a request made while one runs waits for it and then asks for the newest
/// state, so a burst of keystrokes costs two queries, not one per key.
pub fn reload(state: &mut State, anchor: Anchor) -> Vec<Effect> {
    let mut effects = Vec::new();
    state.list.seq += 1;
    state.list.anchor = anchor;
    if state.list.in_flight {
        state.list.queued = true;
    } else {
        state.list.in_flight = true;
        effects.push(page_query(state));
    }
    let wanted = state.counts_filter().without_statuses();
    let filter_changed = state.list.counted.as_ref() != Some(&wanted);
    if filter_changed {
        state.list.counts_stale = true;
    }
    effects.extend(request_counts(state, filter_changed));
    if state.grouped {
        state.groups.seq += 1;
        if state.groups.in_flight {
            state.groups.queued = true;
        } else {
            state.groups.in_flight = true;
            effects.push(groups_query(state));
        }
        if let Some((event_id, _)) = &state.groups.expanded {
            effects.push(group_alerts(state, *event_id));
        }
    }
    effects
}

/// Asks for per-status counts when they are stale and none are being counted; unless
/// `immediate`, not more often than every [`COUNTS_EVERY_SECS`].
pub fn request_counts(state: &mut State, immediate: bool) -> Option<Effect> {
    let list = &mut state.list;
    if !list.counts_stale || list.counts_in_flight {
        return None;
    }
    let due = list
        .counts_requested
        .is_none_or(|at| state.now - at >= chrono::Duration::seconds(COUNTS_EVERY_SECS));
    if !immediate && !due {
        return None;
    }
    let filter = state.counts_filter();
    let list = &mut state.list;
    list.counts_stale = false;
    list.counts_in_flight = true;
    list.counts_seq += 1;
    list.counted = Some(filter.without_statuses());
    list.counts_requested = Some(state.now);
    Some(Effect::LoadCounts {
        seq: list.counts_seq,
        filter,
    })
}

/// A window query answered: the next waiting one, if any, is due.
pub fn page_answered(state: &mut State) -> Option<Effect> {
    state.list.in_flight = false;
    if state.list.queued {
        state.list.queued = false;
        state.list.in_flight = true;
        return Some(page_query(state));
    }
    None
}

/// A groups query answered: the next waiting one, if any, is due.
pub fn groups_answered(state: &mut State) -> Option<Effect> {
    state.groups.in_flight = false;
    if state.groups.queued {
        state.groups.queued = false;
        state.groups.in_flight = true;
        return Some(groups_query(state));
    }
    None
}

/// Applies counts if they are for the filter on screen, and asks again if it changed meanwhile.
pub fn apply_counts(
    state: &mut State,
    seq: u64,
    counts: crate::domain::StatusCounts,
) -> Option<Effect> {
    state.list.counts_in_flight = false;
    let wanted = state.counts_filter().without_statuses();
    let current = state.list.counted.as_ref() == Some(&wanted);
    if seq == state.list.counts_seq && current {
        state.list.counts = counts;
    } else {
        state.list.counts_stale = true;
    }
    request_counts(state, !current)
}

/// The query for an expanded group's alerts.
pub fn group_alerts(state: &State, event_id: i64) -> Effect {
    let mut filter = state.filter();
    filter.event_id = Some(event_id);
    Effect::LoadGroupAlerts {
        filter,
        sort: state.sort,
    }
}

/// Back to the top of the list after a filter, tab or sort change.
pub fn restart(state: &mut State) -> Vec<Effect> {
    state.list.pages = vec![PageStart::After(None)];
    state.list.first_row = 0;
    state.list.selected = 0;
    state.list.offset = 0;
    state.groups.selected = 0;
    state.groups.offset = 0;
    state.groups.expanded = None;
    reload(state, Anchor::First)
}

/// Keeps the selected row on screen, and the screen full while the window has the rows: a
/// view that followed the selection down (arrivals above it) stops at the window's end rather
/// than showing blank lines below its last row.
pub fn clamp_offset(state: &mut State) {
    let height = state.table_rows();
    let len = if state.grouped {
        state.group_rows().len()
    } else {
        state.list.rows.len()
    };
    let (selected, offset) = if state.grouped {
        (&mut state.groups.selected, &mut state.groups.offset)
    } else {
        (&mut state.list.selected, &mut state.list.offset)
    };
    if *selected < *offset {
        *offset = *selected;
    } else if *selected >= *offset + height {
        *offset = *selected + 1 - height;
    }
    // Lowering the offset keeps the selection visible: it is below `len`.
    *offset = (*offset).min(len.saturating_sub(height));
}

/// Moves the selection by `delta` rows, loading the next or previous window at the edges.
pub fn move_by(state: &mut State, delta: isize) -> Vec<Effect> {
    if state.grouped {
        let len = state.group_rows().len();
        if len > 0 {
            let target = state.groups.selected as isize + delta;
            state.groups.selected = target.clamp(0, len as isize - 1) as usize;
            clamp_offset(state);
        }
        return Vec::new();
    }
    let len = state.list.rows.len();
    let target = state.list.selected as isize + delta;
    if target >= len as isize {
        if let Some(cursor) = state.list.next_cursor.clone() {
            state.list.first_row += len as u64;
            state.list.pages.push(PageStart::After(Some(cursor)));
            return reload(state, Anchor::First);
        }
        state.list.selected = len.saturating_sub(1);
    } else if target < 0 {
        if state.list.pages.len() > 1 {
            state.list.pages.pop();
            state.list.first_row = state.list.first_row.saturating_sub(u64::from(PAGE_LIMIT));
            return reload(state, Anchor::Last);
        }
        if let Some(PageStart::Before(_)) = state.list.pages.last()
            && state.list.first_row > 0
            && let Some(first) = state.list.rows.first()
        {
            // A window ending just above the current one: the anchor is its last row.
            state.list.pages = vec![PageStart::Before(Some(cursor_of(first)))];
            state.list.first_row = state.list.first_row.saturating_sub(u64::from(PAGE_LIMIT));
            return reload(state, Anchor::Last);
        }
        state.list.selected = 0;
    } else {
        state.list.selected = target as usize;
    }
    clamp_offset(state);
    Vec::new()
}

/// The first row of the whole list.
pub fn top(state: &mut State) -> Vec<Effect> {
    if state.grouped {
        state.groups.selected = 0;
        clamp_offset(state);
        return Vec::new();
    }
    if state.list.pages.len() > 1 || state.list.first_row > 0 {
        return restart(state);
    }
    state.list.selected = 0;
    clamp_offset(state);
    Vec::new()
}

/// The last row of the whole list (the index read backwards when it is beyond the window).
pub fn bottom(state: &mut State) -> Vec<Effect> {
    if state.grouped {
        state.groups.selected = state.group_rows().len().saturating_sub(1);
        clamp_offset(state);
        return Vec::new();
    }
    if state.list.next_cursor.is_some() {
        let shown_silenced = if state.show_silenced {
            state.list.counts.silenced
        } else {
            0
        };
        let total = state.tab.count(&state.list.counts) + shown_silenced;
        state.list.pages = vec![PageStart::Before(None)];
        state.list.first_row = total.saturating_sub(u64::from(PAGE_LIMIT));
        return reload(state, Anchor::Last);
    }
    state.list.selected = state.list.rows.len().saturating_sub(1);
    clamp_offset(state);
    Vec::new()
}

/// Applies a loaded window: rows, counts, and the selection by the pending anchor. With
/// [`Anchor::Keep`] the selected alert stays selected and on the same screen line when rows
/// arrive above it.
pub fn apply_page(state: &mut State, page: crate::tui::action::PageRows) {
    let old_id = state.list.rows.get(state.list.selected).map(|a| a.id);
    let old_index = state.list.selected;
    state.list.rows = page.alerts;
    state.list.next_cursor = page.next_cursor;
    state.list.loaded = true;
    let len = state.list.rows.len();
    match state.list.anchor {
        Anchor::First => {
            state.list.selected = 0;
            state.list.offset = 0;
        }
        Anchor::Last => {
            state.list.selected = len.saturating_sub(1);
            state.list.offset = len.saturating_sub(state.table_rows());
        }
        Anchor::Keep => {
            match old_id.and_then(|id| state.list.rows.iter().position(|a| a.id == id)) {
                Some(pos) => {
                    // A window showing the top of the list keeps showing it, so arrivals
                    // appear above the selected alert (which stays selected); elsewhere the
                    // window follows the selection so the row does not jump on screen.
                    let at_top = state.list.offset == 0 && pos < state.table_rows();
                    if !at_top {
                        let shift = pos as isize - old_index as isize;
                        state.list.offset = (state.list.offset as isize + shift).max(0) as usize;
                    }
                    state.list.selected = pos;
                }
                None => state.list.selected = old_index.min(len.saturating_sub(1)),
            }
        }
    }
    // Later answers for the same request keep the selection where the trader left it.
    state.list.anchor = Anchor::Keep;
    if let Some(detail) = &mut state.detail
        && let Some(row) = state.list.rows.iter().find(|a| a.id == detail.alert.id)
    {
        detail.alert = row.clone();
    }
    clamp_offset(state);
}

/// Applies loaded groups, keeping the selected group when it is still there.
pub fn apply_groups(state: &mut State, groups: Vec<crate::domain::EventGroup>) {
    let old = state.selected_group().map(|g| g.event_id);
    let old_row = state.group_rows().get(state.groups.selected).copied();
    state.groups.groups = groups;
    state.groups.loaded = true;
    if let Some((event, _)) = &state.groups.expanded
        && !state.groups.groups.iter().any(|g| g.event_id == *event)
    {
        state.groups.expanded = None;
    }
    let rows = state.group_rows();
    let position = old.and_then(|event| {
        rows.iter().position(|r| match (r, old_row) {
            (GroupRow::Group(i), Some(GroupRow::Group(_))) => {
                state.groups.groups[*i].event_id == event
            }
            _ => false,
        })
    });
    state.groups.selected =
        position.unwrap_or(state.groups.selected.min(rows.len().saturating_sub(1)));
    clamp_offset(state);
}
