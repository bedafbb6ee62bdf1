// A consumer of the client openapi-generator (typescript-fetch) makes from the spec. scripts/ts-fetch-client
// generates the client into build/ts-fetch-client/client/, copies this file beside it and type-checks
// both with `tsc --noEmit` (strict). The client names fields in camelCase (upsaleRatio, taskId) and maps
// them to the wire names (upsale_ratio, task_id) in its ToJSON/FromJSON functions.
import {
  Configuration,
  ErrorEnvelopeFromJSON,
  ResponseError,
  UpscaleApi,
  UpscaleRequestUpsaleRatioEnum,
  UpscaleRequestVersionEnum,
  SubmitUpscaleTaskOutcomeFromJSON,
  type ErrorEnvelope,
  type SubmitUpscaleTaskOutcome,
  type UpscaleRequest,
} from "./client/index";

export type Decoded = { accepted: SubmitUpscaleTaskOutcome } | { rejected: ErrorEnvelope };

export function makeApi(basePath: string, token: string): UpscaleApi {
  return new UpscaleApi(new Configuration({ basePath, accessToken: token }));
}

export function requestForUrl(imageUrl: string): UpscaleRequest {
  return { image: imageUrl, upsaleRatio: UpscaleRequestUpsaleRatioEnum.X2, version: UpscaleRequestVersionEnum.V1 };
}

// `code` decides: 0 is the task, anything else a rejection. The 200 body is one envelope type
// (SubmitUpscaleTaskOutcome); its FromJSON decodes `result` into camelCase (taskId, subTaskIds).
export function decodeOutcome(json: unknown): Decoded {
  if (typeof json !== "object" || json === null || !("code" in json)) {
    throw new Error("not an envelope: no `code` in the response body");
  }
  return json.code === 0 ? { accepted: SubmitUpscaleTaskOutcomeFromJSON(json) } : { rejected: ErrorEnvelopeFromJSON(json) };
}

// One submit, never retried here: an accepted submit creates a paid task (docs/sdk-authors.md).
// 400/401/403 reach us as ResponseError; their body is the same envelope.
export async function submit(api: UpscaleApi, request: UpscaleRequest): Promise<Decoded> {
  try {
    const raw = await api.submitUpscaleTaskRaw({ upscaleRequest: request, xAcceptLanguage: "en" });
    return decodeOutcome(await raw.raw.json());
  } catch (error) {
    if (error instanceof ResponseError) return decodeOutcome(await error.response.json());
    throw error;
  }
}

export function taskIdOf(decoded: Decoded): string | undefined {
  return "accepted" in decoded ? decoded.accepted.result?.taskId : undefined;
}
