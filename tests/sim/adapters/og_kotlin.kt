// The conformance adapter of the Kotlin client openapi-generator's `kotlin` generator makes from the spec
// (the interop row og-kotlin: OkHttp, serializationLibrary=jackson); src/hidream_contract/interop/
// conformance.py generates the client, compiles it with this file as the row's pom.xml does and runs
// `java -cp ... Og_kotlinKt` once per catalog case. Protocol: hidream_sim.conformance, protocol 2 (the
// request as JSON on stdin, the observation as the last line of stdout; docs/sdk-authors.md).
//
// The glue is go_glue.go's (a poll loop with the provider's status rule, a download without the token, the
// error kinds of protocol 2); only the calls differ. OkHttp has the three timeouts the protocol names:
// request_timeout_s is its connect and read (idle) timeouts, deadline_s its callTimeout (the whole call).
// Its other defaults are kept, as a user keeps them: it follows redirects (a 308 on the POST too). The
// token is ApiClient.accessToken (a global of the generated client, as the row's driver sets it).
import com.fasterxml.jackson.core.JsonProcessingException
import com.fasterxml.jackson.databind.JsonNode
import com.fasterxml.jackson.databind.ObjectMapper
import java.io.IOException
import java.io.InterruptedIOException
import java.io.File
import java.util.concurrent.TimeUnit
import okhttp3.OkHttpClient
import okhttp3.Request
import org.openapitools.client.apis.UpscaleApi
import org.openapitools.client.infrastructure.ApiClient
import org.openapitools.client.infrastructure.ClientError
import org.openapitools.client.infrastructure.ClientException
import org.openapitools.client.infrastructure.Serializer
import org.openapitools.client.infrastructure.ServerError
import org.openapitools.client.infrastructure.ServerException
import org.openapitools.client.models.UpscaleRequest

private val TRANSIENT = setOf(-5, -4, -3, -2, -1, 0, 2)
private val surfaced = mutableListOf<String>()
private var started = System.nanoTime()

/** An error the glue raises itself, with its protocol-2 kind. */
private class Glue(val kind: String, message: String) : RuntimeException(message)

private fun millis(sdk: JsonNode, name: String): Long? =
    sdk.get(name)?.takeUnless { it.isNull }?.let { (it.asDouble() * 1000).toLong() }

private fun elapsed(): Double = (System.nanoTime() - started) / 1e9

private fun accepted(code: Int, message: String, what: String) {
    if (code == 0) return
    throw Glue(if (code == 401) "auth" else "rejected", "$what rejected: code $code: $message")
}

private fun run(r: JsonNode): String {
    val sdk = r.get("sdk")
    val builder = OkHttpClient.Builder()
    millis(sdk, "request_timeout_s")?.let {
        builder.connectTimeout(it, TimeUnit.MILLISECONDS).readTimeout(it, TimeUnit.MILLISECONDS)
    }
    millis(sdk, "deadline_s")?.let { builder.callTimeout(it, TimeUnit.MILLISECONDS) }
    val http = builder.build()
    ApiClient.accessToken = r.get("token").asText()
    val api = UpscaleApi(r.get("base_url").asText().trimEnd('/'), http)
    val ratio = r.get("upsale_ratio").asInt()
    val body = UpscaleRequest(
        image = r.get("image").asText(),
        upsaleRatio = UpscaleRequest.UpsaleRatio.entries.firstOrNull { it.value == ratio }
            ?: throw IllegalArgumentException("upsale_ratio: $ratio is not one of 2, 4 (the generated enum)"),
        notifyUrl = r.get("notify_url")?.takeUnless { it.isNull }?.asText(),
    )
    started = System.nanoTime() // the SDK call's time: the JVM's start and the setup above are not its
    val submitted = api.submitUpscaleTask(body)
    surfaced.add(Serializer.jacksonObjectMapper.writeValueAsString(submitted))
    accepted(submitted.code, submitted.message, "the submit")
    val taskId = submitted.result?.taskId
    if (taskId.isNullOrEmpty()) throw Glue("malformed_response", "code 0 without result.task_id")
    val action = r.get("action").asText()
    if (action == "submit" || action == "submit_with_callback") return "submitted"
    val waitS = (millis(sdk, "wait_timeout_s") ?: 300_000L) / 1000.0
    val pollMs = millis(sdk, "poll_interval_s") ?: 50L
    while (true) {
        val read = api.getUpscaleTaskResult(taskId)
        surfaced.add(Serializer.jacksonObjectMapper.writeValueAsString(read))
        accepted(read.code, read.message, "the result read")
        val subs = read.result?.subTaskResults
            ?: throw Glue("malformed_response", "the result read: no sub_task_results")
        val statuses = subs.map { it.taskStatus }
        if (4 in statuses) {
            surfaced.add("task $taskId refused by the safety review")
            return "refused"
        }
        if (3 in statuses) {
            surfaced.add("task $taskId failed")
            return "failed"
        }
        if (statuses.isNotEmpty() && statuses.all { it == 1 }) {
            if (action == "submit_wait_download") download(http, subs[0].image, r)
            return "succeeded"
        }
        if (statuses.isNotEmpty() && statuses.all { it != 1 && it !in TRANSIENT }) {
            throw Glue("other", "task $taskId: unknown final status $statuses")
        }
        if (elapsed() > waitS) {
            surfaced.add("task $taskId: not final in time")
            return "timeout"
        }
        Thread.sleep(pollMs)
    }
}

private fun download(http: OkHttpClient, url: String?, r: JsonNode) {
    if (url == null) throw Glue("malformed_response", "image: not a URL")
    // The same OkHttpClient: the token is added by the generated ApiClient, not by OkHttp.
    http.newCall(Request.Builder().url(url).build()).execute().use { answer ->
        if (answer.code != 200) throw Glue("download", "image: HTTP ${answer.code}")
        val bytes = answer.body.bytes()
        val limit = r.get("sdk").get("max_download_bytes")
        if (limit != null && !limit.isNull && bytes.size > limit.asLong()) {
            throw Glue("download", "image: more than ${limit.asLong()} bytes")
        }
        File(r.get("output_path").asText()).writeBytes(bytes)
    }
}

/** The protocol-2 kind of what the generated client (or the glue) threw. */
private fun kindOf(error: Throwable): String {
    fun status(code: Int) = when {
        code == 401 || code == 403 -> "auth"
        code == 429 -> "rate_limited"
        code >= 500 -> "server"
        code >= 400 -> "rejected"
        else -> "other"
    }
    return when (error) {
        is Glue -> error.kind
        is InterruptedIOException -> "timeout" // OkHttp's read timeout and callTimeout
        is JsonProcessingException -> "malformed_response" // the models could not read the body
        is IOException -> "connection"
        is ClientException -> status(error.statusCode)
        is ServerException -> status(error.statusCode)
        // "Client does not support Redirection responses." / "... only supports JSON body ..."
        is UnsupportedOperationException -> if ("Redirection" in error.message.orEmpty()) "redirect" else "malformed_response"
        is IllegalArgumentException -> "validation"
        // A body not labelled JSON: the client's responseBody gives null (text) and its call casts that
        // to the model: "null cannot be cast to non-null type".
        is NullPointerException, is ClassCastException -> "malformed_response"
        else -> "other"
    }
}

fun main() {
    var outcome: String
    var errorKind: String? = null
    var errorType: String? = null
    try {
        outcome = run(Serializer.jacksonObjectMapper.readTree(System.`in`.readBytes()))
    } catch (error: Exception) {
        surfaced.add(error.toString())
        // The answer's body is in the exception's response (the message has the status only).
        val response = (error as? ClientException)?.response ?: (error as? ServerException)?.response
        (response as? ClientError<*>)?.body?.let { surfaced.add(it.toString()) }
        (response as? ServerError<*>)?.body?.let { surfaced.add(it.toString()) }
        errorKind = kindOf(error)
        errorType = error.javaClass.name
        outcome = if (errorKind == "timeout") "timeout" else "error"
    }
    val observation = linkedMapOf(
        "outcome" to outcome, "error_kind" to errorKind, "error_type" to errorType,
        "surfaced" to surfaced, "seconds" to elapsed(),
    )
    println(ObjectMapper().writeValueAsString(observation))
}
