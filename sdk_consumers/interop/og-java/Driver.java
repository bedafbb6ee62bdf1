// Interop driver for openapi-generator's java client (library native): offline, the generated
// models read each body (the one the spec gives its status) with the client's own ObjectMapper, which
// writes `result` back; online, the generated API calls the Prism mock.
//
//   java Driver CASES_JSON [BASE_URL]   prints one answer per case as a JSON list
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openapitools.client.ApiClient;
import org.openapitools.client.ApiException;
import org.openapitools.client.JSON;
import org.openapitools.client.api.UpscaleApi;
import org.openapitools.client.model.ErrorEnvelope;
import org.openapitools.client.model.GetUpscaleTaskResultOutcome;
import org.openapitools.client.model.SubmitUpscaleTaskOutcome;
import org.openapitools.client.model.UpscaleRequest;

public class Driver {
  static final ObjectMapper MAPPER = JSON.getDefault().getMapper();
  // Written back without the fields the body did not have (absent, not null).
  static final ObjectMapper WIRE = MAPPER.copy().setSerializationInclusion(JsonInclude.Include.NON_NULL);

  static Map<String, Object> answer(String kind) {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("kind", kind);
    return a;
  }

  static Map<String, Object> error(Integer code, String message) {
    Map<String, Object> a = answer("error");
    a.put("code", code);
    a.put("message", message);
    return a;
  }

  static Map<String, Object> outcome(Integer code, String message, Object result) {
    if (code != 0) return error(code, message);
    if (result == null) {
      Map<String, Object> a = answer("failed");
      a.put("detail", "code 0 without a result");
      return a;
    }
    Map<String, Object> a = answer("ok");
    a.put("result", WIRE.valueToTree(result));
    return a;
  }

  static Map<String, Object> read(SubmitUpscaleTaskOutcome o) {
    return outcome(o.getCode(), o.getMessage(), o.getResult());
  }

  static Map<String, Object> read(GetUpscaleTaskResultOutcome o) {
    return outcome(o.getCode(), o.getMessage(), o.getResult());
  }

  static Map<String, Object> offline(JsonNode c) throws Exception {
    String body = c.get("body").asText();
    int status = c.get("status").asInt();
    if (status < 200 || status >= 300) {
      ErrorEnvelope e = MAPPER.readValue(body, ErrorEnvelope.class);
      return error(e.getCode(), e.getMessage());
    }
    switch (c.get("operation").asText()) {
      case "submitUpscaleTask":
        return read(MAPPER.readValue(body, SubmitUpscaleTaskOutcome.class));
      case "getUpscaleTaskResult":
        return read(MAPPER.readValue(body, GetUpscaleTaskResultOutcome.class));
      default:
        throw new IllegalArgumentException("no driver code for " + c.get("operation").asText());
    }
  }

  static Map<String, Object> online(JsonNode c, JsonNode in, String baseUrl) throws Exception {
    URI base = URI.create(baseUrl);
    ApiClient client = new ApiClient();
    client.setScheme(base.getScheme());
    client.setHost(base.getHost());
    client.setPort(base.getPort());
    client.setBasePath(base.getPath());
    String prefer = "code=" + c.get("status").asInt() + ", example=" + c.get("example").asText();
    String token = in.get("token").asText();
    client.setRequestInterceptor(b -> b.header("Authorization", "Bearer " + token).header("Prefer", prefer));
    UpscaleApi api = new UpscaleApi(client);
    String operation = c.get("operation").asText();
    JsonNode call = in.get("operations").get(operation);
    try {
      switch (operation) {
        case "submitUpscaleTask":
          return read(api.submitUpscaleTask(MAPPER.treeToValue(call.get("body"), UpscaleRequest.class), null, null));
        case "getUpscaleTaskResult":
          return read(api.getUpscaleTaskResult(call.get("query").get("task_id").asText()));
        default:
          throw new IllegalArgumentException("no driver code for " + operation);
      }
    } catch (ApiException rejected) {
      ErrorEnvelope e = MAPPER.readValue(rejected.getResponseBody(), ErrorEnvelope.class);
      return error(e.getCode(), e.getMessage());
    }
  }

  public static void main(String[] args) throws Exception {
    JsonNode in = MAPPER.readTree(Files.readString(Path.of(args[0])));
    String baseUrl = args.length > 1 ? args[1] : null;
    List<Map<String, Object>> answers = new ArrayList<>();
    for (JsonNode c : in.get("cases")) {
      if (baseUrl != null && c.get("example").isNull()) continue;
      Map<String, Object> a;
      try {
        a = baseUrl == null ? offline(c) : online(c, in, baseUrl);
      } catch (Exception failure) {
        a = answer("failed");
        a.put("detail", failure.toString());
      }
      a.put("id", c.get("id").asText());
      answers.add(a);
    }
    System.out.print(MAPPER.writeValueAsString(answers));
  }
}
