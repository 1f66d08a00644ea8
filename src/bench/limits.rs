//! The limits we compare against, measured in the same run: the plainest possible writes of the
//! same rows, and a raw JSON parse of the same bytes.

use std::time::{Duration, Instant};

use crate::store::sql::Param;
use crate::store::{OddsWrite, QueryContext, Store, StoreError, write_csv_row};

/// Writes `rows` (current odds, and history where flagged) with one prepared INSERT per row in
/// one transaction — no batching, no upsert. Event ids are `event_ids[row]`.
pub async fn plain_insert(
    store: &Store,
    rows: &[(i64, &OddsWrite)],
) -> Result<Duration, StoreError> {
    let started = Instant::now();
    let (odds_sql, history_sql) = match store {
        Store::Sqlite(_) => (
            "INSERT INTO current_odds (event_id, bookmaker, market_id, line, outcomes, available, last_changed, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            "INSERT INTO price_history (event_id, bookmaker, market_id, line, outcomes, recorded_at) VALUES (?, ?, ?, ?, ?, ?)",
        ),
        Store::Postgres(_) => (
            "INSERT INTO current_odds (event_id, bookmaker, market_id, line, outcomes, available, last_changed, last_seen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            "INSERT INTO price_history (event_id, bookmaker, market_id, line, outcomes, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)",
        ),
    };
    let now = crate::service::now_millis();
    crate::store::with_pool!(store, pool => {
        let mut tx = pool.begin().await.context("starting the plain insert")?;
        for (event_id, row) in rows {
            let outcomes = serde_json::to_string(&row.outcomes).expect("outcomes serialise");
            sqlx::query(odds_sql)
                .bind(*event_id).bind(&row.bookmaker).bind(&row.market_id).bind(&row.line).bind(&outcomes)
                .bind(row.available).bind(now).bind(now)
                .execute(&mut *tx).await.context("plain insert of current odds")?;
            if row.record_history {
                sqlx::query(history_sql)
                    .bind(*event_id).bind(&row.bookmaker).bind(&row.market_id).bind(&row.line).bind(&outcomes).bind(now)
                    .execute(&mut *tx).await.context("plain insert of history")?;
            }
        }
        tx.commit().await.context("committing the plain insert")?;
        Ok::<_, StoreError>(())
    })?;
    Ok(started.elapsed())
}

/// PostgreSQL only: the same rows through `COPY … FROM STDIN`.
pub async fn copy_insert(
    store: &Store,
    rows: &[(i64, &OddsWrite)],
) -> Result<Option<Duration>, StoreError> {
    let Store::Postgres(pool) = store else {
        return Ok(None);
    };
    let started = Instant::now();
    let now = crate::service::now_millis();
    let mut odds = String::new();
    let mut history = String::new();
    for (event_id, row) in rows {
        let outcomes = serde_json::to_string(&row.outcomes).expect("outcomes serialise");
        let key = [
            Param::Int(*event_id),
            Param::from(row.bookmaker.as_str()),
            Param::from(row.market_id.as_str()),
            Param::from(row.line.as_str()),
            Param::Text(outcomes),
        ];
        let mut current = key.to_vec();
        current.extend([
            Param::Bool(row.available),
            Param::Time(now),
            Param::Time(now),
        ]);
        write_csv_row(&mut odds, &current);
        if row.record_history {
            let mut past = key.to_vec();
            past.push(Param::Time(now));
            write_csv_row(&mut history, &past);
        }
    }
    let mut conn = pool
        .acquire()
        .await
        .context("acquiring a connection for COPY")?;
    for (statement, data) in [
        (
            "COPY current_odds (event_id, bookmaker, market_id, line, outcomes, available, last_changed, last_seen) FROM STDIN WITH (FORMAT csv)",
            odds,
        ),
        (
            "COPY price_history (event_id, bookmaker, market_id, line, outcomes, recorded_at) FROM STDIN WITH (FORMAT csv)",
            history,
        ),
    ] {
        let mut copy = conn.copy_in_raw(statement).await.context("starting COPY")?;
        copy.send(data.into_bytes())
            .await
            .context("sending COPY data")?;
        copy.finish().await.context("finishing COPY")?;
    }
    Ok(Some(started.elapsed()))
}
