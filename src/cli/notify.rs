//! `oddswatch notify …`: the notification targets' state, a test message, resuming a paused
//! target (DESIGN §12). URLs are shown as `scheme://host/…` and keys never.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Subcommand;
use color_eyre::eyre::Result;

use crate::config::{Config, NotifyTarget, redact_webhook_url};
use crate::service::{AlertService, NotifyTargetStatus};

/// `oddswatch notify …`
#[derive(Debug, Subcommand)]
pub enum NotifyCommand {
    /// Targets, whether they are healthy, paused or retrying, and their deliveries
    /// (exit 0 healthy, 1 when a target is paused or failing).
    Status {
        /// One JSON object per target (an array).
        #[arg(long)]
        json: bool,
    },
    /// Send a test message to TARGET now, signed as deliveries are (not through the outbox).
    Test {
        /// A [[notify.targets]] name.
        target: String,
    },
    /// Clear TARGET's pause and backoff: its waiting deliveries go out on the next pass.
    Resume {
        /// A [[notify.targets]] name.
        target: String,
    },
    /// The rules in force (configured and stored), and adding or removing stored ones.
    #[command(subcommand)]
    Rules(RulesCommand),
}

/// `oddswatch notify rules …`
#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Every rule: the configured ones (no id) and the stored ones.
    List {
        /// JSON array.
        #[arg(long)]
        json: bool,
    },
    /// Store a rule (every daemon applies it from its next cycle).
    Add {
        /// A [[notify.targets]] name.
        #[arg(long)]
        target: String,
        /// The least severity sent.
        #[arg(long, default_value = "warning")]
        min_severity: crate::domain::Severity,
        /// Only these alert types (repeat, or separate by commas); none: all.
        #[arg(long = "type", value_delimiter = ',')]
        types: Vec<crate::domain::AlertType>,
        /// Only these books (repeat, or separate by commas); none: all.
        #[arg(long = "book", value_delimiter = ',')]
        books: Vec<String>,
        /// Print the stored rule as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete stored rule ID (configured rules are edited in the config).
    Remove {
        /// The rule's id (`notify rules list`).
        id: i64,
    },
}

async fn rules(config: &Config, command: RulesCommand) -> Result<ExitCode> {
    let service = super::open_service(config).await?;
    let code = match command {
        RulesCommand::List { json } => {
            let rows = service.notify_rules().await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if rows.is_empty() {
                println!("no notification rules");
            } else {
                println!(
                    "{:>4} {:<9} {:<16} {:<9} {:<30} BOOKS",
                    "ID", "SOURCE", "TARGET", "SEVERITY", "TYPES"
                );
                let all = |v: Vec<String>| {
                    if v.is_empty() {
                        "all".to_string()
                    } else {
                        v.join(",")
                    }
                };
                for r in rows {
                    println!(
                        "{:>4} {:<9} {:<16} {:<9} {:<30} {}",
                        r.id.map_or_else(|| "-".to_string(), |id| id.to_string()),
                        r.source,
                        r.target,
                        format!("{}+", r.min_severity),
                        all(r.types.iter().map(ToString::to_string).collect()),
                        all(r.books.clone()),
                    );
                }
            }
            ExitCode::SUCCESS
        }
        RulesCommand::Add {
            target,
            min_severity,
            types,
            books,
            json,
        } => {
            let rule = crate::domain::NotifyRule {
                target,
                min_severity,
                types,
                books,
            };
            match service.add_notify_rule(rule).await {
                Ok(row) if json => {
                    println!("{}", serde_json::to_string_pretty(&row)?);
                    ExitCode::SUCCESS
                }
                Ok(row) => {
                    println!(
                        "added rule {} → {}: applied from the next cycle of every daemon",
                        row.id.unwrap_or_default(),
                        row.target
                    );
                    ExitCode::SUCCESS
                }
                Err(crate::service::ServiceError::InvalidArgument {
                    name,
                    value,
                    allowed,
                }) => {
                    eprintln!("error: --{name} {value}: allowed: {allowed}");
                    ExitCode::from(2)
                }
                Err(e) => return Err(e.into()),
            }
        }
        RulesCommand::Remove { id } => {
            if service.delete_notify_rule(id).await? {
                println!("removed rule {id}");
                ExitCode::SUCCESS
            } else {
                eprintln!(
                    "error: no stored rule {id}; `oddswatch notify rules list` shows the ids (configured rules are edited in the config)"
                );
                ExitCode::FAILURE
            }
        }
    };
    service.close().await;
    Ok(code)
}

fn unknown_target(config: &Config, name: &str) -> ExitCode {
    eprintln!(
        "error: no notify target {name:?}; configured targets: {}",
        config.notify.target_names()
    );
    ExitCode::from(2)
}

/// Runs a `notify` command.
pub async fn run(config: &Config, command: NotifyCommand) -> Result<ExitCode> {
    match command {
        NotifyCommand::Status { json } => {
            let service = super::open_service(config).await?;
            let code = status(&service, json).await;
            service.close().await;
            code
        }
        NotifyCommand::Test { target } => {
            let Some(target) = config.notify.target(&target) else {
                return Ok(unknown_target(config, &target));
            };
            Ok(send_test(config, target).await)
        }
        NotifyCommand::Rules(command) => rules(config, command).await,
        NotifyCommand::Resume { target } => {
            let service = super::open_service(config).await?;
            let resumed = service.resume_notify_target(&target).await;
            let pending = service
                .notify_status()
                .await
                .ok()
                .and_then(|rows| rows.into_iter().find(|r| r.name == target))
                .map_or(0, |r| r.stored.pending);
            service.close().await;
            match resumed? {
                None => Ok(unknown_target(config, &target)),
                Some(true) => {
                    println!(
                        "resumed {target}: {pending} waiting deliveries go out on the next pass of a running sender"
                    );
                    Ok(ExitCode::SUCCESS)
                }
                Some(false) => {
                    println!("{target} has had no delivery yet: nothing to resume");
                    Ok(ExitCode::SUCCESS)
                }
            }
        }
    }
}

async fn status(service: &AlertService, json: bool) -> Result<ExitCode> {
    let rows = service.notify_status().await?;
    let unhealthy = rows.iter().any(NotifyTargetStatus::is_unhealthy);
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
    } else if rows.is_empty() {
        println!(
            "no notify targets: add [[notify.targets]] and [[notify.rules]] sections to the config"
        );
    } else {
        println!(
            "{:<16} {:<9} {:<28} {:<15} {:>7} {:>9} {:>7}  LAST",
            "TARGET", "FORMAT", "URL", "STATE", "PENDING", "DELIVERED", "EXPIRED"
        );
        for r in &rows {
            let last = match (&r.stored.last_error, r.stored.last_success_at) {
                (Some(error), _) if r.stored.is_unhealthy() => format!(
                    "{} failures in a row: {error}{}",
                    r.stored.consecutive_failures,
                    match (r.stored.paused_at, r.stored.next_attempt_at) {
                        (Some(_), _) => format!("; `oddswatch notify resume {}`", r.name),
                        (None, Some(next)) =>
                            format!("; next attempt {}", next.format("%H:%M:%S UTC")),
                        (None, None) => String::new(),
                    }
                ),
                (_, Some(at)) => format!("delivered {}", at.format("%Y-%m-%d %H:%M:%S UTC")),
                _ => "-".into(),
            };
            println!(
                "{:<16} {:<9} {:<28} {:<15} {:>7} {:>9} {:>7}  {last}",
                r.name,
                r.format.as_deref().unwrap_or("-"),
                r.url.as_deref().unwrap_or("-"),
                r.state,
                r.stored.pending,
                r.stored.delivered,
                r.stored.expired,
            );
        }
    }
    Ok(if unhealthy {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn send_test(config: &Config, target: &NotifyTarget) -> ExitCode {
    let now = chrono::Utc::now();
    let from = crate::store::DaemonRegistration::host_name();
    let body = crate::notify::format::test_body(target, &from, now);
    let started = Instant::now();
    let shown = redact_webhook_url(target.url.expose());
    let timeout = Duration::from_secs(config.notify.timeout_secs);
    let key = format!("oddswatch-test-{}", now.timestamp_millis());
    match crate::notify::post(
        &crate::notify::client(),
        target,
        body,
        Some(&key),
        now,
        timeout,
    )
    .await
    {
        Ok(status) => {
            println!(
                "sent a test message to {} ({shown}, {}): HTTP {status} in {} ms{}",
                target.name,
                target.format,
                started.elapsed().as_millis(),
                if target.secret.expose().is_empty() {
                    ", unsigned (no secret)"
                } else {
                    ", signed"
                }
            );
            ExitCode::SUCCESS
        }
        Err(reason) => {
            eprintln!(
                "error: {} ({shown}) did not take the test message: {reason}",
                target.name
            );
            ExitCode::FAILURE
        }
    }
}
