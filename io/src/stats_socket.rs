//! The stats socket: a unix socket on its own thread. A client writes a
//! line (`stats`), gets one JSON document with every core's histograms and
//! counters, and the connection closes.

use crate::node::Node;
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub fn start(node: Arc<Node>, path: PathBuf) {
    let _ = std::fs::remove_file(&path);
    let listener = match UnixListener::bind(&path) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("corekv: stats socket {} unavailable: {e}", path.display());
            return;
        }
    };
    let _ = std::thread::Builder::new()
        .name("stats".into())
        .spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
                let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
                let mut line = String::new();
                let _ = BufReader::new(&mut stream).read_line(&mut line);
                let doc = document(&node);
                let _ = stream.write_all(doc.to_string().as_bytes());
                let _ = stream.write_all(b"\n");
            }
        });
}

pub fn document(node: &Node) -> serde_json::Value {
    let snaps = node.snapshots_blocking(Duration::from_secs(2));
    let cores: Vec<serde_json::Value> = snaps
        .iter()
        .map(|s| {
            let counters = node
                .counters
                .get(s.core)
                .map(|c| c.to_json())
                .unwrap_or_default();
            json!({
                "core": s.core,
                "groups": s.raft.iter().map(|g| g.id).collect::<Vec<_>>(),
                "raft": s.raft.iter().map(|g| json!({
                    "group": g.id,
                    "role": if g.leader { "leader" } else { "follower" },
                    "leader_id": g.leader_id,
                    "term": g.term,
                    "commit": g.commit,
                    "applied": g.applied,
                    "last_index": g.last_index,
                })).collect::<Vec<_>>(),
                "counters": counters,
                "histograms": s.hists,
            })
        })
        .collect();
    json!({
        "node": {
            "version": env!("CARGO_PKG_VERSION"),
            "uptime_s": node.started.elapsed().as_secs(),
            "cores": node.cores,
            "heavy_submitted": node.heavy.submitted.load(std::sync::atomic::Ordering::Relaxed),
            "heavy_rejected": node.heavy.rejected.load(std::sync::atomic::Ordering::Relaxed),
            "heavy": heavy(node),
            "misses": misses(node),
            "storage_read_errors": node.read_health.read_errors.load(std::sync::atomic::Ordering::Relaxed),
            "apply_stalls": node.read_health.apply_stalls.load(std::sync::atomic::Ordering::Relaxed),
        },
        "cores": cores,
    })
}

/// The heavy pool's counters; `by_command` counts accepted jobs per heavy
/// command (one per group for a command fanned out to every group).
fn heavy(node: &Node) -> serde_json::Value {
    let pool = &node.heavy;
    let by_command: serde_json::Map<String, serde_json::Value> = pool
        .by_command()
        .map(|(name, n)| (name.to_string(), json!(n)))
        .collect();
    json!({
        "submitted": pool.submitted.load(std::sync::atomic::Ordering::Relaxed),
        "rejected": pool.rejected.load(std::sync::atomic::Ordering::Relaxed),
        "by_command": by_command,
    })
}

/// The miss pool's counters (docs/design/0022) and which cores send
/// their misses there now.
fn misses(node: &Node) -> serde_json::Value {
    use std::sync::atomic::Ordering::Relaxed;
    let pool = &node.misses;
    let routes: Vec<serde_json::Value> = (0..node.cores)
        .filter_map(|c| pool.route(c))
        .map(|r| json!({"offloading": r.offloading(), "switches": r.switches.load(Relaxed)}))
        .collect();
    json!({
        "submitted": pool.submitted.load(Relaxed),
        "waited": pool.waited.load(Relaxed),
        "slow_reads": pool.slow_reads.load(Relaxed),
        "filled": pool.filled.load(Relaxed),
        "cores": routes,
    })
}
