// Interop driver for openapi-generator's typescript-fetch client: its FromJSON functions read each
// body (the model the spec gives its status); online, the generated API calls the Prism mock.
import {
  Configuration,
  ErrorEnvelopeFromJSON,
  ResponseError,
  SubmitUpscaleTaskOutcomeFromJSON,
  UpscaleApi,
  UpscaleRequestFromJSON,
  type ErrorEnvelope,
  type SubmitUpscaleTaskOutcome,
} from "../client/index";
import { main, prefer, type Answer } from "./common";

// The generated models name fields in camelCase (taskId); the answer speaks the wire names.
function readModel(envelope: SubmitUpscaleTaskOutcome | ErrorEnvelope): Answer {
  if (envelope.code !== 0) return { kind: "error", code: envelope.code, message: envelope.message };
  const result = "result" in envelope && typeof envelope.result === "object" ? envelope.result : null;
  if (result == null || result.taskId === undefined || result.subTaskIds === undefined) {
    return { kind: "failed", detail: "code 0 without a task in result" };
  }
  return { kind: "task", task_id: result.taskId, sub_task_ids: result.subTaskIds };
}

main(async (testCase, baseUrl, input) => {
  if (baseUrl === undefined) {
    const json: unknown = JSON.parse(testCase.body);
    return readModel(testCase.status === 200 ? SubmitUpscaleTaskOutcomeFromJSON(json) : ErrorEnvelopeFromJSON(json));
  }
  const api = new UpscaleApi(new Configuration({ basePath: baseUrl, accessToken: input.token }));
  try {
    const outcome = await api.submitUpscaleTask(
      { upscaleRequest: UpscaleRequestFromJSON(input.request) },
      // A function keeps the generated headers (Authorization, Content-Type); an object would replace them.
      async ({ init }) => ({ ...init, headers: { ...init.headers, Prefer: prefer(testCase) } }),
    );
    return readModel(outcome);
  } catch (error) {
    if (error instanceof ResponseError) return readModel(ErrorEnvelopeFromJSON(await error.response.json()));
    throw error;
  }
});
