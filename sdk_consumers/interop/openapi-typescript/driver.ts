// Interop driver for openapi-typescript (types only): each body is read as the type the spec gives
// its status; online, plain fetch calls the Prism mock (the path comes from the spec via the cases).
import type { components } from "../client/schema";
import { main, prefer, readOutcome, readRejection } from "./common";

type Outcome = components["schemas"]["SubmitUpscaleTaskOutcome"];
type Rejection = components["schemas"]["ErrorEnvelope"];

main(async (testCase, baseUrl, input) => {
  let status = testCase.status;
  let json: unknown = JSON.parse(testCase.body);
  if (baseUrl !== undefined) {
    const response = await fetch(baseUrl + input.operation.path, {
      method: input.operation.method,
      headers: { Authorization: `Bearer ${input.token}`, "Content-Type": "application/json", Prefer: prefer(testCase) },
      body: JSON.stringify(input.request),
    });
    status = response.status;
    json = await response.json();
  }
  return status === 200 ? readOutcome(json as Outcome) : readRejection(json as Rejection);
});
