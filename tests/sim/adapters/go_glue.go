// The glue every Go conformance adapter shares (og_go.go, oapi_codegen.go): the request of adapter
// protocol 2, a poll loop with the provider's status rule (0/2 and -5..-1 transient, 1 done, 3 failed,
// 4 refused, anything else stops), a download with net/http (no token, bounded by max_download_bytes),
// the error kinds of protocol 2 and main. src/hidream_contract/interop/conformance.py copies it beside
// the client's own file, which holds only `run`: the calls to its generated client.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"
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
		RequestTimeoutS  *float64 `json:"request_timeout_s"`
		DeadlineS        *float64 `json:"deadline_s"`
		WaitTimeoutS     *float64 `json:"wait_timeout_s"`
		PollIntervalS    *float64 `json:"poll_interval_s"`
		MaxDownloadBytes *int64   `json:"max_download_bytes"`
	} `json:"sdk"`
}

var surfaced = []string{}

// glue is an error the adapter's glue raises itself, with its protocol-2 kind.
type glue struct{ kind, message string }

func (g *glue) Error() string { return g.message }

func fail(kind, format string, args ...interface{}) error {
	return &glue{kind, fmt.Sprintf(format, args...)}
}

func statusKind(status int) string {
	switch {
	case status == 401 || status == 403:
		return "auth"
	case status == 429:
		return "rate_limited"
	case status >= 500:
		return "server"
	case status >= 300 && status < 400:
		return "redirect"
	case status >= 400:
		return "rejected"
	}
	return "malformed_response"
}

// kindOf is the protocol-2 kind of what the generated client (or the glue) returned.
func kindOf(err error) string {
	var g *glue
	var timeout interface{ Timeout() bool }
	var syntax *json.SyntaxError
	var typed *json.UnmarshalTypeError
	switch {
	case errors.As(err, &g):
		return g.kind
	case errors.As(err, &timeout) && timeout.Timeout(), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.As(err, &syntax), errors.As(err, &typed):
		return "malformed_response"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection"
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return "connection"
	}
	return "other"
}

func rejected(what string, code int, message string) error {
	if code == 401 {
		return fail("auth", "%s rejected: code %d: %s", what, code, message)
	}
	return fail("rejected", "%s rejected: code %d: %s", what, code, message)
}

func surface(value interface{}) {
	if text, err := json.Marshal(value); err == nil {
		surfaced = append(surfaced, string(text))
	}
}

func download(httpClient *http.Client, url string, r request) error {
	answer, err := httpClient.Get(url) // no token: the image is on another host; redirects followed
	if err != nil {
		return err
	}
	defer answer.Body.Close()
	if answer.StatusCode != http.StatusOK {
		return fail("download", "image: HTTP %d", answer.StatusCode)
	}
	data, err := io.ReadAll(answer.Body)
	if err != nil {
		return err
	}
	if r.SDK.MaxDownloadBytes != nil && int64(len(data)) > *r.SDK.MaxDownloadBytes {
		return fail("download", "image: more than %d bytes", *r.SDK.MaxDownloadBytes)
	}
	return os.WriteFile(r.OutputPath, data, 0o644)
}

// settle reads the sub-tasks' statuses as the provider's rule says: an outcome, or "" to poll on.
func settle(taskID string, statuses []int, wait time.Duration, started time.Time) (string, error) {
	done, unknown := len(statuses) > 0, len(statuses) > 0
	for _, status := range statuses {
		switch status {
		case 4:
			surfaced = append(surfaced, "task "+taskID+" refused by the safety review")
			return "refused", nil
		case 3:
			surfaced = append(surfaced, "task "+taskID+" failed")
			return "failed", nil
		}
		done = done && status == 1
		unknown = unknown && status != 1 && !transient(status)
	}
	if done {
		return "succeeded", nil
	}
	if unknown {
		return "", fail("other", "task %s: unknown final status %v", taskID, statuses)
	}
	if time.Since(started) > wait {
		surfaced = append(surfaced, "task "+taskID+": not final in time")
		return "timeout", nil
	}
	return "", nil
}

func seconds(value *float64, otherwise float64) time.Duration {
	if value == nil {
		return time.Duration(otherwise * float64(time.Second))
	}
	return time.Duration(*value * float64(time.Second))
}

func transient(status int) bool {
	return status == 0 || status == 2 || (status >= -5 && status <= -1)
}

func httpClientFor(r request) *http.Client {
	httpClient := &http.Client{}
	for _, limit := range []*float64{r.SDK.RequestTimeoutS, r.SDK.DeadlineS} {
		if limit != nil && (httpClient.Timeout == 0 || seconds(limit, 0) < httpClient.Timeout) {
			httpClient.Timeout = seconds(limit, 0)
		}
	}
	return httpClient
}

func main() {
	started := time.Now()
	raw, _ := io.ReadAll(os.Stdin)
	var r request
	outcome, errorKind, errorType := "error", interface{}(nil), interface{}(nil)
	err := json.Unmarshal(raw, &r)
	if err == nil {
		outcome, err = run(r)
	}
	if err != nil {
		surfaced = append(surfaced, err.Error())
		kind := kindOf(err)
		errorKind, errorType = kind, fmt.Sprintf("%T", err)
		outcome = "error"
		if kind == "timeout" {
			outcome = "timeout"
		}
	}
	observation, _ := json.Marshal(map[string]interface{}{
		"outcome": outcome, "error_kind": errorKind, "error_type": errorType, "surfaced": surfaced,
		"seconds": time.Since(started).Seconds(),
	})
	fmt.Println(string(observation))
}
