<?php
// The conformance adapter of the PHP client openapi-generator's `php` generator makes from the spec (the
// interop row og-php, Guzzle 7 from Debian); src/hidream_contract/interop/conformance.py generates the
// client and runs this file once per catalog case. Protocol: hidream_sim.conformance, protocol 2 (the
// request as JSON on stdin, the observation as the last line of stdout; docs/sdk-authors.md).
//
//   php og_php.php CLIENT_DIR
//
// The glue is go_glue.go's (a poll loop with the provider's status rule, a download without the token, the
// error kinds of protocol 2); only the calls differ. The generated API takes the Guzzle client it is
// given: its `timeout` (the whole request, as Go's http.Client.Timeout) is where request_timeout_s and
// deadline_s go, the smaller of the two. Guzzle's other defaults are kept, as a user keeps them: it follows
// redirects (a 308 on the POST too) and throws for every 4xx and 5xx, which the client rethrows as an
// ApiException whose code is the HTTP status (0 when no answer came: Guzzle's message says why).

declare(strict_types=1);

$clientDir = $argv[1];
require '/usr/share/php/GuzzleHttp/autoload.php';
spl_autoload_register(function (string $class) use ($clientDir): void {
    $prefix = 'OpenAPI\\Client\\';
    if (str_starts_with($class, $prefix)) {
        require $clientDir . '/lib/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
    }
});

use OpenAPI\Client\Api\UpscaleApi;
use OpenAPI\Client\ApiException;
use OpenAPI\Client\Configuration;
use OpenAPI\Client\Model\UpscaleRequest;

const TRANSIENT = [-5, -4, -3, -2, -1, 0, 2];

/** An error the glue raises itself, with its protocol-2 kind. */
final class Glue extends RuntimeException
{
    public function __construct(public readonly string $kind, string $message)
    {
        parent::__construct($message);
    }
}

$surfaced = [];
$started = microtime(true);

function surface(mixed $value): void
{
    global $surfaced;
    $surfaced[] = is_string($value) ? $value : (string) json_encode($value);
}

/** The envelope's code and message; a code that is not 0 is a rejection. */
function accepted(object $outcome, string $what): void
{
    $code = method_exists($outcome, 'getCode') ? $outcome->getCode() : null;
    if ($code === 0) {
        return;
    }
    $kind = $code === 401 ? 'auth' : (is_int($code) ? 'rejected' : 'malformed_response');
    $message = method_exists($outcome, 'getMessage') ? $outcome->getMessage() : '';
    throw new Glue($kind, sprintf('%s rejected: code %s: %s', $what, var_export($code, true), (string) $message));
}

function run(array $r, GuzzleHttp\Client $http): string
{
    global $started;
    $config = Configuration::getDefaultConfiguration()->setHost($r['base_url'])->setAccessToken($r['token']);
    $api = new UpscaleApi($http, $config);
    $body = ['image' => $r['image'], 'upsale_ratio' => $r['upsale_ratio']];
    if (isset($r['notify_url'])) {
        $body['notify_url'] = $r['notify_url'];
    }
    $submitted = $api->submitUpscaleTask(new UpscaleRequest($body));
    surface($submitted);
    accepted($submitted, 'the submit');
    $task = $submitted->getResult();
    $taskId = is_object($task) && method_exists($task, 'getTaskId') ? $task->getTaskId() : null;
    if (!is_string($taskId) || $taskId === '') {
        throw new Glue('malformed_response', 'code 0 without result.task_id');
    }
    if ($r['action'] === 'submit' || $r['action'] === 'submit_with_callback') {
        return 'submitted';
    }
    $wait = $r['sdk']['wait_timeout_s'] ?? 300;
    $poll = $r['sdk']['poll_interval_s'] ?? 0.05;
    for (;;) {
        $read = $api->getUpscaleTaskResult($taskId);
        surface($read);
        accepted($read, 'the result read');
        $result = $read->getResult();
        $subs = is_object($result) && method_exists($result, 'getSubTaskResults') ? $result->getSubTaskResults() : null;
        if (!is_array($subs)) {
            throw new Glue('malformed_response', 'the result read: no sub_task_results');
        }
        $statuses = array_map(fn ($sub) => $sub->getTaskStatus(), $subs);
        foreach ($statuses as $status) {
            if (!is_int($status)) {
                throw new Glue('malformed_response', 'task_status: not a number');
            }
        }
        if (in_array(4, $statuses, true)) {
            surface("task $taskId refused by the safety review");
            return 'refused';
        }
        if (in_array(3, $statuses, true)) {
            surface("task $taskId failed");
            return 'failed';
        }
        if ($statuses !== [] && count(array_filter($statuses, fn ($s) => $s !== 1)) === 0) {
            if ($r['action'] === 'submit_wait_download') {
                download($http, $subs[0]->getImage(), $r);
            }
            return 'succeeded';
        }
        $unknown = array_filter($statuses, fn ($s) => $s !== 1 && !in_array($s, TRANSIENT, true));
        if ($statuses !== [] && count($unknown) === count($statuses)) {
            throw new Glue('other', "task $taskId: unknown final status " . implode(',', $statuses));
        }
        if (microtime(true) - $started > $wait) {
            surface("task $taskId: not final in time");
            return 'timeout';
        }
        usleep((int) ($poll * 1e6));
    }
}

function download(GuzzleHttp\Client $http, mixed $url, array $r): void
{
    if (!is_string($url)) {
        throw new Glue('malformed_response', 'image: not a URL');
    }
    // No token: it is in the generated API's Configuration, not in the Guzzle client.
    $answer = $http->request('GET', $url, ['http_errors' => false]);
    if ($answer->getStatusCode() !== 200) {
        throw new Glue('download', 'image: HTTP ' . $answer->getStatusCode());
    }
    $data = (string) $answer->getBody();
    $limit = $r['sdk']['max_download_bytes'] ?? null;
    if ($limit !== null && strlen($data) > $limit) {
        throw new Glue('download', "image: more than $limit bytes");
    }
    file_put_contents($r['output_path'], $data);
}

/** The protocol-2 kind of what the generated client (or the glue) threw. */
function kindOf(Throwable $error): string
{
    if ($error instanceof Glue) {
        return $error->kind;
    }
    if ($error instanceof ApiException) {
        $status = $error->getCode();
        if ($status === 0) {
            // No answer: Guzzle's curl error 28 is a timeout, any other a connection error.
            return str_contains($error->getMessage(), 'cURL error 28') ? 'timeout' : 'connection';
        }
        return match (true) {
            $status === 401 || $status === 403 => 'auth',
            $status === 429 => 'rate_limited',
            $status >= 500 => 'server',
            $status >= 400 => 'rejected',
            $status >= 300 => 'redirect',
            default => 'malformed_response', // a 2xx whose body is not JSON
        };
    }
    if ($error instanceof GuzzleHttp\Exception\ConnectException) {
        return str_contains($error->getMessage(), 'cURL error 28') ? 'timeout' : 'connection';
    }
    if ($error instanceof Error || $error instanceof InvalidArgumentException || $error instanceof JsonException) {
        // ObjectSerializer's settype() of a value the model cannot hold (an object for a string) throws
        // an engine Error: the answer could not be read.
        return 'malformed_response';
    }
    return 'other';
}

$outcome = 'error';
$errorKind = null;
$errorType = null;
try {
    $r = json_decode((string) file_get_contents('php://stdin'), true, 512, JSON_THROW_ON_ERROR);
    $limits = array_filter([$r['sdk']['request_timeout_s'] ?? null, $r['sdk']['deadline_s'] ?? null], fn ($s) => $s !== null);
    $http = new GuzzleHttp\Client($limits === [] ? [] : ['timeout' => min($limits)]);
    $outcome = run($r, $http);
} catch (Throwable $error) {
    surface($error->getMessage());
    if ($error instanceof ApiException && $error->getResponseBody() !== null) {
        surface((string) $error->getResponseBody());
    }
    $errorKind = kindOf($error);
    $errorType = get_class($error);
    $outcome = $errorKind === 'timeout' ? 'timeout' : 'error';
}
echo json_encode([
    'outcome' => $outcome, 'error_kind' => $errorKind, 'error_type' => $errorType, 'surfaced' => $surfaced,
    'seconds' => microtime(true) - $started,
]), "\n";
