<?php
// Interop driver for openapi-generator's php client: offline, ObjectSerializer reads each body into
// the model the spec gives its status and writes `result` back; online, the generated API calls the
// Prism mock through Guzzle.
//
//   php driver.php CLIENT_DIR CASES_JSON [BASE_URL]   prints one answer per case as a JSON list
//
// The client is loaded as its composer.json says (PSR-4, OpenAPI\Client\ => lib/); Guzzle comes from
// Composer's vendor/ when there is one, else from the distribution (Debian: php-guzzlehttp-guzzle).

declare(strict_types=1);

[$self, $clientDir, $casesFile] = $argv;
$baseUrl = $argv[3] ?? null;
$vendor = $clientDir . '/vendor/autoload.php';
require file_exists($vendor) ? $vendor : '/usr/share/php/GuzzleHttp/autoload.php';
spl_autoload_register(function (string $class) use ($clientDir): void {
    $prefix = 'OpenAPI\\Client\\';
    if (str_starts_with($class, $prefix)) {
        require $clientDir . '/lib/' . str_replace('\\', '/', substr($class, strlen($prefix))) . '.php';
    }
});

use OpenAPI\Client\Api\UpscaleApi;
use OpenAPI\Client\ApiException;
use OpenAPI\Client\Configuration;
use OpenAPI\Client\Model\ErrorEnvelope;
use OpenAPI\Client\Model\GetUpscaleTaskResultOutcome;
use OpenAPI\Client\Model\SubmitUpscaleTaskOutcome;
use OpenAPI\Client\Model\UpscaleRequest;
use OpenAPI\Client\Model\UpscaleTask;
use OpenAPI\Client\Model\UpscaleTaskResult;
use OpenAPI\Client\ObjectSerializer;

// Per operation: the 2xx envelope model, its result model, and the generated call.
$operations = [
    'submitUpscaleTask' => [
        SubmitUpscaleTaskOutcome::class,
        UpscaleTask::class,
        fn (UpscaleApi $api, array $call) => $api->submitUpscaleTask(new UpscaleRequest($call['body'])),
    ],
    'getUpscaleTaskResult' => [
        GetUpscaleTaskResultOutcome::class,
        UpscaleTaskResult::class,
        fn (UpscaleApi $api, array $call) => $api->getUpscaleTaskResult($call['query']['task_id']),
    ],
];

function rejection(int $code, string $message): array
{
    return ['kind' => 'error', 'code' => $code, 'message' => $message];
}

function read(object $outcome, string $outcomeModel, string $resultModel): array
{
    if ($outcome instanceof $outcomeModel && $outcome->getCode() === 0) {
        $result = $outcome->getResult();
        if (!($result instanceof $resultModel)) {
            return ['kind' => 'failed', 'detail' => 'code 0 but result is ' . get_debug_type($result)];
        }
        $wire = json_decode(json_encode(ObjectSerializer::sanitizeForSerialization($result)), true);
        return ['kind' => 'ok', 'result' => $wire];
    }
    if ($outcome instanceof $outcomeModel || $outcome instanceof ErrorEnvelope) {
        return rejection($outcome->getCode(), $outcome->getMessage());
    }
    return ['kind' => 'failed', 'detail' => 'decoded as ' . get_debug_type($outcome)];
}

$input = json_decode(file_get_contents($casesFile), true, 512, JSON_THROW_ON_ERROR);
$answers = [];
foreach ($input['cases'] as $case) {
    if ($baseUrl !== null && $case['example'] === null) {
        continue;
    }
    [$outcomeModel, $resultModel, $call] = $operations[$case['operation']];
    try {
        if ($baseUrl === null) {
            $success = $case['status'] >= 200 && $case['status'] < 300;
            $model = $success ? $outcomeModel : ErrorEnvelope::class;
            $decoded = ObjectSerializer::deserialize(json_decode($case['body']), $model, []);
            $answer = read($decoded, $outcomeModel, $resultModel);
        } else {
            $config = Configuration::getDefaultConfiguration()->setHost($baseUrl)->setAccessToken($input['token']);
            $prefer = sprintf('code=%d, example=%s', $case['status'], $case['example']);
            $http = new GuzzleHttp\Client(['headers' => ['Prefer' => $prefer]]);
            try {
                $answer = read($call(new UpscaleApi($http, $config), $input['operations'][$case['operation']]), $outcomeModel, $resultModel);
            } catch (ApiException $rejected) {
                $error = ObjectSerializer::deserialize(json_decode((string) $rejected->getResponseBody()), ErrorEnvelope::class, []);
                $answer = read($error, $outcomeModel, $resultModel);
            }
        }
    } catch (Throwable $failure) {
        $answer = ['kind' => 'failed', 'detail' => substr(get_class($failure) . ': ' . $failure->getMessage(), 0, 300)];
    }
    $answers[] = ['id' => $case['id']] + $answer;
}
echo json_encode($answers);
