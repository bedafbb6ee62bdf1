// Interop driver for openapi-generator's java client (library native): offline, the generated
// models read each body (the one the spec gives its status) with the client's own ObjectMapper;
// online, the generated API calls the Prism mock.
//
//   java Driver CASES_JSON [BASE_URL]   prints one answer per case as a JSON list
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
import org.openapitools.client.model.SubmitUpscaleTaskOutcome;
import org.openapitools.client.model.UpscaleRequest;
import org.openapitools.client.model.UpscaleTask;

public class Driver {
  static final ObjectMapper MAPPER = JSON.getDefault().getMapper();

  static Map<String, Object> error(Integer code, String message) {
    Map<String, Object> a = new LinkedHashMap<>();
    a.put("kind", "error");
    a.put("code", code);
    a.put("message", message);
    return a;
  }

  static Map<String, Object> read(SubmitUpscaleTaskOutcome outcome) {
    if (outcome.getCode() != 0) return error(outcome.getCode(), outcome.getMessage());
    UpscaleTask task = outcome.getResult();
    Map<String, Object> a = new LinkedHashMap<>();
    if (task == null || task.getTaskId() == null || task.getSubTaskIds() == null) {
      a.put("kind", "failed");
      a.put("detail", "code 0 without a task in result");
      return a;
    }
    a.put("kind", "task");
    a.put("task_id", task.getTaskId());
    a.put("sub_task_ids", task.getSubTaskIds());
    return a;
  }

  static Map<String, Object> offline(JsonNode c) throws Exception {
    String body = c.get("body").asText();
    if (c.get("status").asInt() == 200) return read(MAPPER.readValue(body, SubmitUpscaleTaskOutcome.class));
    ErrorEnvelope e = MAPPER.readValue(body, ErrorEnvelope.class);
    return error(e.getCode(), e.getMessage());
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
    UpscaleRequest request = MAPPER.treeToValue(in.get("request"), UpscaleRequest.class);
    try {
      return read(new UpscaleApi(client).submitUpscaleTask(request, null, null));
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
        a = new LinkedHashMap<>();
        a.put("kind", "failed");
        a.put("detail", failure.toString());
      }
      a.put("id", c.get("id").asText());
      answers.add(a);
    }
    System.out.print(MAPPER.writeValueAsString(answers));
  }
}
