//! The effects task: carries out what `update` asked for (queries and writes through the alert
//! service) and reports each result back as an action. Every effect runs in its own task, so a
//! slow stats query never holds up a page load, and nothing here is awaited by the UI task.

use chrono::Duration;
use tokio::sync::mpsc;

use super::action::{Action, DetailData, Effect, StatsData};
use crate::domain::{Alert, Page};
use crate::health::PipelineCommand;
use crate::service::AlertService;

/// Price history shown in the detail chart: this far back, at most this many rows.
const HISTORY_HOURS: i64 = 48;
const HISTORY_ROWS: u32 = 2_000;
/// Events listed under "top events".
const TOP_EVENTS: u32 = 5;
/// Groups listed in the grouped view.
const GROUPS: u32 = 200;
/// Alerts shown under an expanded group.
const GROUP_ALERTS: u32 = 50;

/// What the effects task needs.
#[derive(Clone)]
pub struct EffectRunner {
    /// The alert service.
    pub service: AlertService,
    /// The pipeline's command channel, when it runs in this process.
    pub pipeline: Option<mpsc::Sender<PipelineCommand>>,
    /// Where results go.
    pub results: mpsc::UnboundedSender<Action>,
}

impl EffectRunner {
    /// Runs effects from `effects` until the channel closes.
    pub async fn run(self, mut effects: mpsc::UnboundedReceiver<Effect>) {
        while let Some(effect) = effects.recv().await {
            let runner = self.clone();
            tokio::spawn(async move {
                if let Some(action) = runner.execute(effect).await {
                    // The UI may have quit meanwhile; then nobody needs the answer.
                    let _ = runner.results.send(action);
                }
            });
        }
    }

    /// Carries out one effect; the action to report, if any.
    pub async fn execute(&self, effect: Effect) -> Option<Action> {
        let service = &self.service;
        let text = |e: &dyn std::fmt::Display| e.to_string();
        match effect {
            Effect::LoadPage { seq, query } => {
                // Rows only: the window is one indexed range read. The per-status counts, which
                // read every matching alert, are a separate effect so they never hold it up.
                let result = service
                    .window(&query.filter, query.sort, &query.page)
                    .await
                    .map_err(|e| text(&e));
                Some(Action::PageLoaded { seq, result })
            }
            Effect::LoadCounts { seq, filter } => {
                let result = service.status_counts(&filter).await.map_err(|e| text(&e));
                Some(Action::CountsLoaded { seq, result })
            }
            Effect::LoadGroups { seq, filter } => {
                let result = service
                    .event_groups(&filter, GROUPS)
                    .await
                    .map_err(|e| text(&e));
                Some(Action::GroupsLoaded { seq, result })
            }
            Effect::LoadGroupAlerts { filter, sort } => {
                let event_id = filter.event_id.unwrap_or_default();
                let result = service
                    .list(&filter, sort, &Page::first(GROUP_ALERTS))
                    .await
                    .map(|p| p.alerts)
                    .map_err(|e| text(&e));
                Some(Action::GroupAlertsLoaded { event_id, result })
            }
            Effect::LoadStats => Some(Action::StatsLoaded(self.stats().await)),
            Effect::LoadNotify => {
                let result = service.notify_status().await;
                if let Err(e) = &result {
                    tracing::warn!(error = %e, "cannot read the notification targets");
                }
                Some(Action::NotifyLoaded(result.map_err(|e| text(&e))))
            }
            Effect::LoadTeam => {
                let result = service.team_status().await.map(|team| team.summary());
                if let Err(e) = &result {
                    // The header shows `team: ?`; the reason goes to the log.
                    tracing::warn!(error = %e, "cannot read the scraper team");
                }
                Some(Action::TeamLoaded(result.map_err(|e| text(&e))))
            }
            Effect::LoadDetail(alert) => {
                let alert_id = alert.id;
                Some(Action::DetailLoaded {
                    alert_id,
                    result: self.detail(&alert).await,
                })
            }
            Effect::SetStatus {
                op,
                ids,
                acknowledge,
                comment,
            } => {
                let result = if acknowledge {
                    service.acknowledge(&ids, comment.as_deref()).await
                } else {
                    service.unacknowledge(&ids, comment.as_deref()).await
                };
                if let Err(e) = &result {
                    tracing::warn!(error = %e, "acknowledgement failed");
                }
                Some(Action::AckDone {
                    op,
                    result: result.map_err(|e| text(&e)),
                })
            }
            Effect::LoadSettings => Some(Action::SettingsLoaded(
                service.settings().await.map_err(|e| text(&e)),
            )),
            Effect::SaveSettings(values) => Some(Action::SettingsSaved(
                service.save_settings(&values).await.map_err(|e| text(&e)),
            )),
            Effect::CreateSilence(silence) => Some(Action::SilenceCreated(
                service.create_silence(silence).await.map_err(|e| text(&e)),
            )),
            Effect::LoadSilences { seq, include_ended } => Some(Action::SilencesLoaded {
                seq,
                result: service.silences(include_ended).await.map_err(|e| text(&e)),
            }),
            Effect::EditSilence { id, edit } => Some(Action::SilenceChanged(
                service.edit_silence(id, edit).await.map_err(|e| text(&e)),
            )),
            Effect::ExpireSilence(id) => Some(Action::SilenceChanged(
                service.expire_silence(id).await.map_err(|e| text(&e)),
            )),
            Effect::Pipeline(command) => {
                if let Some(tx) = &self.pipeline
                    && tx.send(command).await.is_err()
                {
                    tracing::warn!(?command, "the pipeline is gone; command dropped");
                }
                None
            }
            Effect::LoadBoard { seq, event_id } => Some(Action::BoardLoaded {
                seq,
                result: service.market_board(event_id).await.map_err(|e| text(&e)),
            }),
            Effect::LoadMarketHistory {
                seq,
                event_id,
                market_id,
                line,
            } => Some(Action::MarketHistoryLoaded {
                seq,
                result: service
                    .market_history(
                        event_id,
                        &market_id,
                        line,
                        Duration::hours(HISTORY_HOURS),
                        HISTORY_ROWS,
                    )
                    .await
                    .map_err(|e| text(&e)),
            }),
            Effect::LoadViews => Some(Action::ViewsLoaded(
                service.views().await.map_err(|e| text(&e)),
            )),
            Effect::SaveView { name, spec } => Some(Action::ViewSaved(
                service.save_view(&name, &spec).await.map_err(|e| text(&e)),
            )),
            Effect::DeleteView(name) => {
                let result = service.delete_view(&name).await.map_err(|e| text(&e));
                Some(Action::ViewDeleted { name, result })
            }
            // The UI task handles these itself (they touch the terminal or the loop).
            Effect::Bell | Effect::Quit | Effect::Copy(_) => None,
        }
    }

    /// The stats panel's three queries, timed together: the UI throttles stats by this cost.
    async fn stats(&self) -> Result<StatsData, String> {
        let started = std::time::Instant::now();
        let totals = self.service.stats().await.map_err(|e| e.to_string())?;
        let per_minute = self
            .service
            .alerts_per_minute()
            .await
            .map_err(|e| e.to_string())?;
        let top_events = self
            .service
            .top_open_events(TOP_EVENTS)
            .await
            .map_err(|e| e.to_string())?;
        Ok(StatsData {
            totals,
            per_minute,
            top_events,
            took_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }

    async fn detail(&self, alert: &Alert) -> Result<DetailData, String> {
        let service = &self.service;
        let audit = service.audit(alert.id).await.map_err(|e| e.to_string())?;
        let odds = service
            .market_odds(alert)
            .await
            .map_err(|e| e.to_string())?;
        let history = service
            .price_history(alert, Duration::hours(HISTORY_HOURS), HISTORY_ROWS)
            .await
            .map_err(|e| e.to_string())?;
        let occurrences = service
            .occurrences(alert.id)
            .await
            .map_err(|e| e.to_string())?;
        Ok(DetailData {
            audit,
            odds,
            history,
            occurrences,
        })
    }
}
