//! What to send: a JSON Lines file with one job per line. A job is one request, or a sequence
//! of requests sent one after another on the same connection (`{"steps": [...]}`), which is how
//! a model and then its versions are created in order.
//!
//! A request line:
//! `{"method": "GET", "path": "/api/v1/models?limit=100", "body": null, "status": 200,
//!   "checks": [{"pointer": "/data", "len": 100}, {"pointer": "/total_count", "equals": 1000}]}`
//! where `method` defaults to GET, `status` to 200 and `body` (any JSON) is sent as
//! `application/json`.

use bytes::Bytes;
use hyper::Method;
use serde::Deserialize;
use serde_json::Value;

use crate::check::{CheckSpec, Expectations};

/// One request, ready to send many times.
pub struct Step {
    pub method: Method,
    pub path: String,
    pub body: Option<Bytes>,
    pub status: u16,
    pub expectations: Expectations,
}

/// One line of the file.
pub struct Job {
    pub steps: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepLine {
    #[serde(default)]
    method: Option<String>,
    path: String,
    #[serde(default)]
    body: Option<Value>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    checks: Vec<CheckSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepsLine {
    steps: Vec<StepLine>,
}

/// Reads every non-empty line of `text`; errors name the line.
pub fn parse_jobs(text: &str) -> Result<Vec<Job>, String> {
    let mut jobs = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let at = |e: String| format!("line {}: {e}", index + 1);
        let value: Value = serde_json::from_str(line).map_err(|e| at(e.to_string()))?;
        let lines = if value.get("steps").is_some() {
            let steps: StepsLine = serde_json::from_value(value).map_err(|e| at(e.to_string()))?;
            if steps.steps.is_empty() {
                return Err(at("`steps` is empty".into()));
            }
            steps.steps
        } else {
            vec![serde_json::from_value(value).map_err(|e| at(e.to_string()))?]
        };
        let steps = lines
            .into_iter()
            .map(compile_step)
            .collect::<Result<Vec<_>, _>>()
            .map_err(at)?;
        jobs.push(Job { steps });
    }
    if jobs.is_empty() {
        return Err("the requests file has no jobs".into());
    }
    Ok(jobs)
}

fn compile_step(line: StepLine) -> Result<Step, String> {
    let method = match line.method.as_deref() {
        None => Method::GET,
        Some(m) => Method::from_bytes(m.to_ascii_uppercase().as_bytes())
            .map_err(|_| format!("unknown method {m:?}"))?,
    };
    if !line.path.starts_with('/') {
        return Err(format!(
            "path {:?} must start with '/' (the host comes from --base)",
            line.path
        ));
    }
    if line.path.parse::<hyper::Uri>().is_err() {
        return Err(format!(
            "path {:?} is not a valid request target",
            line.path
        ));
    }
    let body = match line.body {
        None | Some(Value::Null) => None,
        Some(v) => Some(Bytes::from(
            serde_json::to_vec(&v).map_err(|e| e.to_string())?,
        )),
    };
    let status = line.status.unwrap_or(200);
    if !(100..=599).contains(&status) {
        return Err(format!("status {status} is not an HTTP status"));
    }
    Ok(Step {
        method,
        path: line.path,
        body,
        status,
        expectations: Expectations::new(&line.checks)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_request_and_a_sequence() {
        let jobs = parse_jobs(
            "{\"path\": \"/a\"}\n\n{\"steps\": [{\"method\": \"post\", \"path\": \"/b\", \"body\": {}, \"status\": 201}, {\"path\": \"/c\"}]}\n",
        )
        .unwrap();
        assert_eq!(jobs.len(), 2);
        assert_eq!(jobs[0].steps[0].method, Method::GET);
        assert_eq!(jobs[0].steps[0].status, 200);
        assert_eq!(jobs[1].steps.len(), 2);
        assert_eq!(jobs[1].steps[0].method, Method::POST);
        assert_eq!(jobs[1].steps[0].body.as_deref(), Some(&b"{}"[..]));
    }

    #[test]
    fn bad_lines_are_named() {
        assert!(parse_jobs("").is_err());
        let e = parse_jobs("{\"path\": \"/a\"}\n{\"path\": \"http://x/\"}")
            .err()
            .unwrap();
        assert!(e.starts_with("line 2:"), "{e}");
        let e = parse_jobs("{\"path\": \"/a\", \"sttus\": 200}")
            .err()
            .unwrap();
        assert!(e.contains("sttus"), "{e}");
        assert!(parse_jobs("{\"steps\": []}").is_err());
    }
}
