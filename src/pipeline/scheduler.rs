//! Cycle scheduling: one cycle every interval (start to start), never two at once; an
//! overrunning cycle delays the next one and is reported as such; pause, resume and run-now
//! from a UI; a clean stop on shutdown. The cycle itself is behind [`CycleRunner`] so the
//! schedule is tested on a paused clock without any I/O.

use std::time::Duration;

use chrono::Utc;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

use crate::health::{BookHealth, PipelineCommand, PipelineState, PipelineStatus};

/// What one cycle reports to the scheduler.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CycleReport {
    /// Alerts raised.
    pub alerts: u64,
    /// Per-book health after the cycle.
    pub books: Vec<BookHealth>,
}

/// Runs one cycle. `stop` turns `true` when the process is shutting down: a runner should stop
/// starting new work, finish what is in flight and return.
pub trait CycleRunner {
    /// Hands the runner the status channel, so it can publish health while a cycle runs (the
    /// scheduler itself publishes at each cycle's end). Called once, before the first cycle.
    fn attach_status(&mut self, status: watch::Sender<PipelineStatus>) {
        let _ = status;
    }

    /// Runs cycle number `cycle` (1-based).
    fn run(
        &mut self,
        cycle: u64,
        stop: watch::Receiver<bool>,
    ) -> impl std::future::Future<Output = CycleReport> + Send;
}

/// Runs cycles until `stop` turns `true`, publishing status on `status` and obeying `commands`.
/// Returns the number of cycles run.
pub async fn run_schedule<R: CycleRunner>(
    runner: &mut R,
    interval: Duration,
    status: watch::Sender<PipelineStatus>,
    mut commands: mpsc::Receiver<PipelineCommand>,
    mut stop: watch::Receiver<bool>,
) -> u64 {
    let mut cycles = 0;
    let mut paused = false;
    let mut next_due = Instant::now();
    runner.attach_status(status.clone());
    status.send_modify(|s| s.state = PipelineState::Running);
    loop {
        if *stop.borrow() {
            break;
        }
        let due = tokio::time::sleep_until(next_due);
        tokio::select! {
            biased;
            _ = stop.changed() => continue,
            Some(command) = commands.recv() => {
                match command {
                    PipelineCommand::Pause => paused = true,
                    PipelineCommand::Resume => {
                        paused = false;
                        next_due = next_due.max(Instant::now());
                    }
                    PipelineCommand::RunNow => {
                        paused = false;
                        next_due = Instant::now();
                    }
                }
                status.send_modify(|s| {
                    s.state = if paused { PipelineState::Paused } else { PipelineState::Running };
                    s.next_cycle_at = (!paused).then(|| to_wall(next_due));
                });
            }
            () = due, if !paused => {
                cycles += 1;
                let started = Instant::now();
                let started_wall = Utc::now();
                let report = runner.run(cycles, stop.clone()).await;
                let took = started.elapsed();
                let overran = took > interval;
                // Start to start; an overrun starts the next cycle at once, never two at once.
                next_due = (started + interval).max(Instant::now());
                status.send_modify(|s| {
                    s.cycles = cycles;
                    s.last_cycle_at = Some(started_wall);
                    s.last_cycle_ms = Some(took.as_millis() as u64);
                    s.last_cycle_alerts = report.alerts;
                    s.overran = overran;
                    s.books = report.books;
                    s.next_cycle_at = (!paused).then(|| to_wall(next_due));
                });
                if overran {
                    tracing::warn!(took_ms = took.as_millis() as u64, interval_ms = interval.as_millis() as u64, "cycle overran its interval; the next one starts now");
                }
            }
        }
    }
    status.send_modify(|s| s.state = PipelineState::Stopped);
    cycles
}

fn to_wall(at: Instant) -> chrono::DateTime<Utc> {
    let ahead = at.saturating_duration_since(Instant::now());
    Utc::now() + chrono::Duration::from_std(ahead).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A runner whose cycles take a scripted time, recording when each started.
    struct Scripted {
        durations: Vec<Duration>,
        starts: Vec<Instant>,
        origin: Instant,
    }

    impl CycleRunner for Scripted {
        async fn run(&mut self, cycle: u64, _stop: watch::Receiver<bool>) -> CycleReport {
            self.starts.push(Instant::now());
            let d = self
                .durations
                .get(cycle as usize - 1)
                .copied()
                .unwrap_or(Duration::from_secs(1));
            tokio::time::sleep(d).await;
            CycleReport {
                alerts: cycle,
                books: vec![],
            }
        }
    }

    impl Scripted {
        fn offsets(&self) -> Vec<u64> {
            self.starts
                .iter()
                .map(|s| (*s - self.origin).as_secs())
                .collect()
        }
    }

    struct Harness {
        status: watch::Receiver<PipelineStatus>,
        commands: mpsc::Sender<PipelineCommand>,
        stop: watch::Sender<bool>,
        task: tokio::task::JoinHandle<(u64, Scripted)>,
    }

    fn start(durations: Vec<Duration>, interval: Duration) -> Harness {
        let (status_tx, status) = watch::channel(PipelineStatus::default());
        let (commands, rx) = mpsc::channel(8);
        let (stop, stop_rx) = watch::channel(false);
        let mut runner = Scripted {
            durations,
            starts: vec![],
            origin: Instant::now(),
        };
        let task = tokio::spawn(async move {
            let n = run_schedule(&mut runner, interval, status_tx, rx, stop_rx).await;
            (n, runner)
        });
        Harness {
            status,
            commands,
            stop,
            task,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn cycles_start_on_the_interval_measured_start_to_start() {
        let h = start(vec![Duration::from_secs(3); 10], Duration::from_secs(10));
        tokio::time::sleep(Duration::from_secs(35)).await;
        h.stop.send(true).unwrap();
        let (n, runner) = h.task.await.unwrap();
        assert_eq!(runner.offsets(), vec![0, 10, 20, 30]);
        assert_eq!(n, 4);
        assert_eq!(h.status.borrow().state, PipelineState::Stopped);
    }

    #[tokio::test(start_paused = true)]
    async fn an_overrunning_cycle_delays_the_next_and_is_reported() {
        let h = start(
            vec![
                Duration::from_secs(15),
                Duration::from_secs(2),
                Duration::from_secs(2),
            ],
            Duration::from_secs(10),
        );
        tokio::time::sleep(Duration::from_secs(16)).await;
        assert!(
            h.status.borrow().overran,
            "the first cycle took 15 s of a 10 s interval"
        );
        assert_eq!(h.status.borrow().last_cycle_ms, Some(15_000));
        tokio::time::sleep(Duration::from_secs(12)).await;
        assert!(!h.status.borrow().overran);
        h.stop.send(true).unwrap();
        let (_, runner) = h.task.await.unwrap();
        // Never two at once: the second starts when the first ends, the third an interval later.
        assert_eq!(runner.offsets(), vec![0, 15, 25]);
    }

    #[tokio::test(start_paused = true)]
    async fn pause_stops_new_cycles_and_run_now_starts_one_at_once() {
        let h = start(vec![Duration::from_secs(1); 10], Duration::from_secs(10));
        tokio::time::sleep(Duration::from_secs(2)).await;
        h.commands.send(PipelineCommand::Pause).await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert_eq!(h.status.borrow().state, PipelineState::Paused);
        assert_eq!(h.status.borrow().cycles, 1, "no cycle while paused");
        h.commands.send(PipelineCommand::RunNow).await.unwrap();
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(h.status.borrow().state, PipelineState::Running);
        h.stop.send(true).unwrap();
        let (_, runner) = h.task.await.unwrap();
        assert_eq!(runner.offsets(), vec![0, 32]);
    }
}
