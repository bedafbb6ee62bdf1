// Interop driver for openapi-generator's kotlin client (jvm-okhttp4, serializationLibrary=jackson): offline,
// the generated models read each body (the one the spec gives its status) and write `result` back with
// the client's own Jackson ObjectMapper; online, the generated UpscaleApi calls the Prism mock with a
// request built with the generated constructor, as a Kotlin user builds it.
//
//     java -cp ... DriverKt CASES_JSON [BASE_URL]   prints one answer per case as a JSON list

import okhttp3.OkHttpClient
import org.openapitools.client.apis.UpscaleApi
import org.openapitools.client.infrastructure.ApiClient
import org.openapitools.client.infrastructure.ClientError
import org.openapitools.client.infrastructure.ClientException
import org.openapitools.client.infrastructure.Serializer
import org.openapitools.client.models.ErrorEnvelope
import org.openapitools.client.models.GetUpscaleTaskResultOutcome
import org.openapitools.client.models.SubmitUpscaleTaskOutcome
import org.openapitools.client.models.UpscaleRequest
import java.io.File

typealias Json = Map<String, Any?>

val mapper = Serializer.jacksonObjectMapper

fun rejection(code: Int, message: String): MutableMap<String, Any?> =
    mutableMapOf("kind" to "error", "code" to code, "message" to message)

/** `code` 0 carries a result: written back with the generated model's own mapper, as a JSON value. */
fun read(code: Int, message: String, result: Any?): MutableMap<String, Any?> {
    if (code != 0) return rejection(code, message)
    if (result == null) return mutableMapOf("kind" to "failed", "detail" to "code 0 without a result")
    return mutableMapOf("kind" to "ok", "result" to mapper.readValue(mapper.writeValueAsString(result), Any::class.java))
}

fun readSubmit(o: SubmitUpscaleTaskOutcome) = read(o.code, o.message, o.result)

fun readResult(o: GetUpscaleTaskResultOutcome) = read(o.code, o.message, o.result)

fun offline(case: Json): MutableMap<String, Any?> {
    val body = case["body"] as String
    val status = (case["status"] as Number).toInt()
    if (status !in 200..299) {
        val e = mapper.readValue(body, ErrorEnvelope::class.java)
        return rejection(e.code, e.message)
    }
    return when (case["operation"]) {
        "submitUpscaleTask" -> readSubmit(mapper.readValue(body, SubmitUpscaleTaskOutcome::class.java))
        "getUpscaleTaskResult" -> readResult(mapper.readValue(body, GetUpscaleTaskResultOutcome::class.java))
        else -> throw IllegalArgumentException("no driver code for ${case["operation"]}")
    }
}

/** The request as a Kotlin user builds it: the generated constructor, from the spec's example. */
fun request(body: Json): UpscaleRequest {
    val ratio = (body["upsale_ratio"] as Number).toInt()
    return UpscaleRequest(
        image = body["image"] as String,
        upsaleRatio = UpscaleRequest.UpsaleRatio.values().first { it.value == ratio },
        notifyUrl = body["notify_url"] as String?,
    )
}

fun online(case: Json, input: Json, baseUrl: String): MutableMap<String, Any?> {
    val prefer = "code=${(case["status"] as Number).toInt()}, example=${case["example"]}"
    val client = OkHttpClient.Builder()
        .addInterceptor { chain -> chain.proceed(chain.request().newBuilder().header("Prefer", prefer).build()) }
        .build()
    ApiClient.accessToken = input["token"] as String
    val api = UpscaleApi(baseUrl.trimEnd('/'), client)
    @Suppress("UNCHECKED_CAST")
    val call = (input["operations"] as Json)[case["operation"]] as Json
    return try {
        @Suppress("UNCHECKED_CAST")
        when (case["operation"]) {
            "submitUpscaleTask" -> readSubmit(api.submitUpscaleTask(request(call["body"] as Json), null, null))
            "getUpscaleTaskResult" -> readResult(api.getUpscaleTaskResult((call["query"] as Json)["task_id"] as String))
            else -> throw IllegalArgumentException("no driver code for ${case["operation"]}")
        }
    } catch (error: ClientException) {
        val body = (error.response as? ClientError<*>)?.body as? String ?: throw error
        val e = mapper.readValue(body, ErrorEnvelope::class.java)
        rejection(e.code, e.message)
    }
}

fun main(args: Array<String>) {
    @Suppress("UNCHECKED_CAST")
    val input = mapper.readValue(File(args[0]), Map::class.java) as Json
    val answers = mutableListOf<Map<String, Any?>>()
    @Suppress("UNCHECKED_CAST")
    for (case in input["cases"] as List<Json>) {
        if (args.size > 1 && case["example"] == null) continue
        val answer: MutableMap<String, Any?> = try {
            if (args.size > 1) online(case, input, args[1]) else offline(case)
        } catch (error: Exception) {
            mutableMapOf("kind" to "failed", "detail" to error.toString())
        }
        answer["id"] = case["id"]
        answers.add(answer)
    }
    print(mapper.writeValueAsString(answers))
}
