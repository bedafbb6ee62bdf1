// Interop driver for openapi-generator's typescript-fetch client: its FromJSON functions read each
// body (the model the spec gives its status), its ToJSON functions write `result` back in wire form;
// online, the generated API calls the Prism mock.
import {
  Configuration,
  ErrorEnvelopeFromJSON,
  GetUpscaleTaskResultOutcomeFromJSON,
  ResponseError,
  SubmitUpscaleTaskOutcomeFromJSON,
  UpscaleApi,
  UpscaleRequestFromJSON,
  UpscaleTaskResultToJSON,
  UpscaleTaskToJSON,
  type InitOverrideFunction,
} from "../client/index";
import { callOf, main, prefer, queryParameter, readOutcome, readRejection, success, type Answer, type Call } from "./common";

type Operation = {
  fromJSON: (json: unknown) => Answer;
  call: (api: UpscaleApi, call: Call, init: InitOverrideFunction) => Promise<Answer>;
};

const OPERATIONS: Record<string, Operation> = {
  submitUpscaleTask: {
    fromJSON: (json) => readOutcome(SubmitUpscaleTaskOutcomeFromJSON(json), UpscaleTaskToJSON),
    call: async (api, call, init) =>
      readOutcome(await api.submitUpscaleTask({ upscaleRequest: UpscaleRequestFromJSON(call.body) }, init), UpscaleTaskToJSON),
  },
  getUpscaleTaskResult: {
    fromJSON: (json) => readOutcome(GetUpscaleTaskResultOutcomeFromJSON(json), UpscaleTaskResultToJSON),
    call: async (api, call, init) =>
      readOutcome(await api.getUpscaleTaskResult({ taskId: queryParameter(call, "task_id") }, init), UpscaleTaskResultToJSON),
  },
};

main(async (testCase, baseUrl, input) => {
  const operation = OPERATIONS[testCase.operation];
  if (operation === undefined) throw new Error(`no driver code for ${testCase.operation}`);
  if (baseUrl === undefined) {
    const json: unknown = JSON.parse(testCase.body);
    return success(testCase.status) ? operation.fromJSON(json) : readRejection(ErrorEnvelopeFromJSON(json));
  }
  const api = new UpscaleApi(new Configuration({ basePath: baseUrl, accessToken: input.token }));
  // A function keeps the generated headers (Authorization, Content-Type); an object would replace them.
  const init: InitOverrideFunction = async ({ init }) => ({ ...init, headers: { ...init.headers, Prefer: prefer(testCase) } });
  try {
    return await operation.call(api, callOf(input, testCase), init);
  } catch (error) {
    if (error instanceof ResponseError) return readRejection(ErrorEnvelopeFromJSON(await error.response.json()));
    throw error;
  }
});
