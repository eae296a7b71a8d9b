//! `corekv-stats`: prints a running node's per-core counters and latency
//! histograms, read from its stats socket.

use argh::FromArgs;
use std::path::PathBuf;
use std::process::ExitCode;

/// Show a corekv node's per-core statistics.
#[derive(FromArgs)]
struct Args {
    /// path of the node's stats socket
    #[argh(option, default = "PathBuf::from(\"./corekv-data/stats.sock\")")]
    socket: PathBuf,
    /// print the raw JSON document instead of a table
    #[argh(switch)]
    json: bool,
}

fn main() -> ExitCode {
    let args: Args = argh::from_env();
    match run(&args) {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("corekv-stats: {}: {e:#}", args.socket.display());
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> anyhow::Result<String> {
    let body = corekv_tools::fetch_raw(&args.socket)?;
    // Parse even for --json so a broken document is an error, not output.
    let stats = corekv_tools::parse(&body)?;
    if args.json {
        Ok(format!("{}\n", body.trim_end()))
    } else {
        Ok(corekv_tools::render_table(&stats))
    }
}
