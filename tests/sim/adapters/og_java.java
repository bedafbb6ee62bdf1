// The conformance adapter of the Java client openapi-generator's `java` generator makes from the spec
// (the interop row og-java: library native, java.net.http, Jackson); src/hidream_contract/interop/
// conformance.py generates the client, compiles it with this file against the row's libraries and runs
// `java -cp ... Adapter` once per catalog case. Protocol: hidream_sim.conformance, protocol 2 (the
// request as JSON on stdin, the observation as the last line of stdout; docs/sdk-authors.md).
//
// The glue is go_glue.go's (a poll loop with the provider's status rule, a download without the token, the
// error kinds of protocol 2); only the calls differ. The native client has no auth of its own: the token
// goes in a request interceptor, as the interop row's driver sends it. Its only timeout is the
// HttpRequest's (the wait for the answer's head) and the connect timeout: request_timeout_s goes to both,
// bounded by deadline_s, the smaller; nothing bounds the body. The download uses its own HttpClient (no
// token), which follows redirects as a user sets it to (java.net.http's default follows none).
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.openapitools.client.ApiClient;
import org.openapitools.client.ApiException;
import org.openapitools.client.JSON;
import org.openapitools.client.api.UpscaleApi;
import org.openapitools.client.model.GetUpscaleTaskResultOutcome;
import org.openapitools.client.model.SubTaskResult;
import org.openapitools.client.model.SubmitUpscaleTaskOutcome;
import org.openapitools.client.model.UpscaleRequest;

class Adapter {
  static final ObjectMapper MAPPER = JSON.getDefault().getMapper();
  static final Set<Integer> TRANSIENT = Set.of(-5, -4, -3, -2, -1, 0, 2);
  static final List<String> surfaced = new ArrayList<>();
  static final long started = System.nanoTime();

  /** An error the glue raises itself, with its protocol-2 kind. */
  static final class Glue extends RuntimeException {
    final String kind;

    Glue(String kind, String message) {
      super(message);
      this.kind = kind;
    }
  }

  static Duration seconds(JsonNode sdk, String name) {
    JsonNode value = sdk.get(name);
    return value == null || value.isNull() ? null : Duration.ofNanos((long) (value.asDouble() * 1e9));
  }

  static double elapsed() {
    return (System.nanoTime() - started) / 1e9;
  }

  static void accepted(Integer code, String message, String what) {
    if (code != null && code == 0) return;
    String kind = code != null && code == 401 ? "auth" : code == null ? "malformed_response" : "rejected";
    throw new Glue(kind, what + " rejected: code " + code + ": " + message);
  }

  static String run(JsonNode r) throws Exception {
    JsonNode sdk = r.get("sdk");
    Duration timeout = seconds(sdk, "request_timeout_s");
    Duration deadline = seconds(sdk, "deadline_s");
    if (timeout == null || (deadline != null && deadline.compareTo(timeout) < 0)) timeout = deadline;
    URI base = URI.create(r.get("base_url").asText());
    ApiClient client = new ApiClient();
    client.setScheme(base.getScheme());
    client.setHost(base.getHost());
    client.setPort(base.getPort());
    client.setBasePath(base.getPath());
    if (timeout != null) {
      client.setConnectTimeout(timeout);
      client.setReadTimeout(timeout);
    }
    String token = r.get("token").asText();
    client.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + token));
    UpscaleApi api = new UpscaleApi(client);
    UpscaleRequest body = new UpscaleRequest()
        .image(r.get("image").asText())
        .upsaleRatio(UpscaleRequest.UpsaleRatioEnum.fromValue(r.get("upsale_ratio").asInt()));
    if (r.hasNonNull("notify_url")) body.notifyUrl(r.get("notify_url").asText());
    SubmitUpscaleTaskOutcome submitted = api.submitUpscaleTask(body, null, null);
    surfaced.add(MAPPER.writeValueAsString(submitted));
    accepted(submitted.getCode(), submitted.getMessage(), "the submit");
    String taskId = submitted.getResult() == null ? null : submitted.getResult().getTaskId();
    if (taskId == null || taskId.isEmpty()) throw new Glue("malformed_response", "code 0 without result.task_id");
    String action = r.get("action").asText();
    if (action.equals("submit") || action.equals("submit_with_callback")) return "submitted";
    Duration wait = seconds(sdk, "wait_timeout_s");
    Duration poll = seconds(sdk, "poll_interval_s");
    double waitS = wait == null ? 300 : wait.toNanos() / 1e9;
    long pollMs = poll == null ? 50 : poll.toMillis();
    for (;;) {
      GetUpscaleTaskResultOutcome read = api.getUpscaleTaskResult(taskId);
      surfaced.add(MAPPER.writeValueAsString(read));
      accepted(read.getCode(), read.getMessage(), "the result read");
      List<SubTaskResult> subs = read.getResult() == null ? null : read.getResult().getSubTaskResults();
      if (subs == null) throw new Glue("malformed_response", "the result read: no sub_task_results");
      boolean done = !subs.isEmpty();
      boolean unknown = !subs.isEmpty();
      for (SubTaskResult sub : subs) {
        Integer status = sub.getTaskStatus();
        if (status == null) throw new Glue("malformed_response", "task_status: missing");
        if (status == 4) {
          surfaced.add("task " + taskId + " refused by the safety review");
          return "refused";
        }
        if (status == 3) {
          surfaced.add("task " + taskId + " failed");
          return "failed";
        }
        done = done && status == 1;
        unknown = unknown && status != 1 && !TRANSIENT.contains(status);
      }
      if (done) {
        if (action.equals("submit_wait_download")) download(subs.get(0).getImage(), r, timeout);
        return "succeeded";
      }
      if (unknown) throw new Glue("other", "task " + taskId + ": unknown final status");
      if (elapsed() > waitS) {
        surfaced.add("task " + taskId + ": not final in time");
        return "timeout";
      }
      Thread.sleep(pollMs);
    }
  }

  static void download(String url, JsonNode r, Duration timeout) throws Exception {
    if (url == null) throw new Glue("malformed_response", "image: not a URL");
    HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
    HttpRequest.Builder get = HttpRequest.newBuilder(URI.create(url));
    if (timeout != null) get.timeout(timeout);
    HttpResponse<byte[]> answer = http.send(get.build(), HttpResponse.BodyHandlers.ofByteArray());
    if (answer.statusCode() != 200) throw new Glue("download", "image: HTTP " + answer.statusCode());
    JsonNode limit = r.get("sdk").get("max_download_bytes");
    if (limit != null && !limit.isNull() && answer.body().length > limit.asLong()) {
      throw new Glue("download", "image: more than " + limit.asLong() + " bytes");
    }
    Files.write(Path.of(r.get("output_path").asText()), answer.body());
  }

  /** The protocol-2 kind of what the generated client (or the glue) threw. */
  static String kindOf(Throwable error) {
    if (error instanceof Glue) return ((Glue) error).kind;
    Throwable cause = error instanceof ApiException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof HttpTimeoutException) return "timeout";
    if (cause instanceof JsonProcessingException) return "malformed_response"; // the models could not read it
    if (cause instanceof ConnectException || cause instanceof IOException) return "connection";
    if (error instanceof ApiException) {
      int status = ((ApiException) error).getCode();
      if (status == 401 || status == 403) return "auth";
      if (status == 429) return "rate_limited";
      if (status >= 500) return "server";
      if (status >= 400) return "rejected";
      if (status >= 300) return "redirect";
      return "other";
    }
    if (error instanceof IllegalArgumentException) return "validation"; // UpsaleRatioEnum.fromValue(3)
    return "other";
  }

  public static void main(String[] args) throws Exception {
    String outcome;
    String errorKind = null;
    String errorType = null;
    try {
      outcome = run(MAPPER.readTree(System.in.readAllBytes()));
    } catch (Exception error) {
      surfaced.add(error.toString());
      if (error instanceof ApiException && ((ApiException) error).getResponseBody() != null) {
        surfaced.add(((ApiException) error).getResponseBody());
      }
      errorKind = kindOf(error);
      errorType = error.getClass().getName();
      outcome = errorKind.equals("timeout") ? "timeout" : "error";
    }
    Map<String, Object> observation = new LinkedHashMap<>();
    observation.put("outcome", outcome);
    observation.put("error_kind", errorKind);
    observation.put("error_type", errorType);
    observation.put("surfaced", surfaced);
    observation.put("seconds", elapsed());
    System.out.println(new ObjectMapper().writeValueAsString(observation));
  }
}
