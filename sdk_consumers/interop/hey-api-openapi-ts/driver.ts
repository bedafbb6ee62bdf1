// Interop driver for @hey-api/openapi-ts: each body is read as the type the spec gives its status;
// online, the generated SDK function calls the Prism mock.
import { createClient } from "../client/client";
import { submitUpscaleTask } from "../client/sdk.gen";
import type { ErrorEnvelope, SubmitUpscaleTaskOutcome, UpscaleRequest } from "../client/types.gen";
import { main, prefer, readOutcome, readRejection } from "./common";

main(async (testCase, baseUrl, input) => {
  if (baseUrl === undefined) {
    const json: unknown = JSON.parse(testCase.body);
    return testCase.status === 200 ? readOutcome(json as SubmitUpscaleTaskOutcome) : readRejection(json as ErrorEnvelope);
  }
  const client = createClient({ baseUrl, auth: input.token });
  const answer = await submitUpscaleTask({
    client,
    body: input.request as unknown as UpscaleRequest,
    headers: { Prefer: prefer(testCase) },
  });
  if (answer.data !== undefined) return readOutcome(answer.data);
  if (answer.error !== undefined) return readRejection(answer.error);
  throw new Error("no body in the answer");
});
