// Interop driver for openapi-generator's typescript-axios client (types, no decoders): each body is
// read as the type the spec gives its status; online, the generated API calls the Prism mock.
import { isAxiosError, type RawAxiosRequestConfig } from "axios";
import {
  Configuration,
  UpscaleApi,
  type ErrorEnvelope,
  type GetUpscaleTaskResultOutcome,
  type SubmitUpscaleTaskOutcome,
  type UpscaleRequest,
} from "../client/index";
import { callOf, main, prefer, queryParameter, readOutcome, readRejection, success, type Answer, type Call } from "./common";

const asIs = <T>(result: T): T => result;

type Operation = {
  read: (json: unknown) => Answer;
  call: (api: UpscaleApi, call: Call, options: RawAxiosRequestConfig) => Promise<Answer>;
};

const OPERATIONS: Record<string, Operation> = {
  submitUpscaleTask: {
    read: (json) => readOutcome(json as SubmitUpscaleTaskOutcome, asIs),
    call: async (api, call, options) =>
      readOutcome((await api.submitUpscaleTask(call.body as unknown as UpscaleRequest, undefined, undefined, options)).data, asIs),
  },
  getUpscaleTaskResult: {
    read: (json) => readOutcome(json as GetUpscaleTaskResultOutcome, asIs),
    call: async (api, call, options) =>
      readOutcome((await api.getUpscaleTaskResult(queryParameter(call, "task_id"), options)).data, asIs),
  },
};

main(async (testCase, baseUrl, input) => {
  const operation = OPERATIONS[testCase.operation];
  if (operation === undefined) throw new Error(`no driver code for ${testCase.operation}`);
  if (baseUrl === undefined) {
    const json: unknown = JSON.parse(testCase.body);
    return success(testCase.status) ? operation.read(json) : readRejection(json as ErrorEnvelope);
  }
  const api = new UpscaleApi(new Configuration({ basePath: baseUrl, accessToken: input.token }));
  try {
    return await operation.call(api, callOf(input, testCase), { headers: { Prefer: prefer(testCase) } });
  } catch (error) {
    if (isAxiosError<ErrorEnvelope>(error) && error.response !== undefined) return readRejection(error.response.data);
    throw error;
  }
});
