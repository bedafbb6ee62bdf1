// Interop driver for @hey-api/openapi-ts: each body is read as the type the spec gives its status;
// online, the generated SDK functions call the Prism mock.
import { createClient, type Client } from "../client/client";
import { getUpscaleTaskResult, submitUpscaleTask } from "../client/sdk.gen";
import type {
  ErrorEnvelope,
  GetUpscaleTaskResultOutcome,
  SubmitUpscaleTaskOutcome,
  UpscaleRequest,
} from "../client/types.gen";
import { callOf, main, prefer, queryParameter, readOutcome, readRejection, success, type Answer, type Call } from "./common";

const asIs = <T>(result: T): T => result;

type Operation = {
  read: (json: unknown) => Answer;
  call: (client: Client, call: Call, headers: Record<string, string>) => Promise<Answer>;
};

function answered<T>(answer: { data?: T; error?: ErrorEnvelope | unknown }, read: (data: T) => Answer): Answer {
  if (answer.data !== undefined) return read(answer.data);
  if (answer.error !== undefined) return readRejection(answer.error as ErrorEnvelope);
  throw new Error("no body in the answer");
}

const OPERATIONS: Record<string, Operation> = {
  submitUpscaleTask: {
    read: (json) => readOutcome(json as SubmitUpscaleTaskOutcome, asIs),
    call: async (client, call, headers) =>
      answered(await submitUpscaleTask({ client, body: call.body as unknown as UpscaleRequest, headers }), (data) =>
        readOutcome(data, asIs),
      ),
  },
  getUpscaleTaskResult: {
    read: (json) => readOutcome(json as GetUpscaleTaskResultOutcome, asIs),
    call: async (client, call, headers) =>
      answered(await getUpscaleTaskResult({ client, query: { task_id: queryParameter(call, "task_id") }, headers }), (data) =>
        readOutcome(data, asIs),
      ),
  },
};

main(async (testCase, baseUrl, input) => {
  const operation = OPERATIONS[testCase.operation];
  if (operation === undefined) throw new Error(`no driver code for ${testCase.operation}`);
  if (baseUrl === undefined) {
    const json: unknown = JSON.parse(testCase.body);
    return success(testCase.status) ? operation.read(json) : readRejection(json as ErrorEnvelope);
  }
  const client = createClient({ baseUrl, auth: input.token });
  return operation.call(client, callOf(input, testCase), { Prefer: prefer(testCase) });
});
