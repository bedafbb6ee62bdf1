// The conformance adapter of the Go client oapi-codegen makes from the spec's OpenAPI 3.0 rendition (the
// interop row `oapi-codegen`; src/hidream_contract/interop/conformance.py generates the client, builds
// this file beside it and runs it once per catalog case). Protocol: hidream_sim.conformance, protocol 2
// (the request as JSON on stdin, the observation as the last line of stdout; docs/sdk-authors.md).
//
// It uses what the generated client offers and nothing more, plus the glue every user of it writes: a
// poll loop with the provider's status rule (0/2 and -5..-1 transient, 1 done, 3 failed, 4 refused,
// anything else stops), a download with net/http (no token, bounded by max_download_bytes) and the
// error kinds of protocol 2 (from the HTTP status or the envelope). The generated client has no
// retries, no Retry-After, no deadline of its own (an http.Client timeout per request is what Go
// offers), no local validation and no redaction: the table shows that honestly. og_go.go is the same
// glue around openapi-generator's go client.
package main

import (
	"context"
	"net/http"
	"time"

	client "interopdriver/client"
)

func run(r request) (string, error) {
	httpClient := httpClientFor(r)
	api, err := client.NewClientWithResponses(r.BaseURL, client.WithHTTPClient(httpClient),
		client.WithRequestEditorFn(func(ctx context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+r.Token)
			return nil
		}))
	if err != nil {
		return "", err
	}
	ctx := context.Background()
	body := client.UpscaleRequest{Image: r.Image, UpsaleRatio: client.UpscaleRequestUpsaleRatio(r.UpsaleRatio), NotifyUrl: r.NotifyURL}
	submitted, err := api.SubmitUpscaleTaskWithResponse(ctx, &client.SubmitUpscaleTaskParams{}, body)
	if err != nil {
		return "", err
	}
	surfaced = append(surfaced, string(submitted.Body))
	if submitted.StatusCode() != http.StatusOK || submitted.JSON200 == nil {
		return "", fail(statusKind(submitted.StatusCode()), "the submit: HTTP %d", submitted.StatusCode())
	}
	if submitted.JSON200.Code != 0 {
		return "", rejected("the submit", submitted.JSON200.Code, submitted.JSON200.Message)
	}
	task := submitted.JSON200.Result
	if task == nil || task.TaskId == nil || *task.TaskId == "" {
		return "", fail("malformed_response", "code 0 without result.task_id")
	}
	taskID := *task.TaskId
	if r.Action == "submit" || r.Action == "submit_with_callback" {
		return "submitted", nil
	}
	started := time.Now()
	for {
		read, err := api.GetUpscaleTaskResultWithResponse(ctx, &client.GetUpscaleTaskResultParams{TaskId: taskID})
		if err != nil {
			return "", err
		}
		surfaced = append(surfaced, string(read.Body))
		if read.StatusCode() != http.StatusOK || read.JSON200 == nil {
			return "", fail(statusKind(read.StatusCode()), "the result read: HTTP %d", read.StatusCode())
		}
		if read.JSON200.Code != 0 {
			return "", rejected("the result read", read.JSON200.Code, read.JSON200.Message)
		}
		if read.JSON200.Result == nil || read.JSON200.Result.SubTaskResults == nil {
			return "", fail("malformed_response", "the result read: no sub_task_results")
		}
		subs := *read.JSON200.Result.SubTaskResults
		statuses := make([]int, len(subs))
		for i, sub := range subs {
			statuses[i] = sub.TaskStatus
		}
		outcome, err := settle(taskID, statuses, seconds(r.SDK.WaitTimeoutS, 300), started)
		if err != nil || outcome == "failed" || outcome == "refused" || outcome == "timeout" {
			return outcome, err
		}
		if outcome == "succeeded" {
			if r.Action == "submit_wait_download" {
				if subs[0].Image == nil {
					return "", fail("malformed_response", "image: not a URL")
				}
				if err := download(httpClient, *subs[0].Image, r); err != nil {
					return "", err
				}
			}
			return outcome, nil
		}
		time.Sleep(seconds(r.SDK.PollIntervalS, 0.05))
	}
}
