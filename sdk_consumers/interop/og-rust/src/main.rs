//! Interop driver for openapi-generator's rust client: offline, the generated models read each body
//! (the one the spec gives its status) and write `result` back with their own serde Serialize;
//! online, the generated API functions call the Prism mock.
//!
//!     driver CASES_JSON [BASE_URL]   prints one answer per case as a JSON list

use std::collections::HashMap;

use openapi::apis::configuration::Configuration;
use openapi::apis::{upscale_api, Error};
use openapi::models;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
struct Case {
    id: String,
    operation: String,
    status: u16,
    example: Option<String>,
    body: String,
}

#[derive(Deserialize)]
struct Call {
    body: Option<Value>,
    query: HashMap<String, String>,
}

#[derive(Deserialize)]
struct Input {
    operations: HashMap<String, Call>,
    token: String,
    cases: Vec<Case>,
}

type Answer = Result<Value, String>;

fn rejection(code: i32, message: &str) -> Answer {
    Ok(json!({"kind": "error", "code": code, "message": message}))
}

/// `code` 0 carries a result: written back with the generated model's serializer.
fn read<T: serde::Serialize>(code: i32, message: &str, result: Option<Option<Box<T>>>) -> Answer {
    if code != 0 {
        return rejection(code, message);
    }
    match result {
        Some(Some(result)) => Ok(json!({"kind": "ok", "result": serde_json::to_value(&*result).map_err(|e| e.to_string())?})),
        _ => Ok(json!({"kind": "failed", "detail": "code 0 without a result"})),
    }
}

fn offline(case: &Case) -> Answer {
    let body = case.body.as_str();
    if !(200..300).contains(&case.status) {
        let e: models::ErrorEnvelope = serde_json::from_str(body).map_err(|e| e.to_string())?;
        return rejection(e.code, &e.message);
    }
    match case.operation.as_str() {
        "submitUpscaleTask" => {
            let o: models::SubmitUpscaleTaskOutcome = serde_json::from_str(body).map_err(|e| e.to_string())?;
            read(o.code, &o.message, o.result)
        }
        "getUpscaleTaskResult" => {
            let o: models::GetUpscaleTaskResultOutcome = serde_json::from_str(body).map_err(|e| e.to_string())?;
            read(o.code, &o.message, o.result)
        }
        other => Err(format!("no driver code for {other}")),
    }
}

/// A rejection the generated client returns as an error: its envelope, when it parsed one.
fn refused<T: std::fmt::Debug + serde::Serialize>(error: Error<T>) -> Answer {
    if let Error::ResponseError(content) = &error {
        if let Ok(e) = serde_json::from_str::<models::ErrorEnvelope>(&content.content) {
            if content.entity.is_some() {
                return rejection(e.code, &e.message);
            }
        }
    }
    Err(error.to_string())
}

async fn online(case: &Case, input: &Input, base_url: &str) -> Answer {
    let mut headers = reqwest::header::HeaderMap::new();
    let prefer = format!("code={}, example={}", case.status, case.example.as_deref().unwrap_or(""));
    headers.insert("Prefer", prefer.parse().map_err(|_| "bad Prefer header".to_string())?);
    let client = reqwest::Client::builder().default_headers(headers).build().map_err(|e| e.to_string())?;
    let configuration = Configuration {
        base_path: base_url.trim_end_matches('/').to_string(),
        client,
        bearer_access_token: Some(input.token.clone()),
        ..Configuration::default()
    };
    let call = input.operations.get(&case.operation).ok_or("no call for the operation")?;
    match case.operation.as_str() {
        "submitUpscaleTask" => {
            let body = call.body.clone().ok_or("no request body")?;
            let request: models::UpscaleRequest = serde_json::from_value(body).map_err(|e| e.to_string())?;
            match upscale_api::submit_upscale_task(&configuration, request, None, None).await {
                Ok(o) => read(o.code, &o.message, o.result),
                Err(error) => refused(error),
            }
        }
        "getUpscaleTaskResult" => {
            let task_id = call.query.get("task_id").ok_or("no task_id")?;
            match upscale_api::get_upscale_task_result(&configuration, task_id).await {
                Ok(o) => read(o.code, &o.message, o.result),
                Err(error) => refused(error),
            }
        }
        other => Err(format!("no driver code for {other}")),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let raw = std::fs::read_to_string(&args[1]).expect("the cases file");
    let input: Input = serde_json::from_str(&raw).expect("the cases JSON");
    let mut answers = Vec::new();
    for case in &input.cases {
        let answer = match args.get(2) {
            Some(base_url) if case.example.is_some() => online(case, &input, base_url).await,
            Some(_) => continue,
            None => offline(case),
        };
        let mut answer = answer.unwrap_or_else(|detail| json!({"kind": "failed", "detail": detail}));
        answer["id"] = json!(case.id);
        answers.push(answer);
    }
    print!("{}", serde_json::to_string(&answers).expect("JSON"));
}
