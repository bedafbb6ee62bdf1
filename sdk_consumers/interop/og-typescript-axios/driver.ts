// Interop driver for openapi-generator's typescript-axios client (types, no decoders): each body is
// read as the type the spec gives its status; online, the generated API calls the Prism mock.
import { isAxiosError } from "axios";
import { Configuration, UpscaleApi, type ErrorEnvelope, type SubmitUpscaleTaskOutcome, type UpscaleRequest } from "../client/index";
import { main, prefer, readOutcome, readRejection } from "./common";

main(async (testCase, baseUrl, input) => {
  if (baseUrl === undefined) {
    const json: unknown = JSON.parse(testCase.body);
    return testCase.status === 200 ? readOutcome(json as SubmitUpscaleTaskOutcome) : readRejection(json as ErrorEnvelope);
  }
  const api = new UpscaleApi(new Configuration({ basePath: baseUrl, accessToken: input.token }));
  try {
    const response = await api.submitUpscaleTask(input.request as unknown as UpscaleRequest, undefined, undefined, {
      headers: { Prefer: prefer(testCase) },
    });
    return readOutcome(response.data);
  } catch (error) {
    if (isAxiosError<ErrorEnvelope>(error) && error.response !== undefined) return readRejection(error.response.data);
    throw error;
  }
});
