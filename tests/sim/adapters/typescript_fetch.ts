// The conformance adapter of the typescript-fetch client openapi-generator makes from the spec
// (scripts/ts-fetch-client generates it into build/ts-fetch-client/client/; scripts/conformance copies
// this file beside it, compiles it and runs it once per catalog case). Protocol: hidream_sim.conformance
// (the request as JSON on stdin, the observation as the last line of stdout; docs/sdk-authors.md).
//
// It uses what the generated client offers and nothing more, plus the glue every user of it writes:
// a poll loop over getUpscaleTaskResult with the provider's status rules (0/2 and -5..-1 transient, 1
// done, 3 failed, 4 refused, anything else stops) and a download with fetch. The generated client has
// no retries, no Retry-After, no deadline of its own (AbortSignal.timeout per call is what it offers)
// and no redaction: the table shows that honestly.
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
  sdk: { request_timeout_s?: number; deadline_s?: number; wait_timeout_s?: number; poll_interval_s?: number };
};
type Outcome = "succeeded" | "submitted" | "failed" | "refused" | "timeout" | "error";

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
  const taskId = submitted.code === 0 ? submitted.result?.taskId : undefined;
  if (!taskId) return "error";
  if (request.action === "submit" || request.action === "submit_with_callback") return "submitted";
  const waitMs = (request.sdk.wait_timeout_s ?? 300) * 1000;
  const pollMs = (request.sdk.poll_interval_s ?? 0.05) * 1000;
  for (;;) {
    const read = await api.getUpscaleTaskResult({ taskId }, { signal: signal() });
    surfaced.push(JSON.stringify(read));
    const subs = read.result?.subTaskResults ?? [];
    const statuses = subs.map((sub) => sub.taskStatus);
    if (statuses.some((s) => s === 4)) return "refused";
    if (statuses.some((s) => s === 3)) return "failed";
    if (statuses.length && statuses.every((s) => s === 1)) {
      if (request.action === "submit_wait_download") {
        const url = subs[0]?.image;
        if (typeof url !== "string") return "error";
        const image = await fetch(url, { signal: signal() });
        if (!image.ok) return "error";
        writeFileSync(request.output_path, Buffer.from(await image.arrayBuffer()));
      }
      return "succeeded";
    }
    if (statuses.length && statuses.every((s) => !TRANSIENT.has(s) && s !== 1)) return "error";
    if (performance.now() - started > waitMs) return "timeout";
    await sleep(pollMs);
  }
}

function classify(error: unknown): Outcome {
  const name = error instanceof Error ? error.name : "";
  const cause = error instanceof FetchError ? error.cause?.name : "";
  return name === "TimeoutError" || name === "AbortError" || cause === "TimeoutError" || cause === "AbortError"
    ? "timeout"
    : "error";
}

run()
  .then((outcome) => ({ outcome, error_type: null as string | null }))
  .catch(async (error: unknown) => {
    surfaced.push(String(error));
    if (error instanceof ResponseError) surfaced.push(await error.response.text().catch(() => ""));
    return { outcome: classify(error), error_type: error instanceof Error ? error.name : typeof error };
  })
  .then(({ outcome, error_type }) => {
    const seconds = (performance.now() - started) / 1000;
    console.log(JSON.stringify({ outcome, error_type, surfaced, seconds }));
  });
