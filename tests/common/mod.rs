//! Black-box test harness: runs the real `modelyard` binary on a free port with its own data
//! directory, and offers the few helpers the HTTP tests share (users, tokens, sign-in, errors);
//! `client` holds a typed client over the REST API, `versions` what the version tests share and
//! `access` sharing a model.
#![allow(dead_code)]

mod access;
mod client;
mod versions;
// Each test crate uses some of these; the others are unused there.
#[allow(unused_imports)]
pub use access::*;
#[allow(unused_imports)]
pub use client::*;
#[allow(unused_imports)]
pub use versions::*;

use reqwest::header::{CONTENT_TYPE, COOKIE, ORIGIN, SET_COOKIE};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::Value;
use std::fs::OpenOptions;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// How long the server may take to answer `/healthz` after being spawned.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the server may take to exit after SIGTERM.
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(15);

pub const SESSION_COOKIE: &str = "modelyard_session";

/// The binary under test: the one cargo built with these tests, or `MODELYARD_BIN` (a copy taken
/// right after the build, so another build sharing the target directory cannot swap it).
pub fn bin() -> String {
    std::env::var("MODELYARD_BIN")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_modelyard").to_owned())
}

/// Environment variables the binary reads; cleared so the developer's shell cannot redirect a
/// test server to another database or address.
const APP_ENV: [&str; 10] = [
    "DATABASE_URL",
    "STORAGE_URL",
    "MODELYARD_ADDR",
    "MODELYARD_DATA_DIR",
    "MODELYARD_SITE_ROOT",
    "MODELYARD_PUBLIC_URL",
    "MODELYARD_MAX_JSON_BYTES",
    "MODELYARD_METRICS",
    "MODELYARD_METRICS_TOKEN",
    "MODELYARD_LOG_FORMAT",
];

/// Limits the binary reads from the environment; cleared unless a test sets them, so the
/// developer's shell cannot change what a test server accepts.
const LIMIT_ENV: [&str; 2] = [
    "MODELYARD_MAX_UPLOAD_BYTES",
    "MODELYARD_MAX_FILES_PER_VERSION",
];

/// Where the suite runs: SQLite and local files by default. With `MODELYARD_TEST_POSTGRES_URL`
/// (a server URL without a database, e.g. `postgres://postgres@127.0.0.1:5433`) every data
/// directory gets its own PostgreSQL database, and with `MODELYARD_TEST_S3_URL`
/// (`s3://bucket`, plus the usual `AWS_*` variables) its own prefix in that bucket; the test
/// scripts run the whole suite that way too.
pub fn backend_env(data_dir: &Path) -> Vec<(&'static str, String)> {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    data_dir.hash(&mut hasher);
    let key = format!("t{:016x}", hasher.finish());
    let mut env = Vec::new();
    if let Some(base) = std::env::var("MODELYARD_TEST_POSTGRES_URL")
        .ok()
        .filter(|v| !v.is_empty())
    {
        env.push((
            "DATABASE_URL",
            format!("{}/{key}", base.trim_end_matches('/')),
        ));
    }
    if let Some(base) = std::env::var("MODELYARD_TEST_S3_URL")
        .ok()
        .filter(|v| !v.is_empty())
    {
        env.push((
            "STORAGE_URL",
            format!("{}/{key}", base.trim_end_matches('/')),
        ));
    }
    env
}

/// Whether stored files live under the data directory (`blobs/`), so tests may look at them.
pub fn local_storage() -> bool {
    std::env::var("MODELYARD_TEST_S3_URL").map_or(true, |v| v.is_empty())
}

/// Whether instances with their own data directories share the database and the stored files
/// (PostgreSQL and S3), as several instances behind a load balancer do.
pub fn shared_backends() -> bool {
    ["MODELYARD_TEST_POSTGRES_URL", "MODELYARD_TEST_S3_URL"]
        .iter()
        .all(|var| std::env::var(var).is_ok_and(|v| !v.is_empty()))
}

static TOKEN_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A running `modelyard serve`, killed when dropped.
pub struct TestServer {
    dir: TempDir,
    child: Option<Child>,
    port: u16,
    /// Extra environment for the server process, kept across restarts.
    env: Vec<(String, String)>,
    /// SQLite and local files whatever the suite runs on (see [`TestServer::start_local`]).
    local: bool,
    pub client: Client,
}

impl TestServer {
    /// Starts a server on an empty data directory and waits until it is healthy.
    pub async fn start() -> Self {
        Self::start_with_env(&[]).await
    }

    /// Like [`TestServer::start`], with extra environment variables for the server process
    /// (for example `("MODELYARD_MAX_UPLOAD_BYTES", "1000")`). They apply after restarts too.
    pub async fn start_with_env(env: &[(&str, &str)]) -> Self {
        let mut server = Self::unstarted(env);
        server.spawn_until_healthy().await;
        server
    }

    fn unstarted(env: &[(&str, &str)]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("modelyard-test-")
            .tempdir()
            .expect("create a temporary directory");
        std::fs::create_dir_all(dir.path().join("data")).expect("create the data directory");
        let client = Client::builder()
            // Redirects are part of what the tests look at; never follow them silently.
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .build()
            .expect("build an HTTP client");
        TestServer {
            dir,
            child: None,
            port: 0,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            local: false,
            client,
        }
    }

    /// A server on SQLite and local files even when the suite runs on PostgreSQL and S3 (the
    /// embedded setup a registry moves away from).
    pub async fn start_local() -> Self {
        Self::start_local_with_env(&[]).await
    }

    /// [`TestServer::start_local`] with extra environment variables.
    pub async fn start_local_with_env(env: &[(&str, &str)]) -> Self {
        let mut server = Self::unstarted(env);
        server.local = true;
        server.spawn_until_healthy().await;
        server
    }

    /// Another instance on the same database and storage as `other` (PostgreSQL and S3: see
    /// [`backend_env`]), with its own data directory, as behind a load balancer.
    pub async fn start_sharing(other: &TestServer, env: &[(&str, &str)]) -> Self {
        let mut shared: Vec<(String, String)> = backend_env(&other.data_dir())
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        shared.extend(env.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let pairs: Vec<(&str, &str)> = shared
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        Self::start_with_env(&pairs).await
    }

    /// Kills the server with SIGKILL and leaves it down.
    pub fn crash(&mut self) {
        self.kill();
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The app's own origin, as a browser on its pages would send it.
    pub fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.origin(), path)
    }

    /// The most memory the server process has held so far (its peak resident set), in bytes.
    pub fn peak_memory_bytes(&self) -> u64 {
        let pid = self.child.as_ref().expect("the server is running").id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc status");
        kib * 1024
    }

    /// Everything the server wrote to stderr (across restarts), without terminal colour codes.
    pub fn log(&self) -> String {
        let raw = std::fs::read(self.log_path()).unwrap_or_default();
        strip_ansi(&String::from_utf8_lossy(&raw))
    }

    async fn spawn_until_healthy(&mut self) {
        // A free port can be taken by someone else between our probe and the server's bind; try
        // a few ports before giving up.
        for attempt in 1..=3 {
            self.port = free_port();
            let log_start = std::fs::metadata(self.log_path()).map_or(0, |m| m.len());
            let log = OpenOptions::new()
                .create(true)
                .append(true)
                .open(self.log_path())
                .expect("open the server log");
            let mut command = Command::new(bin());
            command
                .arg("serve")
                .arg("--addr")
                .arg(format!("127.0.0.1:{}", self.port))
                .arg("--data-dir")
                .arg(self.data_dir())
                .env("RUST_LOG", "info")
                .env("NO_COLOR", "1")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::from(log));
            for var in APP_ENV.iter().chain(LIMIT_ENV.iter()) {
                command.env_remove(var);
            }
            if !self.local {
                command.envs(backend_env(&self.data_dir()));
            }
            for (key, value) in &self.env {
                command.env(key, value);
            }
            let child = command.spawn().expect("spawn `modelyard serve`");
            self.child = Some(child);
            match self.wait_until_healthy(log_start).await {
                Ok(()) => return,
                Err(exit) => {
                    let log = self.log();
                    let port_taken = log.contains("in use") || log.contains("AddrInUse");
                    if attempt < 3 && port_taken {
                        continue;
                    }
                    panic!(
                        "`modelyard serve` exited ({exit}) before answering /healthz.\n--- server log ---\n{log}"
                    );
                }
            }
        }
    }

    /// The log this process wrote since `start` (a byte offset), without colour codes.
    fn log_since(&self, start: u64) -> String {
        let raw = std::fs::read(self.log_path()).unwrap_or_default();
        let start = usize::try_from(start).unwrap_or(usize::MAX).min(raw.len());
        strip_ansi(&String::from_utf8_lossy(&raw[start..]))
    }

    /// Ok once `/healthz` answers 200 and this process says it listens on the port (another
    /// test's server may have taken the port first and answer the probe); Err with the exit
    /// status if the process died first. Panics (showing the log) when the server stays silent
    /// for too long.
    async fn wait_until_healthy(&mut self, log_start: u64) -> Result<(), ExitStatus> {
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let health = self.url("/healthz");
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().expect("poll the server process"))
            {
                self.child = None;
                return Err(status);
            }
            let probe = self
                .client
                .get(&health)
                .timeout(Duration::from_secs(2))
                .send()
                .await;
            let listening = format!("is listening on http://127.0.0.1:{}", self.port);
            if let Ok(resp) = probe
                && resp.status() == StatusCode::OK
                && self.log_since(log_start).contains(&listening)
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                self.kill();
                panic!(
                    "`modelyard serve` did not answer GET /healthz with 200 within {STARTUP_TIMEOUT:?}.\n--- server log ---\n{}",
                    self.log()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server at once (SIGKILL, as a crash or power loss would) and starts it again
    /// on the same data directory.
    pub async fn crash_and_restart(&mut self) {
        self.kill();
        self.spawn_until_healthy().await;
    }

    /// Stops the server with SIGTERM (as a service manager would) and waits for it to exit.
    /// Panics if it does not stop in time; a server that ignores SIGTERM breaks the contract.
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("the server is running");
        let signalled = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status()
            .is_ok_and(|s| s.success());
        if !signalled {
            let _ = child.kill();
        }
        let deadline = Instant::now() + SHUTDOWN_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().expect("poll the server process") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "`modelyard serve` did not exit within {SHUTDOWN_TIMEOUT:?} of SIGTERM.\n--- server log ---\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the server and starts it again on the same data directory (on a new port).
    pub async fn restart(&mut self) {
        self.stop();
        self.spawn_until_healthy().await;
    }

    /// Runs a `modelyard` subcommand against this server's data directory.
    pub fn cli(&self, args: &[&str], stdin: &str) -> Output {
        run_cli_on(args, &self.data_dir(), stdin, !self.local)
    }

    /// Adds a user through the command line, panicking if that fails.
    pub fn add_user(&self, name: &str, password: &str, admin: bool) {
        let mut args = vec!["user", "add", name];
        if admin {
            args.push("--admin");
        }
        let out = self.cli(&args, &format!("{password}\n"));
        assert!(
            out.status.success(),
            "`modelyard user add {name}` failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Creates an API token for `user` through the command line and returns its secret.
    pub fn add_token(&self, user: &str) -> String {
        let name = format!(
            "test-token-{}",
            TOKEN_COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let out = self.cli(&["token", "add", &name, "--user", user], "");
        assert!(
            out.status.success(),
            "`modelyard token add {name} --user {user}` failed: {}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("the token is UTF-8")
            .trim_end()
            .to_owned()
    }

    /// A user with an API token, the usual starting point of a REST test.
    pub fn user_with_token(&self, name: &str, admin: bool) -> String {
        self.add_user(name, &default_password(name), admin);
        self.add_token(name)
    }

    /// Signs in through the login server function, as the browser's sign-in form does.
    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.client
            .post(self.url("/fn/login"))
            .header(ORIGIN, self.origin())
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .expect("POST /fn/login")
    }

    /// Signs in and returns the `modelyard_session=...` pair to send as a Cookie header.
    pub async fn login_cookie(&self, username: &str, password: &str) -> String {
        let resp = self.login(username, password).await;
        let status = resp.status();
        let cookie = session_cookie(&resp);
        assert_eq!(
            status,
            StatusCode::OK,
            "signing in as {username} failed: {}",
            resp.text().await.unwrap_or_default()
        );
        cookie.expect("a successful sign-in sets the session cookie")
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path))
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(self.url(path))
    }

    pub fn patch(&self, path: &str) -> RequestBuilder {
        self.client.patch(self.url(path))
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.client.delete(self.url(path))
    }

    pub fn put(&self, path: &str) -> RequestBuilder {
        self.client.put(self.url(path))
    }

    /// A request carrying the session cookie and this app's own Origin.
    pub fn with_cookie(&self, request: RequestBuilder, cookie: &str) -> RequestBuilder {
        request.header(COOKIE, cookie).header(ORIGIN, self.origin())
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // A failing test shows what went wrong on the server too.
        if std::thread::panicking() {
            let errors: Vec<String> = self
                .log()
                .lines()
                .filter(|l| l.contains("ERROR") || l.contains("WARN"))
                .map(str::to_owned)
                .collect();
            if !errors.is_empty() {
                eprintln!("--- server errors and warnings ---\n{}", errors.join("\n"));
            }
        }
        self.kill();
    }
}

/// Runs a `modelyard` subcommand with `--data-dir DIR` and the given standard input.
pub fn run_cli(args: &[&str], data_dir: &Path, stdin: &str) -> Output {
    run_cli_on(args, data_dir, stdin, true)
}

/// [`run_cli`], on the suite's backends or (`backends` false) on SQLite and local files.
fn run_cli_on(args: &[&str], data_dir: &Path, stdin: &str, backends: bool) -> Output {
    let mut command = Command::new(bin());
    command
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for var in APP_ENV {
        command.env_remove(var);
    }
    if backends {
        command.envs(backend_env(data_dir));
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("spawn `modelyard {}`: {e}", args.join(" ")));
    {
        let mut input = child.stdin.take().expect("piped stdin");
        // The command may exit before reading (bad arguments); a broken pipe is fine then.
        let _ = input.write_all(stdin.as_bytes());
    }
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("wait for `modelyard {}`: {e}", args.join(" ")))
}

/// A password that passes validation, different per user.
pub fn default_password(user: &str) -> String {
    format!("{user}-correct-horse-battery")
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            // Parameters and intermediates, then one final byte in '@'..='~'.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The `modelyard_session=VALUE` pair from a response's Set-Cookie headers, ready to send back
/// as a Cookie header; `None` when the response sets no (non-empty) session cookie.
pub fn session_cookie(resp: &Response) -> Option<String> {
    session_set_cookie(resp)
        .map(|header| {
            header
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned()
        })
        .filter(|pair| pair.len() > SESSION_COOKIE.len() + 1)
}

/// The whole Set-Cookie header for the session cookie, attributes included.
pub fn session_set_cookie(resp: &Response) -> Option<String> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.trim_start().starts_with(&format!("{SESSION_COOKIE}=")))
        .map(str::to_owned)
}

/// Reads a JSON body, panicking with the raw text when it is not JSON.
pub async fn body_json(resp: Response) -> Value {
    let text = resp.text().await.expect("read the response body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("body is not JSON ({e}): {text}"))
}

/// Asserts the status and returns the JSON body.
pub async fn expect_json(resp: Response, status: StatusCode) -> Value {
    let actual = resp.status();
    let url = resp.url().clone();
    let text = resp.text().await.expect("read the response body");
    assert_eq!(actual, status, "unexpected status from {url}; body: {text}");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("body from {url} is not JSON ({e}): {text}"))
}

/// Asserts an error response: the status, a JSON body with this `error_code`, and non-empty
/// `error_msg` and `solution_msg`. Returns the body so callers can check `field`.
pub async fn assert_error(resp: Response, status: u16, code: &str) -> Value {
    let actual = resp.status().as_u16();
    let url = resp.url().clone();
    let text = resp.text().await.expect("read the error body");
    assert_eq!(
        actual, status,
        "expected {status} {code} from {url}; body: {text}"
    );
    let body: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("error body from {url} is not JSON ({e}): {text}"));
    assert_eq!(
        body["error_code"], code,
        "wrong error_code from {url}: {body}"
    );
    for key in ["error_msg", "solution_msg"] {
        let value = body[key].as_str().unwrap_or_default();
        assert!(
            !value.trim().is_empty(),
            "{key} should be a non-empty string in {body}"
        );
    }
    body
}

/// Asserts one case of a table of requests: `status`, and for an error (400 and up) its
/// `error_code` as [`assert_error`] does. Answers the JSON body (`Null` for 204 No Content).
pub async fn assert_answer(resp: Response, status: u16, code: &str) -> Value {
    if status >= 400 {
        return assert_error(resp, status, code).await;
    }
    if status == 204 {
        let url = resp.url().clone();
        assert_eq!(resp.status().as_u16(), 204, "unexpected status from {url}");
        return Value::Null;
    }
    let status = StatusCode::from_u16(status).expect("a status code");
    expect_json(resp, status).await
}

/// The response's Content-Type, or "" when it has none.
pub fn content_type(resp: &Response) -> String {
    resp.headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Asserts a 422 validation error naming the field at fault.
pub async fn assert_invalid(resp: Response, code: &str, field: &str) -> Value {
    let body = assert_error(resp, 422, code).await;
    assert_eq!(body["field"], field, "wrong field in {body}");
    body
}

/// Whether `s` is `myd_` followed by 48 hex digits.
pub fn is_token_secret(s: &str) -> bool {
    s.strip_prefix("myd_")
        .is_some_and(|hex| hex.len() == 48 && hex.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Names of the models in a list body, in order.
pub fn names(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap_or_else(|| panic!("`data` should be an array in {list}"))
        .iter()
        .map(|m| m["name"].as_str().expect("model name").to_owned())
        .collect()
}
