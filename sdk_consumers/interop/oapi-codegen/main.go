// Interop driver for oapi-codegen's Go client, generated from the spec's OpenAPI 3.0 rendition (oapi-codegen
// reads only 3.0): offline, the generated types read each body with encoding/json, as the generated
// Parse*Response functions do, and write `result` back; online, the generated ClientWithResponses calls
// the Prism mock.
//
//	driver CASES_JSON [BASE_URL]   prints one answer per case as a JSON list
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"

	client "interopdriver/client"
)

type testCase struct {
	ID        string  `json:"id"`
	Operation string  `json:"operation"`
	Status    int     `json:"status"`
	Example   *string `json:"example"`
	Body      string  `json:"body"`
}

type call struct {
	Body  json.RawMessage   `json:"body"`
	Query map[string]string `json:"query"`
}

type input struct {
	Operations map[string]call `json:"operations"`
	Token      string          `json:"token"`
	Cases      []testCase      `json:"cases"`
}

type answer map[string]interface{}

func rejection(code int, message string) answer {
	return answer{"kind": "error", "code": code, "message": message}
}

// ok writes the decoded result back with encoding/json and the generated tags, as a JSON value.
func ok(result interface{}) (answer, error) {
	raw, err := json.Marshal(result)
	if err != nil {
		return nil, err
	}
	var value interface{}
	if err := json.Unmarshal(raw, &value); err != nil {
		return nil, err
	}
	return answer{"kind": "ok", "result": value}, nil
}

func noResult() (answer, error) {
	return answer{"kind": "failed", "detail": "code 0 without a result"}, nil
}

func readSubmit(o *client.SubmitUpscaleTaskOutcome) (answer, error) {
	if o.Code != 0 {
		return rejection(o.Code, o.Message), nil
	}
	if o.Result == nil {
		return noResult()
	}
	return ok(o.Result)
}

func readResult(o *client.GetUpscaleTaskResultOutcome) (answer, error) {
	if o.Code != 0 {
		return rejection(o.Code, o.Message), nil
	}
	if o.Result == nil {
		return noResult()
	}
	return ok(o.Result)
}

func readError(e *client.ErrorEnvelope) (answer, error) {
	return rejection(e.Code, e.Message), nil
}

func offline(c testCase) (answer, error) {
	body := []byte(c.Body)
	if c.Status < 200 || c.Status >= 300 {
		var e client.ErrorEnvelope
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, err
		}
		return readError(&e)
	}
	switch c.Operation {
	case "submitUpscaleTask":
		var o client.SubmitUpscaleTaskOutcome
		if err := json.Unmarshal(body, &o); err != nil {
			return nil, err
		}
		return readSubmit(&o)
	case "getUpscaleTaskResult":
		var o client.GetUpscaleTaskResultOutcome
		if err := json.Unmarshal(body, &o); err != nil {
			return nil, err
		}
		return readResult(&o)
	}
	return nil, fmt.Errorf("no driver code for %s", c.Operation)
}

// envelopes picks the body the generated response struct parsed for the status.
func envelopes(status int, json200 func() (answer, error), errs ...*client.ErrorEnvelope) (answer, error) {
	if status == http.StatusOK {
		return json200()
	}
	for _, e := range errs {
		if e != nil {
			return readError(e)
		}
	}
	return nil, fmt.Errorf("HTTP %d: no body the generated client parsed", status)
}

func online(c testCase, in input, baseURL string) (answer, error) {
	prefer := fmt.Sprintf("code=%d, example=%s", c.Status, *c.Example)
	api, err := client.NewClientWithResponses(baseURL, client.WithRequestEditorFn(
		func(ctx context.Context, req *http.Request) error {
			req.Header.Set("Authorization", "Bearer "+in.Token)
			req.Header.Set("Prefer", prefer)
			return nil
		}))
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	op := in.Operations[c.Operation]
	switch c.Operation {
	case "submitUpscaleTask":
		var request client.UpscaleRequest
		if err := json.Unmarshal(op.Body, &request); err != nil {
			return nil, err
		}
		r, err := api.SubmitUpscaleTaskWithResponse(ctx, &client.SubmitUpscaleTaskParams{}, request)
		if err != nil {
			return nil, err
		}
		if r.StatusCode() == http.StatusOK && r.JSON200 == nil {
			return nil, fmt.Errorf("HTTP 200 without a parsed body")
		}
		return envelopes(r.StatusCode(), func() (answer, error) { return readSubmit(r.JSON200) }, r.JSON400, r.JSON401, r.JSON403)
	case "getUpscaleTaskResult":
		params := client.GetUpscaleTaskResultParams{TaskId: op.Query["task_id"]}
		r, err := api.GetUpscaleTaskResultWithResponse(ctx, &params)
		if err != nil {
			return nil, err
		}
		if r.StatusCode() == http.StatusOK && r.JSON200 == nil {
			return nil, fmt.Errorf("HTTP 200 without a parsed body")
		}
		return envelopes(r.StatusCode(), func() (answer, error) { return readResult(r.JSON200) }, r.JSON400, r.JSON401, r.JSON403)
	}
	return nil, fmt.Errorf("no driver code for %s", c.Operation)
}

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		panic(err)
	}
	var in input
	if err := json.Unmarshal(raw, &in); err != nil {
		panic(err)
	}
	answers := []answer{}
	for _, c := range in.Cases {
		var a answer
		var err error
		if len(os.Args) > 2 {
			if c.Example == nil {
				continue
			}
			a, err = online(c, in, os.Args[2])
		} else {
			a, err = offline(c)
		}
		if err != nil {
			a = answer{"kind": "failed", "detail": err.Error()}
		}
		a["id"] = c.ID
		answers = append(answers, a)
	}
	out, _ := json.Marshal(answers)
	fmt.Print(string(out))
}
