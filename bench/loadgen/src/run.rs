//! Sending the jobs: `concurrency` workers, each with its own keep-alive HTTP/1.1 connection to
//! one of the targets (worker *i* to target *i mod n*),
//! take job tickets from a shared counter until the count is reached or the time cap passes,
//! and time every request from sending it to having read and checked the whole body.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Full, combinators::BoxBody};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{CONNECTION, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::plan::{Job, Step};

type Body = BoxBody<Bytes, std::convert::Infallible>;

#[derive(Clone, Copy, PartialEq, Eq, Debug, clap::ValueEnum)]
pub enum Order {
    /// A job picked at random (seeded) for every ticket.
    Random,
    /// The jobs in file order, again and again.
    Cycle,
    /// Every job exactly once, in file order (at most `count` of them).
    Once,
}

pub struct Target {
    pub addr: SocketAddr,
    pub authority: HeaderValue,
    pub headers: Vec<(HeaderName, HeaderValue)>,
}

pub struct Phase {
    pub jobs: u64,
    /// A new connection for every request (`Connection: close`) instead of keep-alive.
    pub fresh_connections: bool,
    pub time_cap: Duration,
    pub order: Order,
    pub seed: u64,
    pub timeout: Duration,
}

/// What one worker saw.
#[derive(Default)]
pub struct Tally {
    /// Latencies of the successful requests, in nanoseconds.
    pub latencies: Vec<u64>,
    pub ok: u64,
    /// Successful requests per target, in the order the targets were given.
    pub ok_by_target: Vec<u64>,
    pub errors: u64,
    pub error_samples: Vec<String>,
    pub jobs_done: u64,
    pub bytes_received: u64,
    pub time_capped: bool,
    /// Connections opened during the phase (beyond those still open from an earlier one).
    pub connections_opened: u64,
}

impl Tally {
    pub fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.ok += other.ok;
        if self.ok_by_target.len() < other.ok_by_target.len() {
            self.ok_by_target.resize(other.ok_by_target.len(), 0);
        }
        for (mine, theirs) in self.ok_by_target.iter_mut().zip(other.ok_by_target) {
            *mine += theirs;
        }
        self.errors += other.errors;
        for e in other.error_samples {
            if self.error_samples.len() < MAX_ERROR_SAMPLES {
                self.error_samples.push(e);
            }
        }
        self.jobs_done += other.jobs_done;
        self.bytes_received += other.bytes_received;
        self.time_capped |= other.time_capped;
        self.connections_opened += other.connections_opened;
    }
}

const MAX_ERROR_SAMPLES: usize = 5;

/// A worker's connection; opened lazily and opened again after the server closed it.
pub struct Connection {
    sender: Option<SendRequest<Body>>,
    opened: u64,
}

impl Connection {
    pub fn new() -> Self {
        Self {
            sender: None,
            opened: 0,
        }
    }

    async fn ready(&mut self, addr: SocketAddr) -> Result<&mut SendRequest<Body>, String> {
        if let Some(sender) = &mut self.sender
            && !sender.is_closed()
            && sender.ready().await.is_ok()
        {
            // Reborrow: the borrow checker cannot see that the early return ends the borrow.
            return self
                .sender
                .as_mut()
                .ok_or_else(|| "connection vanished".to_string());
        }
        self.sender = None;
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("connect to {addr}: {e}"))?;
        stream
            .set_nodelay(true)
            .map_err(|e| format!("TCP_NODELAY: {e}"))?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake with {addr}: {e}"))?;
        tokio::spawn(async move {
            // Errors surface on the next request through `SendRequest`.
            let _ = connection.await;
        });
        self.opened += 1;
        Ok(self.sender.insert(sender))
    }
}

/// Runs one phase with one task per connection and gives the connections back for the next.
pub async fn run_phase(
    targets: &[Arc<Target>],
    jobs: &Arc<Vec<Job>>,
    phase: &Phase,
    connections: Vec<Connection>,
) -> (Tally, Duration, Vec<Connection>) {
    let tickets = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + phase.time_cap;
    let mut tasks = Vec::with_capacity(connections.len());
    for (index, connection) in connections.into_iter().enumerate() {
        let target_index = index % targets.len().max(1);
        let target = Arc::clone(&targets[target_index]);
        let jobs = Arc::clone(jobs);
        let tickets = Arc::clone(&tickets);
        let settings = Settings {
            limit: phase.jobs,
            order: phase.order,
            timeout: phase.timeout,
            fresh_connections: phase.fresh_connections,
        };
        let seed = phase.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        tasks.push(tokio::spawn(async move {
            let (mut tally, connection) =
                worker(target, jobs, tickets, settings, seed, deadline, connection).await;
            tally.ok_by_target = vec![0; target_index + 1];
            tally.ok_by_target[target_index] = tally.ok;
            (tally, connection)
        }));
    }
    let mut tally = Tally::default();
    let mut back = Vec::with_capacity(tasks.len());
    for task in tasks {
        match task.await {
            Ok((t, connection)) => {
                tally.merge(t);
                back.push(connection);
            }
            Err(e) => {
                tally.errors += 1;
                if tally.error_samples.len() < MAX_ERROR_SAMPLES {
                    tally.error_samples.push(format!("worker failed: {e}"));
                }
                back.push(Connection::new());
            }
        }
    }
    (tally, start.elapsed(), back)
}

#[derive(Clone, Copy)]
struct Settings {
    limit: u64,
    order: Order,
    timeout: Duration,
    fresh_connections: bool,
}

async fn worker(
    target: Arc<Target>,
    jobs: Arc<Vec<Job>>,
    tickets: Arc<AtomicU64>,
    settings: Settings,
    seed: u64,
    deadline: Instant,
    mut connection: Connection,
) -> (Tally, Connection) {
    let mut tally = Tally::default();
    let mut rng = SplitMix64(seed);
    let opened_before = connection.opened;
    loop {
        if Instant::now() >= deadline {
            tally.time_capped = true;
            break;
        }
        let ticket = tickets.fetch_add(1, Ordering::Relaxed);
        if ticket >= settings.limit {
            break;
        }
        let job = match settings.order {
            Order::Random => &jobs[rng.below(jobs.len() as u64) as usize],
            Order::Cycle | Order::Once => &jobs[(ticket % jobs.len() as u64) as usize],
        };
        let mut job_ok = true;
        for step in &job.steps {
            let started = Instant::now();
            let outcome = tokio::time::timeout(
                settings.timeout,
                send(&target, &mut connection, step, settings.fresh_connections),
            )
            .await;
            let elapsed = started.elapsed();
            let failure = match outcome {
                Ok(Ok(bytes)) => {
                    tally.ok += 1;
                    tally.bytes_received += bytes;
                    tally.latencies.push(elapsed.as_nanos() as u64);
                    None
                }
                Ok(Err(e)) => Some(e),
                Err(_) => {
                    // The connection may still deliver the late answer: never reuse it.
                    connection.sender = None;
                    Some(format!(
                        "no answer within {} s",
                        settings.timeout.as_secs_f64()
                    ))
                }
            };
            if let Some(e) = failure {
                tally.errors += 1;
                if tally.error_samples.len() < MAX_ERROR_SAMPLES {
                    tally
                        .error_samples
                        .push(format!("{} {}: {e}", step.method, step.path));
                }
                // Later steps of a sequence depend on the earlier ones.
                job_ok = false;
                break;
            }
        }
        if job_ok {
            tally.jobs_done += 1;
        }
    }
    tally.connections_opened = connection.opened - opened_before;
    (tally, connection)
}

/// Sends one request and checks the answer; on success, the body's size.
async fn send(
    target: &Target,
    connection: &mut Connection,
    step: &Step,
    fresh: bool,
) -> Result<u64, String> {
    let sender = connection.ready(target.addr).await?;
    let mut builder = Request::builder()
        .method(step.method.clone())
        .uri(step.path.as_str())
        .header(HOST, target.authority.clone());
    for (name, value) in &target.headers {
        builder = builder.header(name, value);
    }
    if fresh {
        builder = builder.header(CONNECTION, "close");
    }
    let body: Body = match &step.body {
        Some(bytes) => {
            builder = builder.header(CONTENT_TYPE, "application/json");
            Full::new(bytes.clone()).boxed()
        }
        None => Empty::new().boxed(),
    };
    let request = builder.body(body).map_err(|e| format!("request: {e}"))?;
    let response = match sender.send_request(request).await {
        Ok(r) => r,
        Err(e) => {
            connection.sender = None;
            return Err(format!("request failed: {e}"));
        }
    };
    let status = response.status();
    let body = match response.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => {
            connection.sender = None;
            return Err(format!("reading the body: {e}"));
        }
    };
    if fresh {
        // Dropping the last sender ends the connection.
        connection.sender = None;
    }
    if status != StatusCode::from_u16(step.status).unwrap_or(StatusCode::OK) {
        let mut text = String::from_utf8_lossy(&body).into_owned();
        text.truncate(300);
        return Err(format!(
            "status {}, expected {}: {text}",
            status.as_u16(),
            step.status
        ));
    }
    step.expectations.verify(&body)?;
    Ok(body.len() as u64)
}

/// A small seeded generator: enough to pick jobs evenly, and reproducible.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        // Multiply-shift: unbiased enough for picking among a few thousand jobs.
        ((self.next() as u128 * n as u128) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_stay_in_range_and_cover_it() {
        let mut rng = SplitMix64(7);
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            seen[rng.below(10) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (800..1200).contains(&n)), "{seen:?}");
    }
}
