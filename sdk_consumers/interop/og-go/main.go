// Interop driver for openapi-generator's go client: offline, the generated models read each body (the
// one the spec gives its status); online, the generated API calls the Prism mock.
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
	ID      string  `json:"id"`
	Status  int     `json:"status"`
	Example *string `json:"example"`
	Body    string  `json:"body"`
}

type input struct {
	Request json.RawMessage `json:"request"`
	Token   string          `json:"token"`
	Cases   []testCase      `json:"cases"`
}

type answer map[string]interface{}

func task(result client.NullableUpscaleTask) answer {
	t := result.Get()
	if !result.IsSet() || t == nil || t.TaskId == nil || t.SubTaskIds == nil {
		return answer{"kind": "failed", "detail": "code 0 without a task in result"}
	}
	return answer{"kind": "task", "task_id": *t.TaskId, "sub_task_ids": t.SubTaskIds}
}

func readOutcome(o *client.SubmitUpscaleTaskOutcome) answer {
	if o.Code == 0 {
		return task(o.Result)
	}
	return answer{"kind": "error", "code": o.Code, "message": o.Message}
}

func offline(c testCase) (answer, error) {
	if c.Status == 200 {
		var o client.SubmitUpscaleTaskOutcome
		if err := json.Unmarshal([]byte(c.Body), &o); err != nil {
			return nil, err
		}
		return readOutcome(&o), nil
	}
	var e client.ErrorEnvelope
	if err := json.Unmarshal([]byte(c.Body), &e); err != nil {
		return nil, err
	}
	return answer{"kind": "error", "code": e.Code, "message": e.Message}, nil
}

func online(c testCase, in input, baseURL string) (answer, error) {
	var request client.UpscaleRequest
	if err := json.Unmarshal(in.Request, &request); err != nil {
		return nil, err
	}
	cfg := client.NewConfiguration()
	cfg.Servers = client.ServerConfigurations{{URL: baseURL}}
	cfg.AddDefaultHeader("Prefer", fmt.Sprintf("code=%d, example=%s", c.Status, *c.Example))
	api := client.NewAPIClient(cfg)
	ctx := context.WithValue(context.Background(), client.ContextAccessToken, in.Token)
	outcome, _, err := api.UpscaleAPI.SubmitUpscaleTask(ctx).UpscaleRequest(request).Execute()
	if err != nil {
		var apiErr *client.GenericOpenAPIError
		if errors.As(err, &apiErr) {
			if e, ok := apiErr.Model().(client.ErrorEnvelope); ok {
				return answer{"kind": "error", "code": e.Code, "message": e.Message}, nil
			}
		}
		return nil, err
	}
	return readOutcome(outcome), nil
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
