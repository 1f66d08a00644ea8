//! Shard leases on a real database (DESIGN §11): the split across live daemons, concurrent
//! rounds, takeover after expiry with a bumped epoch, release on a clean stop, fencing of a
//! stale batch, the shard-count refusal, the team's status, and stale runs of dead daemons.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Utc;
use oddswatch::store::{
    DaemonCycle, DaemonRegistration, Fence, HeldLease, LeaseRound, Store, StoreError,
};

use crate::common::{self, count};
use crate::writer_support::batch;

fn daemon(name: &str, shards: u16, lease: Duration) -> DaemonRegistration {
    DaemonRegistration {
        id: format!("host-{name}:1:{name}"),
        host: format!("host-{name}"),
        pid: 1,
        version: "test".into(),
        shards,
        lease,
        started_at: Utc::now(),
    }
}

async fn round(store: &Store, me: &DaemonRegistration, held: &[HeldLease]) -> LeaseRound {
    store.lease_round(me, held).await.expect("lease round")
}

/// Owner of every shard from the status.
async fn owners(store: &Store) -> BTreeMap<u16, Option<String>> {
    let status = store.team_status().await.unwrap();
    status
        .leases
        .iter()
        .map(|l| (l.shard, l.owner.clone()))
        .collect()
}

#[tokio::test]
async fn three_daemons_split_sixteen_shards_six_five_five() {
    let Some(db) = common::pg_db().await else {
        return;
    };
    let lease = Duration::from_secs(30);
    let daemons: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|n| daemon(n, 16, lease))
        .collect();
    let mut held: Vec<Vec<HeldLease>> = vec![Vec::new(); 3];
    // The first takes everything; the others join; two more rounds each converge.
    for _ in 0..3 {
        for (i, d) in daemons.iter().enumerate() {
            held[i] = round(&db.store, d, &held[i]).await.held;
        }
    }
    let mut sizes: Vec<usize> = held.iter().map(Vec::len).collect();
    sizes.sort_unstable();
    assert_eq!(sizes, [5, 5, 6], "held: {held:?}");
    let all: std::collections::BTreeSet<u16> = held.iter().flatten().map(|l| l.shard).collect();
    assert_eq!(all.len(), 16, "every shard held once: {held:?}");
    let status = db.store.team_status().await.unwrap();
    let summary = status.leases.iter().filter(|l| l.owner.is_some()).count();
    assert_eq!(summary, 16);
    assert_eq!(status.daemons.iter().filter(|d| d.live).count(), 3);
    db.finish().await;
}

#[tokio::test]
async fn concurrent_rounds_never_give_a_shard_two_owners() {
    let Some(db) = common::pg_db().await else {
        return;
    };
    let lease = Duration::from_secs(30);
    let names = ["a", "b", "c", "d", "e", "f", "g", "h"];
    // Register all first so every round sees eight live daemons (share 2 each).
    for n in names {
        let me = daemon(n, 16, lease);
        let r = round(&db.store, &me, &[]).await;
        db.store.release_leases(&me.id).await.unwrap();
        let _ = r;
    }
    // Released daemons count as stopped; register again by heartbeat in parallel rounds.
    let mut tasks = Vec::new();
    for n in names {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            let me = daemon(n, 16, lease);
            let mut held = Vec::new();
            for _ in 0..3 {
                held = store.lease_round(&me, &held).await.unwrap().held;
            }
            (me.id, held)
        }));
    }
    let mut seen = BTreeMap::new();
    for t in tasks {
        let (id, held) = t.await.unwrap();
        assert!(
            held.len() <= 2,
            "{id} holds {} shards, over its share of 2",
            held.len()
        );
        for l in held {
            assert!(
                seen.insert(l.shard, id.clone()).is_none(),
                "shard {} held twice",
                l.shard
            );
        }
    }
    // What the daemons believe matches the table.
    for (shard, owner) in owners(&db.store).await {
        if let Some(owner) = owner {
            assert_eq!(seen.get(&shard), Some(&owner), "shard {shard}");
        }
    }
    db.finish().await;
}

#[tokio::test]
async fn an_expired_lease_is_taken_over_with_a_new_epoch_and_the_old_owner_learns_it_lost() {
    let Some(db) = common::pg_db().await else {
        return;
    };
    let a = daemon("a", 4, Duration::from_secs(1));
    let b = daemon("b", 4, Duration::from_secs(30));
    let a_held = round(&db.store, &a, &[]).await.held;
    assert_eq!(a_held.len(), 4);
    // b joins while a is live: a holds everything, b gets nothing free yet.
    let b_first = round(&db.store, &b, &[]).await;
    assert!(b_first.held.len() <= 2);
    // a stops heartbeating; once its lease expires b takes its shards.
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let b_round = round(&db.store, &b, &b_first.held).await;
    assert_eq!(
        b_round.held.len(),
        4,
        "b takes every expired shard: {b_round:?}"
    );
    for l in &b_round.held {
        let old = a_held.iter().find(|h| h.shard == l.shard).unwrap();
        assert!(
            l.epoch > old.epoch,
            "claim bumps the epoch: {l:?} vs {old:?}"
        );
    }
    // a comes back: it learns what it lost and takes its share back only from free shards.
    let a_back = round(&db.store, &a, &a_held).await;
    assert!(!a_back.lost.is_empty(), "a lost shards: {a_back:?}");
    for l in &a_back.held {
        assert!(
            !b_round
                .held
                .iter()
                .any(|h| h.shard == l.shard && h.epoch == l.epoch)
        );
    }
    db.finish().await;
}

#[tokio::test]
async fn a_clean_stop_frees_the_shards_for_the_next_round() {
    for db in common::all_dbs().await {
        let a = daemon("a", 8, Duration::from_secs(60));
        let held = round(&db.store, &a, &[]).await.held;
        assert_eq!(held.len(), 8, "{}", db.name);
        assert_eq!(
            db.store.release_leases(&a.id).await.unwrap(),
            8,
            "{}",
            db.name
        );
        let status = db.store.team_status().await.unwrap();
        assert!(
            status.leases.iter().all(|l| l.owner.is_none()),
            "{}",
            db.name
        );
        let stopped = status.daemons.iter().find(|d| d.id == a.id).unwrap();
        assert!(stopped.stopped_at.is_some() && !stopped.live, "{}", db.name);
        let b = daemon("b", 8, Duration::from_secs(60));
        assert_eq!(round(&db.store, &b, &[]).await.held.len(), 8, "{}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_batch_under_a_stale_lease_is_refused_and_writes_nothing() {
    for db in common::all_dbs().await {
        let a = daemon("a", 2, Duration::from_secs(60));
        let held = round(&db.store, &a, &[]).await.held;
        let fence = |leases: Vec<HeldLease>| Fence {
            owner: a.id.clone(),
            leases,
        };
        let mut good = batch(1);
        good.fence = Some(fence(held.clone()));
        db.store
            .write_cycle_batch(&good)
            .await
            .expect("fence holds");
        assert_eq!(count(&db.store, "current_odds").await, 1, "{}", db.name);

        // Another daemon claims shard 0 (SQLite: any round takes every shard; PostgreSQL: a's
        // lease released, then claimed).
        db.store.release_leases(&a.id).await.unwrap();
        let b = daemon("b", 2, Duration::from_secs(60));
        round(&db.store, &b, &[]).await;
        let mut stale = batch(2);
        stale.fence = Some(fence(held.clone()));
        let err = db.store.write_cycle_batch(&stale).await.unwrap_err();
        match &err {
            StoreError::Fenced { owner, shards } => {
                assert_eq!(owner, &a.id);
                assert_eq!(shards, &vec![0, 1], "{}", db.name);
            }
            other => panic!("{}: expected Fenced, got {other}", db.name),
        }
        assert!(err.to_string().contains("no longer leased"), "{err}");
        assert_eq!(
            count(&db.store, "current_odds").await,
            1,
            "{}: nothing written",
            db.name
        );
        assert_eq!(count(&db.store, "events").await, 1, "{}", db.name);
        db.finish().await;
    }
}

#[tokio::test]
async fn a_daemon_with_another_shard_count_is_refused_while_the_others_run() {
    let Some(db) = common::pg_db().await else {
        return;
    };
    let a = daemon("a", 16, Duration::from_secs(60));
    round(&db.store, &a, &[]).await;
    let b = daemon("b", 8, Duration::from_secs(60));
    let err = db.store.lease_round(&b, &[]).await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Leases(_)), "{text}");
    assert!(
        text.contains("16") && text.contains('8'),
        "names both counts: {text}"
    );
    // Once the others stopped, the new count takes over.
    db.store.release_leases(&a.id).await.unwrap();
    let r = round(&db.store, &b, &[]).await;
    assert_eq!(r.held.len(), 8);
    assert_eq!(db.store.team_status().await.unwrap().shards, 8);
    db.finish().await;
}

#[tokio::test]
async fn the_team_status_shows_cycles_and_scraped_shards() {
    for db in common::all_dbs().await {
        let a = daemon("a", 4, Duration::from_secs(60));
        let held = round(&db.store, &a, &[]).await.held;
        let at = Utc::now();
        let cycle = DaemonCycle {
            at,
            took_ms: 1234,
            events: 40,
            alerts: 3,
        };
        db.store
            .record_daemon_cycle(&a.id, &held, &cycle)
            .await
            .unwrap();
        let status = db.store.team_status().await.unwrap();
        assert_eq!(status.shards, 4, "{}", db.name);
        let row = &status.daemons[0];
        assert_eq!(row.id, a.id);
        assert!(row.live);
        assert_eq!(row.last_cycle_ms, Some(1234), "{}", db.name);
        assert_eq!(row.last_cycle_events, Some(40));
        assert_eq!(row.last_cycle_alerts, Some(3));
        assert!(
            status
                .leases
                .iter()
                .all(|l| l.last_scraped_at.is_some() && l.owner.as_deref() == Some(a.id.as_str())),
            "{}: {:?}",
            db.name,
            status.leases
        );
        db.finish().await;
    }
}

#[tokio::test]
async fn a_starting_daemon_closes_dead_daemons_runs_and_leaves_live_ones_alone() {
    for db in common::all_dbs().await {
        let live = daemon("live", 4, Duration::from_secs(60));
        let dead = daemon("dead", 4, Duration::from_secs(1));
        round(&db.store, &live, &[]).await;
        round(&db.store, &dead, &[]).await;
        let now = Utc::now();
        let live_run = db.store.start_run_by(now, &live.id).await.unwrap();
        let dead_run = db.store.start_run_by(now, &dead.id).await.unwrap();
        tokio::time::sleep(Duration::from_millis(2100)).await;
        // The live daemon heartbeats; the dead one's lease (1 s) has run out.
        round(&db.store, &live, &[]).await;
        let closed = db.store.recover_stale_runs(Utc::now()).await.unwrap();
        assert_eq!(closed, 1, "{}: only the dead daemon's run", db.name);
        let status_of = |id: i64| {
            let sql = format!("SELECT status FROM scrape_runs WHERE id = {id}");
            let store = db.store.clone();
            async move {
                let (s,): (String,) = match &store {
                    Store::Sqlite(p) => sqlx::query_as(&sql).fetch_one(p).await.unwrap(),
                    Store::Postgres(p) => sqlx::query_as(&sql).fetch_one(p).await.unwrap(),
                };
                s
            }
        };
        assert_eq!(status_of(live_run).await, "running", "{}", db.name);
        assert_eq!(status_of(dead_run).await, "failed", "{}", db.name);
        db.finish().await;
    }
}
