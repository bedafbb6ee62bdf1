//! The conformance adapter of the Rust client openapi-generator's `rust` generator makes from the spec
//! (the interop row og-rust: reqwest); src/hidream_contract/interop/conformance.py generates the client,
//! builds this file as the row's driver crate (its Cargo.toml and Cargo.lock) and runs it once per
//! catalog case. Protocol: hidream_sim.conformance, protocol 2 (the request as JSON on stdin, the
//! observation as the last line of stdout; docs/sdk-authors.md).
//!
//! The glue is go_glue.go's (a poll loop with the provider's status rule, a download without the token,
//! the error kinds of protocol 2); only the calls differ. reqwest has the timeouts the protocol names:
//! request_timeout_s is its connect and read (idle) timeouts, deadline_s its `timeout` (the whole
//! request). Its other defaults are kept, as a user keeps them: it follows redirects (a 308 on the POST
//! too, the body re-sent).

use std::io::Read;
use std::time::{Duration, Instant};

use openapi::apis::configuration::Configuration;
use openapi::apis::{upscale_api, Error};
use openapi::models::{upscale_request::UpsaleRatio, UpscaleRequest};
use serde_json::{json, Value};

const TRANSIENT: [i32; 7] = [-5, -4, -3, -2, -1, 0, 2];

/// Why the call ended: the protocol-2 kind, and what the SDK showed.
struct Failure {
    kind: &'static str,
    kind_type: String,
    message: String,
}

fn glue(kind: &'static str, message: String) -> Failure {
    Failure { kind, kind_type: "glue".into(), message }
}

/// The protocol-2 kind of what the generated client returned; a rejection's body is kept to surface.
fn failure<T>(error: Error<T>, surfaced: &mut Vec<String>) -> Failure {
    let message = error.to_string();
    let (kind, kind_type) = match error {
        Error::Reqwest(e) if e.is_timeout() => ("timeout", "reqwest"),
        Error::Reqwest(_) | Error::Io(_) => ("connection", "reqwest"),
        Error::Serde(_) => ("malformed_response", "serde"),
        Error::ResponseError(content) => {
            surfaced.push(content.content.clone());
            let status = content.status.as_u16();
            let kind = match status {
                401 | 403 => "auth",
                429 => "rate_limited",
                500.. => "server",
                400.. => "rejected",
                _ => "other",
            };
            (kind, "response")
        }
    };
    Failure { kind, kind_type: kind_type.into(), message }
}

fn seconds(r: &Value, name: &str) -> Option<Duration> {
    r["sdk"][name].as_f64().map(Duration::from_secs_f64)
}

fn rejected(code: i32, message: &str, what: &str) -> Result<(), Failure> {
    match code {
        0 => Ok(()),
        401 => Err(glue("auth", format!("{what} rejected: code {code}: {message}"))),
        _ => Err(glue("rejected", format!("{what} rejected: code {code}: {message}"))),
    }
}

async fn run(r: &Value, surfaced: &mut Vec<String>) -> Result<&'static str, Failure> {
    let mut builder = reqwest::Client::builder();
    if let Some(limit) = seconds(r, "request_timeout_s") {
        builder = builder.connect_timeout(limit).read_timeout(limit);
    }
    if let Some(limit) = seconds(r, "deadline_s") {
        builder = builder.timeout(limit);
    }
    let client = builder.build().map_err(|e| glue("other", e.to_string()))?;
    let mut config = Configuration::new();
    config.base_path = r["base_url"].as_str().unwrap_or_default().trim_end_matches('/').to_string();
    config.client = client.clone();
    config.bearer_access_token = r["token"].as_str().map(str::to_string);
    let ratio = match r["upsale_ratio"].as_i64() {
        Some(2) => UpsaleRatio::X2,
        Some(4) => UpsaleRatio::X4,
        other => return Err(glue("validation", format!("upsale_ratio: {other:?} is not one of 2, 4 (the generated enum)"))),
    };
    let mut body = UpscaleRequest::new(r["image"].as_str().unwrap_or_default().to_string(), ratio);
    body.notify_url = r["notify_url"].as_str().map(str::to_string);
    let submitted = upscale_api::submit_upscale_task(&config, body, None, None)
        .await
        .map_err(|e| failure(e, surfaced))?;
    surfaced.push(serde_json::to_string(&submitted).unwrap_or_default());
    rejected(submitted.code, &submitted.message, "the submit")?;
    let task_id = match submitted.result.flatten().and_then(|task| task.task_id) {
        Some(id) if !id.is_empty() => id,
        _ => return Err(glue("malformed_response", "code 0 without result.task_id".into())),
    };
    let action = r["action"].as_str().unwrap_or_default();
    if action == "submit" || action == "submit_with_callback" {
        return Ok("submitted");
    }
    let wait = seconds(r, "wait_timeout_s").unwrap_or(Duration::from_secs(300));
    let poll = seconds(r, "poll_interval_s").unwrap_or(Duration::from_millis(50));
    let started = Instant::now();
    loop {
        let read = upscale_api::get_upscale_task_result(&config, &task_id)
            .await
            .map_err(|e| failure(e, surfaced))?;
        surfaced.push(serde_json::to_string(&read).unwrap_or_default());
        rejected(read.code, &read.message, "the result read")?;
        let subs = match read.result.flatten().and_then(|result| result.sub_task_results) {
            Some(subs) => subs,
            None => return Err(glue("malformed_response", "the result read: no sub_task_results".into())),
        };
        let statuses: Vec<i32> = subs.iter().map(|sub| sub.task_status).collect();
        if statuses.contains(&4) {
            surfaced.push(format!("task {task_id} refused by the safety review"));
            return Ok("refused");
        }
        if statuses.contains(&3) {
            surfaced.push(format!("task {task_id} failed"));
            return Ok("failed");
        }
        if !statuses.is_empty() && statuses.iter().all(|s| *s == 1) {
            if action == "submit_wait_download" {
                download(&client, subs[0].image.as_deref(), r).await?;
            }
            return Ok("succeeded");
        }
        if !statuses.is_empty() && statuses.iter().all(|s| *s != 1 && !TRANSIENT.contains(s)) {
            return Err(glue("other", format!("task {task_id}: unknown final status {statuses:?}")));
        }
        if started.elapsed() > wait {
            surfaced.push(format!("task {task_id}: not final in time"));
            return Ok("timeout");
        }
        std::thread::sleep(poll);
    }
}

/// The image, with the same reqwest client: the token is the generated Configuration's, not the client's.
async fn download(client: &reqwest::Client, url: Option<&str>, r: &Value) -> Result<(), Failure> {
    let url = url.ok_or_else(|| glue("malformed_response", "image: not a URL".into()))?;
    let transport = |e: reqwest::Error| {
        let kind = if e.is_timeout() { "timeout" } else { "connection" };
        Failure { kind, kind_type: "reqwest".into(), message: e.to_string() }
    };
    let answer = client.get(url).send().await.map_err(transport)?;
    if answer.status().as_u16() != 200 {
        return Err(glue("download", format!("image: HTTP {}", answer.status().as_u16())));
    }
    let bytes = answer.bytes().await.map_err(transport)?;
    if let Some(limit) = r["sdk"]["max_download_bytes"].as_u64() {
        if bytes.len() as u64 > limit {
            return Err(glue("download", format!("image: more than {limit} bytes")));
        }
    }
    let path = r["output_path"].as_str().unwrap_or_default();
    std::fs::write(path, &bytes).map_err(|e| glue("other", e.to_string()))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let started = Instant::now();
    let mut raw = String::new();
    let _ = std::io::stdin().read_to_string(&mut raw);
    let request: Value = serde_json::from_str(&raw).unwrap_or(Value::Null);
    let mut surfaced = Vec::new();
    let (outcome, kind, kind_type) = match run(&request, &mut surfaced).await {
        Ok(outcome) => (outcome, Value::Null, Value::Null),
        Err(f) => {
            surfaced.push(f.message);
            let outcome = if f.kind == "timeout" { "timeout" } else { "error" };
            (outcome, json!(f.kind), json!(f.kind_type))
        }
    };
    let observation = json!({
        "outcome": outcome, "error_kind": kind, "error_type": kind_type, "surfaced": surfaced,
        "seconds": started.elapsed().as_secs_f64(),
    });
    println!("{observation}");
}
