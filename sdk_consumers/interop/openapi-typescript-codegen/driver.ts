// Interop driver for openapi-typescript-codegen (fetch client), generated from the spec's OpenAPI 3.0
// rendition (the tool reads only 2.0 and 3.0): each body is read as the type the spec gives its status
// (the client parses JSON into its types without a decoder); online, the generated UpscaleService
// calls the Prism mock, its settings in the generated global OpenAPI object.
import { ApiError, OpenAPI, UpscaleService } from "../client/index";
import type { ErrorEnvelope, GetUpscaleTaskResultOutcome, SubmitUpscaleTaskOutcome, UpscaleRequest } from "../client/index";
import { callOf, main, prefer, queryParameter, readOutcome, readRejection, success, type Answer, type Call } from "./common";

const asIs = <T>(result: T): T => result;

type Operation = {
  read: (json: unknown) => Answer;
  call: (call: Call) => Promise<Answer>;
};

const OPERATIONS: Record<string, Operation> = {
  submitUpscaleTask: {
    read: (json) => readOutcome(json as SubmitUpscaleTaskOutcome, asIs),
    call: async (call) => readOutcome(await UpscaleService.submitUpscaleTask(call.body as unknown as UpscaleRequest), asIs),
  },
  getUpscaleTaskResult: {
    read: (json) => readOutcome(json as GetUpscaleTaskResultOutcome, asIs),
    call: async (call) =>
      readOutcome(await UpscaleService.getUpscaleTaskResult(queryParameter(call, "task_id")), asIs),
  },
};

main(async (testCase, baseUrl, input) => {
  const operation = OPERATIONS[testCase.operation];
  if (operation === undefined) throw new Error(`no driver code for ${testCase.operation}`);
  if (baseUrl === undefined) {
    const json: unknown = JSON.parse(testCase.body);
    return success(testCase.status) ? operation.read(json) : readRejection(json as ErrorEnvelope);
  }
  OpenAPI.BASE = baseUrl;
  OpenAPI.TOKEN = input.token;
  OpenAPI.HEADERS = { Prefer: prefer(testCase) };
  try {
    return await operation.call(callOf(input, testCase));
  } catch (error) {
    if (error instanceof ApiError) return readRejection(error.body as ErrorEnvelope);
    throw error;
  }
});
