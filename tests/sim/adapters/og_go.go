// The conformance adapter of the Go client openapi-generator's `go` generator makes from the spec, with the
// interop row's options (`og-go`: disallowAdditionalPropertiesIfNotPresent=false);
// src/hidream_contract/interop/conformance.py generates the client, builds this file beside it and runs
// it once per catalog case. Protocol: hidream_sim.conformance, protocol 2 (the request as JSON on stdin,
// the observation as the last line of stdout; docs/sdk-authors.md).
//
// The glue is go_glue.go (a poll loop with the provider's status rule, a download without the
// token, the error kinds of protocol 2); only the calls to the generated client differ.
package main

import (
	"context"
	"errors"
	"net/http"
	"time"

	client "example.com/hidream/client"
)

// answered turns the generated client's error into the glue's, by the HTTP status when there was one.
// The generated Execute returns the *http.Response with the error also when reading the body failed (a
// timeout mid-body, a cut connection): the status line came, the body did not. Such an error is the
// transport's (timeout, connection), not an unreadable body, so it is kept as it is.
func answered(what string, answer *http.Response, err error) error {
	if answer == nil {
		return err // no answer: a connection or timeout error
	}
	if kind := kindOf(err); kind == "timeout" || kind == "connection" {
		return err
	}
	if answer.StatusCode == http.StatusOK {
		return fail("malformed_response", "%s: a body the generated models could not read: %v", what, err)
	}
	return fail(statusKind(answer.StatusCode), "%s: HTTP %d: %v", what, answer.StatusCode, err)
}

func run(r request) (string, error) {
	httpClient := httpClientFor(r)
	cfg := client.NewConfiguration()
	cfg.Servers = client.ServerConfigurations{{URL: r.BaseURL}}
	cfg.HTTPClient = httpClient
	api := client.NewAPIClient(cfg)
	ctx := context.WithValue(context.Background(), client.ContextAccessToken, r.Token)
	body := client.UpscaleRequest{Image: r.Image, UpsaleRatio: int32(r.UpsaleRatio), NotifyUrl: r.NotifyURL}
	submitted, answer, err := api.UpscaleAPI.SubmitUpscaleTask(ctx).UpscaleRequest(body).Execute()
	if err != nil {
		var generic *client.GenericOpenAPIError
		if errors.As(err, &generic) {
			surfaced = append(surfaced, string(generic.Body()))
		}
		return "", answered("the submit", answer, err)
	}
	surface(submitted)
	if submitted.Code != 0 {
		return "", rejected("the submit", int(submitted.Code), submitted.Message)
	}
	task := submitted.Result.Get()
	if task == nil || task.GetTaskId() == "" {
		return "", fail("malformed_response", "code 0 without result.task_id")
	}
	taskID := task.GetTaskId()
	if r.Action == "submit" || r.Action == "submit_with_callback" {
		return "submitted", nil
	}
	started := time.Now()
	for {
		read, answer, err := api.UpscaleAPI.GetUpscaleTaskResult(ctx).TaskId(taskID).Execute()
		if err != nil {
			return "", answered("the result read", answer, err)
		}
		surface(read)
		if read.Code != 0 {
			return "", rejected("the result read", int(read.Code), read.Message)
		}
		result := read.Result.Get()
		if result == nil || result.SubTaskResults == nil {
			return "", fail("malformed_response", "the result read: no sub_task_results")
		}
		subs := result.SubTaskResults
		statuses := make([]int, len(subs))
		for i, sub := range subs {
			statuses[i] = int(sub.TaskStatus)
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
