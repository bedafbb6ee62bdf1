// The conformance adapter of the Go client oapi-codegen makes from the spec's OpenAPI 3.0 rendition (the
// interop row `oapi-codegen`; src/hidream_contract/interop/conformance.py generates the client, builds
// this file beside it and runs it once per catalog case). Protocol: hidream_sim.conformance (the request
// as JSON on stdin, the observation as the last line of stdout; docs/sdk-authors.md).
//
// It uses what the generated client offers and nothing more, plus the glue every user of it writes: a
// poll loop over GetUpscaleTaskResult with the provider's status rules (0/2 and -5..-1 transient, 1
// done, 3 failed, 4 refused, anything else stops) and a download with net/http. The generated client
// has no retries, no Retry-After and no deadline of its own (an http.Client timeout per request is what
// Go offers) and no redaction: the table shows that honestly.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	client "interopdriver/client"
)

type request struct {
	Action      string  `json:"action"`
	BaseURL     string  `json:"base_url"`
	Token       string  `json:"token"`
	Image       string  `json:"image"`
	UpsaleRatio int     `json:"upsale_ratio"`
	NotifyURL   *string `json:"notify_url"`
	OutputPath  string  `json:"output_path"`
	SDK         struct {
		RequestTimeoutS *float64 `json:"request_timeout_s"`
		DeadlineS       *float64 `json:"deadline_s"`
		WaitTimeoutS    *float64 `json:"wait_timeout_s"`
		PollIntervalS   *float64 `json:"poll_interval_s"`
	} `json:"sdk"`
}

var surfaced = []string{}

func seconds(value *float64, otherwise float64) time.Duration {
	if value == nil {
		return time.Duration(otherwise * float64(time.Second))
	}
	return time.Duration(*value * float64(time.Second))
}

func transient(status int) bool {
	return status == 0 || status == 2 || (status >= -5 && status <= -1)
}

func run(r request) (string, error) {
	httpClient := &http.Client{}
	var limits []time.Duration
	if r.SDK.RequestTimeoutS != nil {
		limits = append(limits, seconds(r.SDK.RequestTimeoutS, 0))
	}
	if r.SDK.DeadlineS != nil {
		limits = append(limits, seconds(r.SDK.DeadlineS, 0))
	}
	for _, limit := range limits {
		if httpClient.Timeout == 0 || limit < httpClient.Timeout {
			httpClient.Timeout = limit
		}
	}
	api, err := client.NewClientWithResponses(r.BaseURL, client.WithHTTPClient(httpClient),
		client.WithRequestEditorFn(func(ctx context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+r.Token)
			return nil
		}))
	if err != nil {
		return "error", err
	}
	ctx := context.Background()
	body := client.UpscaleRequest{Image: r.Image, UpsaleRatio: client.UpscaleRequestUpsaleRatio(r.UpsaleRatio), NotifyUrl: r.NotifyURL}
	submitted, err := api.SubmitUpscaleTaskWithResponse(ctx, &client.SubmitUpscaleTaskParams{}, body)
	if err != nil {
		return "error", err
	}
	surfaced = append(surfaced, string(submitted.Body))
	if submitted.JSON200 == nil || submitted.JSON200.Code != 0 || submitted.JSON200.Result == nil ||
		submitted.JSON200.Result.TaskId == nil || *submitted.JSON200.Result.TaskId == "" {
		return "error", nil
	}
	taskID := *submitted.JSON200.Result.TaskId
	if r.Action == "submit" || r.Action == "submit_with_callback" {
		return "submitted", nil
	}
	started := time.Now()
	wait := seconds(r.SDK.WaitTimeoutS, 300)
	poll := seconds(r.SDK.PollIntervalS, 0.05)
	for {
		read, err := api.GetUpscaleTaskResultWithResponse(ctx, &client.GetUpscaleTaskResultParams{TaskId: taskID})
		if err != nil {
			return "error", err
		}
		surfaced = append(surfaced, string(read.Body))
		if read.JSON200 == nil || read.JSON200.Code != 0 {
			return "error", nil
		}
		var subs []client.SubTaskResult
		if read.JSON200.Result != nil && read.JSON200.Result.SubTaskResults != nil {
			subs = *read.JSON200.Result.SubTaskResults
		}
		done, unknown := len(subs) > 0, len(subs) > 0
		for _, sub := range subs {
			switch {
			case sub.TaskStatus == 4:
				return "refused", nil
			case sub.TaskStatus == 3:
				return "failed", nil
			}
			done = done && sub.TaskStatus == 1
			unknown = unknown && sub.TaskStatus != 1 && !transient(sub.TaskStatus)
		}
		if done {
			if r.Action == "submit_wait_download" {
				if subs[0].Image == nil {
					return "error", nil
				}
				image, err := httpClient.Get(*subs[0].Image)
				if err != nil {
					return "error", err
				}
				defer image.Body.Close()
				if image.StatusCode != http.StatusOK {
					return "error", fmt.Errorf("download: HTTP %d", image.StatusCode)
				}
				data, err := io.ReadAll(image.Body)
				if err != nil {
					return "error", err
				}
				if err := os.WriteFile(r.OutputPath, data, 0o644); err != nil {
					return "error", err
				}
			}
			return "succeeded", nil
		}
		if unknown {
			return "error", nil
		}
		if time.Since(started) > wait {
			return "timeout", nil
		}
		time.Sleep(poll)
	}
}

func main() {
	started := time.Now()
	raw, _ := io.ReadAll(os.Stdin)
	var r request
	outcome, errorType := "error", interface{}(nil)
	err := json.Unmarshal(raw, &r)
	if err == nil {
		outcome, err = run(r)
	}
	if err != nil {
		surfaced = append(surfaced, err.Error())
		errorType = fmt.Sprintf("%T", err)
		var timeout interface{ Timeout() bool }
		if errors.As(err, &timeout) && timeout.Timeout() || errors.Is(err, context.DeadlineExceeded) {
			outcome = "timeout"
		}
	}
	observation, _ := json.Marshal(map[string]interface{}{
		"outcome": outcome, "error_type": errorType, "surfaced": surfaced,
		"seconds": time.Since(started).Seconds(),
	})
	fmt.Println(string(observation))
}
