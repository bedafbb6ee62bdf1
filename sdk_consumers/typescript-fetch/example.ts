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
  UpscaleTaskEnvelopeFromJSON,
  type ErrorEnvelope,
  type UpscaleRequest,
  type UpscaleTaskEnvelope,
} from "./client/index";

export type Decoded = { accepted: UpscaleTaskEnvelope } | { rejected: ErrorEnvelope };

export function makeApi(basePath: string, token: string): UpscaleApi {
  return new UpscaleApi(new Configuration({ basePath, accessToken: token }));
}

export function requestForUrl(imageUrl: string): UpscaleRequest {
  return { image: imageUrl, upsaleRatio: UpscaleRequestUpsaleRatioEnum.X2, version: UpscaleRequestVersionEnum.V1 };
}

// Decide on `code` ourselves. The generated oneOf parser (SubmitUpscaleTaskOutcomeFromJSON) tries
// ErrorEnvelope first, and an accepted envelope matches it too (code and message present; the
// schema's `not: {const: 0}` is not checked): it would hand back `result` undecoded, in snake_case.
export function decodeOutcome(json: unknown): Decoded {
  if (typeof json !== "object" || json === null || !("code" in json)) {
    throw new Error("not an envelope: no `code` in the response body");
  }
  return json.code === 0 ? { accepted: UpscaleTaskEnvelopeFromJSON(json) } : { rejected: ErrorEnvelopeFromJSON(json) };
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
  return "accepted" in decoded ? decoded.accepted.result.taskId : undefined;
}
