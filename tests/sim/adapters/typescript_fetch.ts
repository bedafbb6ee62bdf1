// The conformance adapter of the typescript-fetch client openapi-generator makes from the spec
// (scripts/ts-fetch-client generates it into build/ts-fetch-client/client/; scripts/conformance copies
// this file beside it, compiles it and runs it once per catalog case). Protocol: hidream_sim.conformance
// (the request as JSON on stdin, the observation as the last line of stdout; docs/sdk-authors.md).
//
// It uses what the generated client offers and nothing more, plus the glue every user of it writes:
// a poll loop over getUpscaleTaskResult with the provider's status rules (0/2 and -5..-1 transient, 1
// done, 3 failed, 4 refused, anything else stops), a download with fetch (no token, bounded by
// max_download_bytes) and the error kinds of adapter protocol 2. The generated client has no retries,
// no Retry-After, no deadline of its own (AbortSignal.timeout per call is what it offers), no local
// validation and no redaction: the table shows that honestly.
import { readFileSync, writeFileSync } from "node:fs";
import {
  Configuration,
  FetchError,
  ResponseError,
  UpscaleApi,
  type UpscaleRequest,
  UpscaleRequestUpsaleRatioEnum,
} from "../client/index";

type Request = {
  action: "submit" | "submit_and_wait" | "submit_wait_download" | "submit_with_callback";
  base_url: string;
  token: string;
  image: string;
  upsale_ratio: 2 | 4;
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
  | "download" | "other";

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

function signal(): AbortSignal | undefined {
  const limits = [request.sdk.request_timeout_s, request.sdk.deadline_s].filter((s): s is number => s !== undefined);
  return limits.length ? AbortSignal.timeout(Math.min(...limits) * 1000) : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function run(): Promise<Outcome> {
  const api = new UpscaleApi(new Configuration({ basePath: request.base_url, accessToken: request.token }));
  const body: UpscaleRequest = {
    image: request.image,
    upsaleRatio: request.upsale_ratio === 4 ? UpscaleRequestUpsaleRatioEnum.X4 : UpscaleRequestUpsaleRatioEnum.X2,
    ...(request.notify_url ? { notifyUrl: request.notify_url } : {}),
  };
  const submitted = await api.submitUpscaleTask({ upscaleRequest: body }, { signal: signal() });
  surfaced.push(JSON.stringify(submitted));
  if (submitted.code !== 0) {
    const kind = submitted.code === 401 ? "auth" : typeof submitted.code === "number" ? "rejected" : "malformed_response";
    throw new Glue(kind, `rejected: code ${submitted.code}: ${submitted.message}`);
  }
  const taskId = submitted.result?.taskId;
  if (!taskId) throw new Glue("malformed_response", "code 0 without result.task_id");
  if (request.action === "submit" || request.action === "submit_with_callback") return "submitted";
  const waitMs = (request.sdk.wait_timeout_s ?? 300) * 1000;
  const pollMs = (request.sdk.poll_interval_s ?? 0.05) * 1000;
  for (;;) {
    const read = await api.getUpscaleTaskResult({ taskId }, { signal: signal() });
    surfaced.push(JSON.stringify(read));
    if (read.code !== 0) throw new Glue("rejected", `result read rejected: code ${read.code}: ${read.message}`);
    if (!Array.isArray(read.result?.subTaskResults)) throw new Glue("malformed_response", "no sub_task_results");
    const subs = read.result?.subTaskResults ?? [];
    const statuses = subs.map((sub) => sub.taskStatus);
    if (statuses.some((s) => typeof s !== "number")) throw new Glue("malformed_response", "task_status: not a number");
    if (statuses.some((s) => s === 4)) return "refused";
    if (statuses.some((s) => s === 3)) return "failed";
    if (statuses.length && statuses.every((s) => s === 1)) {
      if (request.action === "submit_wait_download") {
        const url = subs[0]?.image;
        if (typeof url !== "string") throw new Glue("malformed_response", "image: not a URL");
        const image = await fetch(url, { signal: signal() });
        if (!image.ok) throw new Glue("download", `image: HTTP ${image.status}`);
        const bytes = Buffer.from(await image.arrayBuffer());
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

function timedOut(error: unknown): boolean {
  const name = error instanceof Error ? error.name : "";
  const cause = error instanceof FetchError ? error.cause?.name : "";
  return [name, cause].some((n) => n === "TimeoutError" || n === "AbortError");
}

// The catalog's error kind of what the generated client (or the glue) threw.
function kindOf(error: unknown): Kind {
  if (error instanceof Glue) return error.kind;
  if (timedOut(error)) return "timeout";
  if (error instanceof ResponseError) {
    const status = error.response.status;
    if (status === 401 || status === 403) return "auth";
    if (status === 429) return "rate_limited";
    if (status >= 500) return "server";
    if (status >= 400) return "rejected";
    return "malformed_response"; // a 3xx or another status the client does not expect
  }
  if (error instanceof FetchError) return "connection";
  if (error instanceof SyntaxError) return "malformed_response"; // JSON.parse of a body that is not JSON
  return "other";
}

run()
  .then((outcome) => ({ outcome, error_kind: null as Kind | null, error_type: null as string | null }))
  .catch(async (error: unknown) => {
    surfaced.push(String(error));
    if (error instanceof ResponseError) surfaced.push(await error.response.text().catch(() => ""));
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
