// kstatus-check: computes kstatus (sigs.k8s.io/cli-utils/pkg/kstatus) for objects read as a JSON array on
// stdin and prints one JSON answer per object, in order: {"name", "status", "message"}. The tests use it to
// read Schedules the real operator produced the way Flux, kpt and cli-utils read them.
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

type answer struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Message string `json:"message"`
	Error   string `json:"error,omitempty"`
}

func main() {
	var objects []json.RawMessage
	if err := json.NewDecoder(os.Stdin).Decode(&objects); err != nil {
		fmt.Fprintf(os.Stderr, "kstatus-check: stdin must be a JSON array of objects: %v\n", err)
		os.Exit(2)
	}
	answers := make([]answer, 0, len(objects))
	for _, o := range objects {
		// UnmarshalJSON decodes numbers as Kubernetes does (int64), which kstatus' accessors expect.
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(o); err != nil {
			answers = append(answers, answer{Error: err.Error()})
			continue
		}
		a := answer{Name: u.GetName()}
		res, err := status.Compute(u)
		if err != nil {
			a.Error = err.Error()
		} else {
			a.Status = res.Status.String()
			a.Message = res.Message
		}
		answers = append(answers, a)
	}
	if err := json.NewEncoder(os.Stdout).Encode(answers); err != nil {
		fmt.Fprintf(os.Stderr, "kstatus-check: %v\n", err)
		os.Exit(1)
	}
}
