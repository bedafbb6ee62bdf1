// The conformance adapter of the typescript-axios client openapi-generator makes from the spec (the
// interop row og-typescript-axios, supportsES6=true); src/hidream_contract/interop/conformance.py
// generates the client, compiles this file beside it and runs it once per catalog case. Protocol:
// hidream_sim.conformance, protocol 2 (the request as JSON on stdin, the observation as the last line of
// stdout; docs/sdk-authors.md).
//
// The glue is typescript_fetch.ts's (a poll loop with the provider's status rule, a download without the
// token, the error kinds of protocol 2); only the calls differ. axios's own `timeout` is a socket idle
// timeout in Node (request_timeout_s); the deadline is an AbortSignal.timeout per call, as with fetch.
// The client's defaults are kept where a user keeps them: axios follows redirects (also a 308 on the
// POST), and it hands back a body that is not JSON as a string, typed as the model.
import { readFileSync, writeFileSync } from "node:fs";
import axios, { isAxiosError, isCancel, type RawAxiosRequestConfig } from "axios";
import { Configuration, UpscaleApi, type UpscaleRequest, UpscaleRequestUpsaleRatioEnum } from "../client/index";

type Request = {
  action: "submit" | "submit_and_wait" | "submit_wait_download" | "submit_with_callback";
  base_url: string;
  token: string;
  image: string;
  upsale_ratio: number;
  notify_url?: string;
  output_path: string;
  sdk: {
    request_timeout_s?: number;
    deadline_s?: number;
    wait_timeout_s?: number;
    poll_interval_s?: number;
    max_download_bytes?: number;
  };
};
type Outcome = "succeeded" | "submitted" | "failed" | "refused" | "timeout" | "error";
type Kind = "auth" | "rejected" | "rate_limited" | "server" | "connection" | "timeout" | "malformed_response"
  | "redirect" | "download" | "other";

// An error the glue raises itself, with its kind.
class Glue extends Error {
  constructor(readonly kind: Kind, message: string) {
    super(message);
    this.name = "Glue";
  }
}

const TRANSIENT = new Set([-5, -4, -3, -2, -1, 0, 2]);
const request: Request = JSON.parse(readFileSync(0, "utf8"));
const surfaced: string[] = [];
const started = performance.now();

// One call's options: the idle timeout (axios's `timeout`) and the deadline (an abort signal).
function options(): RawAxiosRequestConfig {
  const { request_timeout_s: idle, deadline_s: deadline } = request.sdk;
  return {
    ...(idle !== undefined ? { timeout: idle * 1000 } : {}),
    ...(deadline !== undefined ? { signal: AbortSignal.timeout(deadline * 1000) } : {}),
  };
}

// The body as the generated type says it is: axios hands back a string when the body is not JSON.
function envelope<T>(data: T, what: string): T & { code: unknown; message?: unknown } {
  if (typeof data !== "object" || data === null) throw new Glue("malformed_response", `${what}: not a JSON object`);
  return data as T & { code: unknown; message?: unknown };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function run(): Promise<Outcome> {
  const api = new UpscaleApi(new Configuration({ basePath: request.base_url, accessToken: request.token }));
  const body: UpscaleRequest = {
    image: request.image,
    upsale_ratio: request.upsale_ratio as UpscaleRequestUpsaleRatioEnum, // as given (the validation cases)
    ...(request.notify_url ? { notify_url: request.notify_url } : {}),
  };
  const submitted = envelope((await api.submitUpscaleTask(body, undefined, undefined, options())).data, "the submit");
  surfaced.push(JSON.stringify(submitted));
  if (submitted.code !== 0) {
    const kind = submitted.code === 401 ? "auth" : typeof submitted.code === "number" ? "rejected" : "malformed_response";
    throw new Glue(kind, `rejected: code ${String(submitted.code)}: ${String(submitted.message)}`);
  }
  const taskId = submitted.result?.task_id;
  if (typeof taskId !== "string" || !taskId) throw new Glue("malformed_response", "code 0 without result.task_id");
  if (request.action === "submit" || request.action === "submit_with_callback") return "submitted";
  const waitMs = (request.sdk.wait_timeout_s ?? 300) * 1000;
  const pollMs = (request.sdk.poll_interval_s ?? 0.05) * 1000;
  for (;;) {
    const read = envelope((await api.getUpscaleTaskResult(taskId, options())).data, "the result read");
    surfaced.push(JSON.stringify(read));
    if (read.code !== 0) throw new Glue("rejected", `result read rejected: code ${String(read.code)}: ${String(read.message)}`);
    if (!Array.isArray(read.result?.sub_task_results)) throw new Glue("malformed_response", "no sub_task_results");
    const subs = read.result?.sub_task_results ?? [];
    const statuses = subs.map((sub) => sub.task_status);
    if (statuses.some((s) => typeof s !== "number")) throw new Glue("malformed_response", "task_status: not a number");
    if (statuses.some((s) => s === 4)) return "refused";
    if (statuses.some((s) => s === 3)) return "failed";
    if (statuses.length && statuses.every((s) => s === 1)) {
      if (request.action === "submit_wait_download") {
        const url = subs[0]?.image;
        if (typeof url !== "string") throw new Glue("malformed_response", "image: not a URL");
        // The global axios: the token is in the generated API's Configuration, not here.
        const image = await axios.get<ArrayBuffer>(url, { ...options(), responseType: "arraybuffer", validateStatus: () => true });
        if (image.status !== 200) throw new Glue("download", `image: HTTP ${image.status}`);
        const bytes = Buffer.from(image.data);
        const limit = request.sdk.max_download_bytes;
        if (limit !== undefined && bytes.length > limit) throw new Glue("download", `image: more than ${limit} bytes`);
        writeFileSync(request.output_path, bytes);
      }
      return "succeeded";
    }
    if (statuses.length && statuses.every((s) => !TRANSIENT.has(s) && s !== 1)) {
      throw new Glue("other", `unknown final status ${statuses.join(",")}`);
    }
    if (performance.now() - started > waitMs) return "timeout";
    await sleep(pollMs);
  }
}

// The catalog's error kind of what the generated client (or the glue) threw.
function kindOf(error: unknown): Kind {
  if (error instanceof Glue) return error.kind;
  if (isCancel(error)) return "timeout"; // the deadline's AbortSignal.timeout: nothing else aborts here
  if (isAxiosError(error)) {
    if (error.code === "ECONNABORTED" || error.code === "ETIMEDOUT") return "timeout";
    const status = error.response?.status;
    if (status === undefined) return "connection";
    if (status === 401 || status === 403) return "auth";
    if (status === 429) return "rate_limited";
    if (status >= 500) return "server";
    if (status >= 400) return "rejected";
    if (status >= 300) return "redirect";
    return "malformed_response";
  }
  if (error instanceof SyntaxError) return "malformed_response";
  return "other";
}

run()
  .then((outcome) => ({ outcome, error_kind: null as Kind | null, error_type: null as string | null }))
  .catch((error: unknown) => {
    surfaced.push(String(error));
    if (isAxiosError(error) && error.response !== undefined) surfaced.push(JSON.stringify(error.response.data));
    const kind = kindOf(error);
    return {
      outcome: (kind === "timeout" ? "timeout" : "error") as Outcome,
      error_kind: kind,
      error_type: error instanceof Error ? error.name : typeof error,
    };
  })
  .then(({ outcome, error_kind, error_type }) => {
    const seconds = (performance.now() - started) / 1000;
    console.log(JSON.stringify({ outcome, error_kind, error_type, surfaced, seconds }));
  });
