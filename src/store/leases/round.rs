//! One lease round per backend: PostgreSQL coordinates daemons (an advisory lock serialises
//! rounds; claims use `FOR UPDATE SKIP LOCKED`); SQLite has one daemon, which takes every shard.

use super::*;

pub(super) fn refuse_other_counts(
    me: &DaemonRegistration,
    live: &[StoredDaemon],
) -> Result<(), StoreError> {
    if let Some(other) = live
        .iter()
        .find(|d| d.id != me.id && d.shards != i64::from(me.shards))
    {
        return Err(StoreError::Leases(format!(
            "live daemon {} runs with scrape.shards = {}, this one with {}: every daemon of a \
             database must use the same scrape.shards (stop the others to change it)",
            other.id, other.shards, me.shards
        )));
    }
    Ok(())
}

/// PostgreSQL: the round, serialised by [`LEASE_ROUND_LOCK`], every time on the database's clock.
pub(super) async fn pg_round(
    pool: &PgPool,
    me: &DaemonRegistration,
    held: &[HeldLease],
) -> Result<LeaseRound, StoreError> {
    let shards = i64::from(me.shards);
    let lease_ms = me.lease_ms();
    let mut tx = pool.begin().await.context("starting a lease round")?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(LEASE_ROUND_LOCK)
        .execute(&mut *tx)
        .await
        .context("waiting for the other daemons' lease rounds")?;
    sqlx::query(
        "INSERT INTO scrape_daemons (id, host, pid, version, shards, lease_ms, started_at, last_seen) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, now()) ON CONFLICT (id) DO UPDATE SET last_seen = now(), \
         shards = excluded.shards, lease_ms = excluded.lease_ms, stopped_at = NULL",
    )
    .bind(&me.id).bind(&me.host).bind(i64::from(me.pid)).bind(&me.version).bind(shards).bind(lease_ms).bind(me.started_at)
    .execute(&mut *tx).await.context("recording the daemon's heartbeat")?;
    let (now,): (DateTime<Utc>,) = sqlx::query_as("SELECT now()")
        .fetch_one(&mut *tx)
        .await
        .context("reading the database's clock")?;
    let daemons: Vec<StoredDaemon> =
        sqlx::query_as(&format!("{DAEMON_COLUMNS} WHERE stopped_at IS NULL"))
            .fetch_all(&mut *tx)
            .await
            .context("reading the live daemons")?;
    let live: Vec<StoredDaemon> = daemons.into_iter().filter(|d| d.is_live(now)).collect();
    refuse_other_counts(me, &live)?;

    let (rows, top_epoch): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COALESCE(MAX(epoch), 0) FROM scrape_leases")
            .fetch_one(&mut *tx)
            .await
            .context("counting the shard leases")?;
    if rows != shards {
        if rows != 0 && live.iter().any(|d| d.id != me.id) {
            return Err(StoreError::Leases(format!(
                "the lease table holds {rows} shards while live daemons use it, and this daemon runs \
                 with scrape.shards = {shards}: stop the others to change the shard count"
            )));
        }
        // Nobody else is live: the table follows this daemon's count. Every lease is freed (the
        // shard of an event depends on the count); epochs only grow, so no old fence holds.
        sqlx::query("DELETE FROM scrape_leases WHERE shard >= $1")
            .bind(shards)
            .execute(&mut *tx)
            .await
            .context("dropping the leases of shards beyond scrape.shards")?;
        sqlx::query("UPDATE scrape_leases SET owner = NULL, expires_at = NULL")
            .execute(&mut *tx)
            .await
            .context("freeing the leases for the new shard count")?;
        sqlx::query("INSERT INTO scrape_leases (shard, epoch) SELECT s, $2 FROM generate_series(0, $1 - 1) AS s ON CONFLICT (shard) DO NOTHING")
            .bind(shards).bind(top_epoch).execute(&mut *tx).await.context("creating the shard leases")?;
    }

    // FOR NO KEY UPDATE does not wait for this daemon's in-flight batches (their fences hold FOR
    // KEY SHARE); in shard order, so two transactions never lock these rows crosswise.
    let owned: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT shard, epoch FROM scrape_leases WHERE owner = $1 ORDER BY shard FOR NO KEY UPDATE",
    )
    .bind(&me.id)
    .fetch_all(&mut *tx)
    .await
    .context("locking the daemon's leases")?;
    let owned = to_held(owned)?;
    let live_ids: Vec<String> = live.iter().map(|d| d.id.clone()).collect();
    let owned_shards: Vec<u16> = owned.iter().map(|l| l.shard).collect();
    let plan = plan_round(me.shards, &owned_shards, &live_ids, &me.id);
    let as_i64 = |v: &[u16]| v.iter().map(|&s| i64::from(s)).collect::<Vec<i64>>();
    sqlx::query("UPDATE scrape_leases SET expires_at = now() + $2 * interval '1 millisecond' WHERE owner = $1 AND shard = ANY($3)")
        .bind(&me.id).bind(lease_ms).bind(as_i64(&plan.renew)).execute(&mut *tx).await.context("renewing leases")?;
    if !plan.release.is_empty() {
        sqlx::query("UPDATE scrape_leases SET owner = NULL, expires_at = now() WHERE owner = $1 AND shard = ANY($2)")
            .bind(&me.id).bind(as_i64(&plan.release)).execute(&mut *tx).await.context("releasing leases over the fair share")?;
    }
    let mut acquired: Vec<u16> = Vec::new();
    if plan.claim > 0 {
        // SKIP LOCKED also passes over a shard whose old owner's batch is being written (its fence
        // holds FOR KEY SHARE): it is claimed in a later round, after that batch committed.
        let claimed: Vec<(i64,)> = sqlx::query_as(
            "WITH picked AS (SELECT shard FROM scrape_leases WHERE shard < $3 AND owner IS DISTINCT FROM $1 \
             AND (owner IS NULL OR expires_at IS NULL OR expires_at < now()) ORDER BY shard LIMIT $4 FOR UPDATE SKIP LOCKED) \
             UPDATE scrape_leases l SET owner = $1, epoch = l.epoch + 1, expires_at = now() + $2 * interval '1 millisecond' \
             FROM picked WHERE l.shard = picked.shard RETURNING l.shard",
        )
        .bind(&me.id).bind(lease_ms).bind(shards).bind(i64::from(plan.claim))
        .fetch_all(&mut *tx).await.context("claiming free or expired shards")?;
        acquired = claimed
            .into_iter()
            .map(|(s,)| shard_u16(s))
            .collect::<Result<_, _>>()?;
        acquired.sort_unstable();
    }
    let now_held: Vec<(i64, i64)> =
        sqlx::query_as("SELECT shard, epoch FROM scrape_leases WHERE owner = $1 ORDER BY shard")
            .bind(&me.id)
            .fetch_all(&mut *tx)
            .await
            .context("reading the daemon's leases")?;
    tx.commit().await.context("committing the lease round")?;
    let mut released = plan.release;
    released.sort_unstable();
    Ok(LeaseRound {
        held: to_held(now_held)?,
        acquired,
        released,
        lost: lost(held, &owned),
        live_daemons: live.len(),
    })
}

/// SQLite: one daemon (the command's file lock says so); the round takes every shard.
pub(super) async fn sqlite_round(
    pool: &SqlitePool,
    me: &DaemonRegistration,
    held: &[HeldLease],
) -> Result<LeaseRound, StoreError> {
    let shards = i64::from(me.shards);
    let now = Utc::now();
    let expires = now + chrono::Duration::milliseconds(me.lease_ms());
    let mut tx = pool.begin().await.context("starting a lease round")?;
    sqlx::query(
        "INSERT INTO scrape_daemons (id, host, pid, version, shards, lease_ms, started_at, last_seen) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, \
         shards = excluded.shards, lease_ms = excluded.lease_ms, stopped_at = NULL",
    )
    .bind(&me.id).bind(&me.host).bind(i64::from(me.pid)).bind(&me.version).bind(shards).bind(me.lease_ms()).bind(me.started_at).bind(now)
    .execute(&mut *tx).await.context("recording the daemon's heartbeat")?;
    let (rows, top_epoch): (i64, i64) =
        sqlx::query_as("SELECT COUNT(*), COALESCE(MAX(epoch), 0) FROM scrape_leases")
            .fetch_one(&mut *tx)
            .await
            .context("counting the shard leases")?;
    if rows != shards {
        sqlx::query("DELETE FROM scrape_leases WHERE shard >= ?")
            .bind(shards)
            .execute(&mut *tx)
            .await
            .context("dropping the leases of shards beyond scrape.shards")?;
        sqlx::query("UPDATE scrape_leases SET owner = NULL, expires_at = NULL")
            .execute(&mut *tx)
            .await
            .context("freeing the leases for the new shard count")?;
        sqlx::query("WITH RECURSIVE s(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM s WHERE n + 1 < ?) \
                     INSERT INTO scrape_leases (shard, epoch) SELECT n, ? FROM s WHERE true ON CONFLICT (shard) DO NOTHING")
            .bind(shards).bind(top_epoch).execute(&mut *tx).await.context("creating the shard leases")?;
    }
    let owned: Vec<(i64, i64)> =
        sqlx::query_as("SELECT shard, epoch FROM scrape_leases WHERE owner = ? ORDER BY shard")
            .bind(&me.id)
            .fetch_all(&mut *tx)
            .await
            .context("reading the daemon's leases")?;
    let owned = to_held(owned)?;
    let claimed: Vec<(i64,)> = sqlx::query_as(
        "UPDATE scrape_leases SET owner = ?, epoch = epoch + 1, expires_at = ? WHERE owner IS NULL OR owner <> ? RETURNING shard",
    )
    .bind(&me.id).bind(expires).bind(&me.id).fetch_all(&mut *tx).await.context("claiming every shard")?;
    sqlx::query("UPDATE scrape_leases SET expires_at = ? WHERE owner = ?")
        .bind(expires)
        .bind(&me.id)
        .execute(&mut *tx)
        .await
        .context("renewing leases")?;
    let now_held: Vec<(i64, i64)> =
        sqlx::query_as("SELECT shard, epoch FROM scrape_leases WHERE owner = ? ORDER BY shard")
            .bind(&me.id)
            .fetch_all(&mut *tx)
            .await
            .context("reading the daemon's leases")?;
    let daemons: Vec<StoredDaemon> =
        sqlx::query_as(&format!("{DAEMON_COLUMNS} WHERE stopped_at IS NULL"))
            .fetch_all(&mut *tx)
            .await
            .context("reading the live daemons")?;
    tx.commit().await.context("committing the lease round")?;
    let mut acquired: Vec<u16> = claimed
        .into_iter()
        .map(|(s,)| shard_u16(s))
        .collect::<Result<_, _>>()?;
    acquired.sort_unstable();
    Ok(LeaseRound {
        held: to_held(now_held)?,
        acquired,
        released: Vec::new(),
        lost: lost(held, &owned),
        live_daemons: daemons.iter().filter(|d| d.is_live(now)).count(),
    })
}

pub(super) fn to_held(rows: Vec<(i64, i64)>) -> Result<Vec<HeldLease>, StoreError> {
    rows.into_iter()
        .map(|(shard, epoch)| {
            Ok(HeldLease {
                shard: shard_u16(shard)?,
                epoch,
            })
        })
        .collect()
}

/// What the daemon believed it held that was not its own at its epoch when the round began.
pub(super) fn lost(believed: &[HeldLease], owned: &[HeldLease]) -> Vec<u16> {
    let mut lost: Vec<u16> = believed
        .iter()
        .filter(|l| !owned.contains(l))
        .map(|l| l.shard)
        .collect();
    lost.sort_unstable();
    lost.dedup();
    lost
}
