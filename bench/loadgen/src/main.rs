//! `modelyard-loadgen`: a bounded HTTP/1.1 load generator for the benchmarks under `bench/`.
//!
//! It sends the jobs of a JSON Lines file (see `plan`) to one server on the loopback interface,
//! or to several (`--base` repeated: connection *i* goes to the *i mod n*-th, round-robin),
//! over `--concurrency` keep-alive connections, until `--count` jobs are done or `--time-cap`
//! seconds have passed, checks every answer (status and JSON body, see `check`), and prints one
//! JSON object: requests/s, latency percentiles, errors, and its own CPU time, so a caller can
//! tell whether the client was the limit.
//!
//! ```sh
//! modelyard-loadgen --base http://127.0.0.1:3000 --requests list.jsonl \
//!     -H 'Authorization: Bearer myd_…' --concurrency 32 --count 20000 --time-cap 20
//! ```

mod check;
mod plan;
mod run;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use hyper::header::{HeaderName, HeaderValue};
use serde_json::json;

use run::{Connection, Order, Phase, Tally, Target};

/// Sends the jobs of a JSON Lines file to a server on 127.0.0.1 and prints what it measured as
/// JSON on stdout.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The server, e.g. http://127.0.0.1:3000; only loopback addresses are accepted.
    /// Repeatable: the connections are assigned to the servers in turn (round-robin).
    #[arg(long, required = true)]
    base: Vec<String>,
    /// JSON Lines file of jobs (one request, or {"steps": [...]} sent in order).
    #[arg(long)]
    requests: std::path::PathBuf,
    /// Connections, each with one request in flight.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Jobs to run (with --order once: at most the lines of the file).
    #[arg(long, default_value_t = 10_000)]
    count: u64,
    /// Seconds after which no new job starts.
    #[arg(long, default_value_t = 30.0)]
    time_cap: f64,
    /// Jobs run first on the same connections and left out of the figures.
    #[arg(long, default_value_t = 0)]
    warmup: u64,
    /// How jobs are picked.
    #[arg(long, value_enum, default_value_t = Order::Random)]
    order: Order,
    /// Seed for --order random.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Extra request header, "Name: value"; repeatable.
    #[arg(short = 'H', long = "header")]
    headers: Vec<String>,
    /// Threads of the client's runtime (1: a single-threaded runtime).
    #[arg(long, default_value_t = 1)]
    threads: usize,
    /// Open a new connection for every request (and ask the server to close it) instead of
    /// keeping connections alive; the latency then includes connecting.
    #[arg(long)]
    fresh_connections: bool,
    /// Seconds one request may take before it counts as an error.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match setup(&args) {
        Ok((targets, jobs)) => {
            let runtime = if args.threads <= 1 {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
            } else {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(args.threads)
                    .enable_all()
                    .build()
            };
            match runtime {
                Ok(rt) => {
                    let report = rt.block_on(measure(&args, targets, jobs));
                    println!("{report}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("modelyard-loadgen: cannot start the runtime: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Err(e) => {
            eprintln!("modelyard-loadgen: {e}");
            ExitCode::from(2)
        }
    }
}

/// The servers to send to, and the jobs.
type Setup = (Vec<Arc<Target>>, Arc<Vec<plan::Job>>);

fn setup(args: &Args) -> Result<Setup, String> {
    if args.concurrency == 0 || args.concurrency > 4096 {
        return Err("--concurrency must be between 1 and 4096".into());
    }
    if !(args.time_cap > 0.0 && args.time_cap <= 86_400.0) {
        return Err("--time-cap must be between 0 and 86400 seconds".into());
    }
    if !(args.timeout > 0.0 && args.timeout <= 3_600.0) {
        return Err("--timeout must be between 0 and 3600 seconds".into());
    }
    let headers = args
        .headers
        .iter()
        .map(|h| parse_header(h))
        .collect::<Result<Vec<_>, _>>()?;
    let targets = args
        .base
        .iter()
        .map(|base| {
            let addr = loopback_addr(base)?;
            let authority = HeaderValue::from_str(&addr.to_string()).map_err(|e| e.to_string())?;
            Ok(Arc::new(Target {
                addr,
                authority,
                headers: headers.clone(),
            }))
        })
        .collect::<Result<Vec<_>, String>>()?;
    if targets.is_empty() {
        return Err("at least one --base is needed".into());
    }
    let text = std::fs::read_to_string(&args.requests)
        .map_err(|e| format!("cannot read {}: {e}", args.requests.display()))?;
    let jobs = plan::parse_jobs(&text).map_err(|e| format!("{}: {e}", args.requests.display()))?;
    Ok((targets, Arc::new(jobs)))
}

/// `http://127.0.0.1:PORT` (or `localhost`, `[::1]`) → the socket address; anything else is
/// refused, so the generator cannot be pointed at someone else's server.
fn loopback_addr(base: &str) -> Result<SocketAddr, String> {
    let uri: hyper::Uri = base
        .parse()
        .map_err(|e| format!("--base {base:?} is not a URL: {e}"))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!("--base {base:?} must be an http:// URL"));
    }
    if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
        return Err(format!(
            "--base {base:?} must have no path: paths come from the requests file"
        ));
    }
    let host = uri.host().unwrap_or_default();
    let ip: IpAddr = if host.eq_ignore_ascii_case("localhost") {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .map_err(|_| {
                format!("--base {base:?}: the host must be 127.0.0.1, localhost or [::1]")
            })?
    };
    if !ip.is_loopback() {
        return Err(format!(
            "--base {base:?}: only loopback addresses are allowed"
        ));
    }
    let port = uri
        .port_u16()
        .ok_or_else(|| format!("--base {base:?} needs a port"))?;
    Ok(SocketAddr::new(ip, port))
}

fn parse_header(text: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("header {text:?} must look like 'Name: value'"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("header name {:?} is not valid", name.trim()))?;
    let value = HeaderValue::from_str(value.trim())
        .map_err(|_| format!("the value of header {name} is not valid"))?;
    Ok((name, value))
}

async fn measure(
    args: &Args,
    targets: Vec<Arc<Target>>,
    jobs: Arc<Vec<plan::Job>>,
) -> serde_json::Value {
    let mut connections: Vec<Connection> =
        (0..args.concurrency).map(|_| Connection::new()).collect();
    let timeout = Duration::from_secs_f64(args.timeout);
    let time_cap = Duration::from_secs_f64(args.time_cap);
    let jobs_to_run = match args.order {
        Order::Once => args.count.min(jobs.len() as u64),
        _ => args.count,
    };
    let mut warmup_report = serde_json::Value::Null;
    if args.warmup > 0 && args.order != Order::Once {
        let warm = Phase {
            jobs: args.warmup,
            fresh_connections: args.fresh_connections,
            time_cap: time_cap / 10,
            order: args.order,
            seed: args.seed.wrapping_add(1),
            timeout,
        };
        let (tally, elapsed, back) = run::run_phase(&targets, &jobs, &warm, connections).await;
        connections = back;
        warmup_report = json!({
            "jobs": tally.jobs_done,
            "errors": tally.errors,
            "seconds": elapsed.as_secs_f64(),
        });
    }
    let phase = Phase {
        jobs: jobs_to_run,
        fresh_connections: args.fresh_connections,
        time_cap,
        order: args.order,
        seed: args.seed,
        timeout,
    };
    let cpu_before = cpu_seconds();
    let (tally, elapsed, _connections) = run::run_phase(&targets, &jobs, &phase, connections).await;
    let cpu = cpu_seconds() - cpu_before;
    report(
        args,
        &targets,
        &tally,
        elapsed,
        cpu,
        jobs_to_run,
        warmup_report,
    )
}

fn report(
    args: &Args,
    targets: &[Arc<Target>],
    tally: &Tally,
    elapsed: Duration,
    cpu: f64,
    jobs_planned: u64,
    warmup: serde_json::Value,
) -> serde_json::Value {
    let seconds = elapsed.as_secs_f64();
    let per_second = |n: u64| {
        if seconds > 0.0 {
            n as f64 / seconds
        } else {
            0.0
        }
    };
    let mut latencies = tally.latencies.clone();
    latencies.sort_unstable();
    let ms = |ns: u64| ns as f64 / 1e6;
    let percentile = |p: f64| -> serde_json::Value {
        if latencies.is_empty() {
            return serde_json::Value::Null;
        }
        // Nearest rank: the smallest latency at or above which p of the requests lie.
        let rank = ((p / 100.0) * latencies.len() as f64).ceil() as usize;
        json!(ms(latencies[rank.clamp(1, latencies.len()) - 1]))
    };
    let mean = if latencies.is_empty() {
        serde_json::Value::Null
    } else {
        json!(ms(latencies.iter().sum::<u64>()) / latencies.len() as f64)
    };
    let per_target: Vec<serde_json::Value> = targets
        .iter()
        .enumerate()
        .map(|(i, target)| {
            json!({
                "addr": target.addr.to_string(),
                "connections": connections_to(i, targets.len(), args.concurrency),
                "ok": tally.ok_by_target.get(i).copied().unwrap_or(0),
            })
        })
        .collect();
    json!({
        "concurrency": args.concurrency,
        "targets": per_target,
        "threads": args.threads.max(1),
        "order": format!("{:?}", args.order).to_lowercase(),
        "connections": if args.fresh_connections { "fresh" } else { "keep-alive" },
        "jobs_planned": jobs_planned,
        "jobs_done": tally.jobs_done,
        "requests": tally.ok + tally.errors,
        "ok": tally.ok,
        "errors": tally.errors,
        "error_samples": tally.error_samples,
        "seconds": seconds,
        "time_capped": tally.time_capped,
        "rps": per_second(tally.ok),
        "jobs_per_s": per_second(tally.jobs_done),
        "latency_ms": {
            "p50": percentile(50.0),
            "p90": percentile(90.0),
            "p99": percentile(99.0),
            "max": latencies.last().map(|&n| ms(n)),
            "mean": mean,
        },
        "bytes_received": tally.bytes_received,
        "connections_opened": tally.connections_opened,
        "client_cpu_s": cpu,
        "client_cpu_per_request_us": if tally.ok + tally.errors > 0 {
            json!(cpu * 1e6 / (tally.ok + tally.errors) as f64)
        } else {
            serde_json::Value::Null
        },
        "warmup": warmup,
    })
}

/// How many of `concurrency` connections, assigned in turn, go to target `index` of `targets`.
fn connections_to(index: usize, targets: usize, concurrency: usize) -> usize {
    concurrency / targets + usize::from(index < concurrency % targets)
}

/// User plus system CPU time of this process so far.
fn cpu_seconds() -> f64 {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return f64::NAN;
    }
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_bases_are_accepted() {
        assert_eq!(
            loopback_addr("http://127.0.0.1:3000").unwrap(),
            "127.0.0.1:3000".parse().unwrap()
        );
        assert!(loopback_addr("http://localhost:80/").is_ok());
        assert!(loopback_addr("http://[::1]:8080").is_ok());
        assert!(loopback_addr("http://10.0.0.1:3000").is_err());
        assert!(loopback_addr("http://example.com:3000").is_err());
        assert!(loopback_addr("https://127.0.0.1:3000").is_err());
        assert!(loopback_addr("http://127.0.0.1").is_err());
        assert!(loopback_addr("http://127.0.0.1:3000/api").is_err());
    }

    #[test]
    fn connections_are_spread_in_turn() {
        assert_eq!(connections_to(0, 2, 32), 16);
        assert_eq!(connections_to(1, 2, 32), 16);
        assert_eq!(connections_to(0, 2, 3), 2);
        assert_eq!(connections_to(1, 2, 3), 1);
        assert_eq!(connections_to(1, 2, 1), 0);
        assert_eq!(connections_to(0, 1, 5), 5);
    }

    #[test]
    fn every_base_is_checked() {
        let args = Args::try_parse_from([
            "modelyard-loadgen",
            "--base",
            "http://127.0.0.1:3000",
            "--base",
            "http://10.0.0.1:3001",
            "--requests",
            "/nonexistent.jsonl",
        ])
        .unwrap();
        let err = setup(&args).err().unwrap();
        assert!(err.contains("only loopback"), "{err}");
        assert!(Args::try_parse_from(["modelyard-loadgen", "--requests", "x.jsonl"]).is_err());
    }

    #[test]
    fn headers_parse() {
        let (n, v) = parse_header("Authorization: Bearer abc").unwrap();
        assert_eq!(n, "authorization");
        assert_eq!(v, "Bearer abc");
        assert!(parse_header("no colon").is_err());
    }
}
