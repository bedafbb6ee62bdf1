// A TypeScript consumer of the spec: every type below comes from openapi/hidream-image-upscaler.yaml
// through openapi-typescript (scripts/ts-consumer). If the spec renames, retypes or drops a field this
// code uses, `tsc --noEmit` fails in `make test`: the same break an SDK in another language would see.
import type { components, operations, paths } from "hidream-api";

type Submit = operations["submitUpscaleTask"];
export type UpscaleRequest = Submit["requestBody"]["content"]["application/json"];
export type Outcome = Submit["responses"][200]["content"]["application/json"];
type Task = components["schemas"]["UpscaleTask"];
// `code` 0 brings `request_id` and both fields of the task: the spec says so with if/then, which has no
// TypeScript form, so the generated Outcome has them optional and `isAccepted` checks them.
export type Accepted = Outcome & { code: 0; request_id: string; result: Required<Task> };
export type Rejected = components["schemas"]["ErrorEnvelope"];
export type SubmitHeaders = NonNullable<Submit["parameters"]["header"]>;

// The path is checked against the spec's paths, the method against what that path declares.
export const SUBMIT_PATH = "/image/image_upscaler/async" satisfies keyof paths;
export type SubmitOperation = paths[typeof SUBMIT_PATH]["post"];

// Two ways to pass the image: a URL the service can fetch, or the image's bytes as base64.
export function requestForUrl(imageUrl: string, ratio: UpscaleRequest["upsale_ratio"] = 2): UpscaleRequest {
  return { image: imageUrl, upsale_ratio: ratio, version: "v1" };
}

export function requestForBytes(png: Uint8Array, ratio: UpscaleRequest["upsale_ratio"] = 2): UpscaleRequest {
  let binary = "";
  for (const byte of png) binary += String.fromCharCode(byte);
  // Plain base64 of the file, no `data:` prefix: that is what the provider's `image` takes.
  return { image: btoa(binary), upsale_ratio: ratio, request_id: "order-42", notify_url: "https://example.com/hook" };
}

export interface PreparedRequest {
  url: string;
  init: RequestInit & { method: "POST"; headers: Record<string, string>; body: string };
}

// The wire request: bearer token, JSON body with the provider's spelling `upsale_ratio`, optional headers.
export function buildSubmit(baseUrl: string, token: string, body: UpscaleRequest, headers: SubmitHeaders = {}): PreparedRequest {
  const wire: Record<string, string> = {
    Authorization: `Bearer ${token}`,
    "Content-Type": "application/json",
  };
  if (headers["X-accept-language"] !== undefined) wire["X-accept-language"] = headers["X-accept-language"];
  if (headers["API-User-ID"] !== undefined) wire["API-User-ID"] = headers["API-User-ID"];
  return {
    url: baseUrl.replace(/\/+$/, "") + SUBMIT_PATH,
    init: { method: "POST", headers: wire, body: JSON.stringify(body) },
  };
}

// The envelope decides, not the HTTP status: `code` 0 is a created task, anything else a rejection.
export function isAccepted(outcome: Outcome): outcome is Accepted {
  const result = outcome.result;
  return (
    outcome.code === 0 &&
    typeof outcome.request_id === "string" &&
    result != null &&
    typeof result.task_id === "string" &&
    Array.isArray(result.sub_task_ids)
  );
}

export type Verdict =
  | { ok: true; taskId: string; subTaskIds: string[]; requestId: string }
  | { ok: false; code: number; message: string; requestId: string | undefined };

export function readEnvelope(outcome: Outcome): Verdict {
  if (isAccepted(outcome)) {
    return { ok: true, taskId: outcome.result.task_id, subTaskIds: outcome.result.sub_task_ids, requestId: outcome.request_id };
  }
  if (outcome.code === 0) throw new Error("`code` 0 without the task the spec promises: not the spec's envelope");
  const rejected: Pick<Rejected, "code" | "message" | "request_id"> = outcome;
  return { ok: false, code: rejected.code, message: rejected.message, requestId: rejected.request_id };
}

// One submit. Not retried here on purpose: an accepted submit creates a paid task (docs/sdk-authors.md).
export async function submitUpscaleTask(baseUrl: string, token: string, body: UpscaleRequest, headers: SubmitHeaders = {}): Promise<Verdict> {
  const { url, init } = buildSubmit(baseUrl, token, body, headers);
  const response = await fetch(url, init);
  const envelope = (await response.json()) as Outcome; // 200, 400, 401 and 403 all carry the envelope
  return readEnvelope(envelope);
}
