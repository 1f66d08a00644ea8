//! The read side at scale: list, stats and acknowledge latencies through the alert service.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::domain::{AlertFilter, AlertSort, Page, Severity, Status};
use crate::service::{AlertService, ServiceError};

/// p50 and p99 of one query shape, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Latency {
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
}

/// Percentiles of `samples`.
pub fn latency(samples: &mut [Duration]) -> Latency {
    if samples.is_empty() {
        return Latency::default();
    }
    samples.sort();
    let at =
        |p: f64| samples[((samples.len() - 1) as f64 * p).round() as usize].as_secs_f64() * 1000.0;
    Latency {
        p50_ms: at(0.5),
        p99_ms: at(0.99),
    }
}

/// Read-side figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReadReport {
    /// First page, default sort, no filter.
    pub list: Latency,
    /// First page of new + critical.
    pub list_filtered: Latency,
    /// First page of a text search.
    pub list_text: Latency,
    /// New alerts sorted by |change|.
    pub list_by_change: Latency,
    /// Stats.
    pub stats: Latency,
    /// Acknowledge one alert.
    pub ack_1: Latency,
    /// Acknowledge 200 alerts.
    pub ack_200: Latency,
}

async fn time_list(
    service: &AlertService,
    filter: &AlertFilter,
    sort: AlertSort,
    runs: usize,
) -> Result<Latency, ServiceError> {
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        service.list(filter, sort, &Page::first(50)).await?;
        samples.push(t.elapsed());
    }
    Ok(latency(&mut samples))
}

/// Measures every shape `runs` times (acknowledgements at most 20 times; each is undone).
pub async fn measure(service: &AlertService, runs: usize) -> Result<ReadReport, ServiceError> {
    let new = AlertFilter {
        statuses: vec![Status::New],
        ..Default::default()
    };
    let mut report = ReadReport {
        list: time_list(service, &AlertFilter::default(), AlertSort::Detected, runs).await?,
        list_filtered: time_list(
            service,
            &AlertFilter {
                severities: vec![Severity::Critical],
                ..new.clone()
            },
            AlertSort::Detected,
            runs,
        )
        .await?,
        list_text: time_list(
            service,
            &AlertFilter {
                text: Some("arsenal".into()),
                ..new.clone()
            },
            AlertSort::Detected,
            runs,
        )
        .await?,
        list_by_change: time_list(service, &new, AlertSort::Change, runs).await?,
        ..ReadReport::default()
    };
    let mut samples = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        service.stats().await?;
        samples.push(t.elapsed());
    }
    report.stats = latency(&mut samples);
    for (batch, slot) in [(1u32, &mut report.ack_1), (200, &mut report.ack_200)] {
        let ids: Vec<i64> = service
            .list(&new, AlertSort::Detected, &Page::first(batch))
            .await?
            .alerts
            .iter()
            .map(|a| a.id)
            .collect();
        let mut samples = Vec::new();
        for _ in 0..runs.min(20) {
            let t = Instant::now();
            service.acknowledge(&ids, None).await?;
            samples.push(t.elapsed());
            service.unacknowledge(&ids, None).await?;
        }
        *slot = latency(&mut samples);
    }
    Ok(report)
}
