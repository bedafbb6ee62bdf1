// Interop driver for openapi-typescript (types only): each body is read as the type the spec gives
// its status; online, plain fetch calls the Prism mock (method, path and query come from the spec
// through the cases file).
import type { components } from "../client/schema";
import { callOf, main, prefer, readOutcome, readRejection, success, type Answer } from "./common";

type Schemas = components["schemas"];
const asIs = <T>(result: T): T => result;

const OPERATIONS: Record<string, (json: unknown) => Answer> = {
  submitUpscaleTask: (json) => readOutcome(json as Schemas["SubmitUpscaleTaskOutcome"], asIs),
  getUpscaleTaskResult: (json) => readOutcome(json as Schemas["GetUpscaleTaskResultOutcome"], asIs),
};

main(async (testCase, baseUrl, input) => {
  const read = OPERATIONS[testCase.operation];
  if (read === undefined) throw new Error(`no driver code for ${testCase.operation}`);
  let status = testCase.status;
  let json: unknown = JSON.parse(testCase.body);
  if (baseUrl !== undefined) {
    const call = callOf(input, testCase);
    const url = `${baseUrl}${call.path}?${new URLSearchParams(call.query).toString()}`;
    const response = await fetch(url, {
      method: call.method,
      headers: { Authorization: `Bearer ${input.token}`, "Content-Type": "application/json", Prefer: prefer(testCase) },
      ...(call.body === null ? {} : { body: JSON.stringify(call.body) }),
    });
    status = response.status;
    json = await response.json();
  }
  return success(status) ? read(json) : readRejection(json as Schemas["ErrorEnvelope"]);
});
