// Interop driver for openapi-generator's go client: offline, the generated models read each body (the
// one the spec gives its status) and write `result` back with their own MarshalJSON; online, the
// generated API calls the Prism mock.
//
//	driver CASES_JSON [BASE_URL]   prints one answer per case as a JSON list
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"

	client "example.com/hidream/client"
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

func rejection(code int32, message string) answer {
	return answer{"kind": "error", "code": code, "message": message}
}

// ok writes the decoded result back with the generated MarshalJSON, as a JSON value.
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
	if !o.Result.IsSet() || o.Result.Get() == nil {
		return noResult()
	}
	return ok(o.Result.Get())
}

func readResult(o *client.GetUpscaleTaskResultOutcome) (answer, error) {
	if o.Code != 0 {
		return rejection(o.Code, o.Message), nil
	}
	if !o.Result.IsSet() || o.Result.Get() == nil {
		return noResult()
	}
	return ok(o.Result.Get())
}

func offline(c testCase) (answer, error) {
	body := []byte(c.Body)
	if c.Status < 200 || c.Status >= 300 {
		var e client.ErrorEnvelope
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, err
		}
		return rejection(e.Code, e.Message), nil
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

func online(c testCase, in input, baseURL string) (answer, error) {
	cfg := client.NewConfiguration()
	cfg.Servers = client.ServerConfigurations{{URL: baseURL}}
	cfg.AddDefaultHeader("Prefer", fmt.Sprintf("code=%d, example=%s", c.Status, *c.Example))
	api := client.NewAPIClient(cfg)
	ctx := context.WithValue(context.Background(), client.ContextAccessToken, in.Token)
	op := in.Operations[c.Operation]
	var a answer
	var err error
	switch c.Operation {
	case "submitUpscaleTask":
		var request client.UpscaleRequest
		if err := json.Unmarshal(op.Body, &request); err != nil {
			return nil, err
		}
		var o *client.SubmitUpscaleTaskOutcome
		if o, _, err = api.UpscaleAPI.SubmitUpscaleTask(ctx).UpscaleRequest(request).Execute(); err == nil {
			a, err = readSubmit(o)
		}
	case "getUpscaleTaskResult":
		var o *client.GetUpscaleTaskResultOutcome
		if o, _, err = api.UpscaleAPI.GetUpscaleTaskResult(ctx).TaskId(op.Query["task_id"]).Execute(); err == nil {
			a, err = readResult(o)
		}
	default:
		return nil, fmt.Errorf("no driver code for %s", c.Operation)
	}
	if err != nil {
		var apiErr *client.GenericOpenAPIError
		if errors.As(err, &apiErr) {
			if e, isEnvelope := apiErr.Model().(client.ErrorEnvelope); isEnvelope {
				return rejection(e.Code, e.Message), nil
			}
		}
		return nil, err
	}
	return a, nil
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
