// cron-oracle answers scheduling questions exactly as Kubernetes does, so the TypeScript
// implementation in src/schedule can be compared with it case by case (test/unit/schedule/oracle.ts).
//
// It reads one JSON array of requests on stdin and writes one JSON array of answers, in order:
//
//	{"kind":"next","expr":"0 2 * * *","zone":"Europe/Berlin","from":"2024-03-30T00:00:00Z","count":5}
//	    -> {"runs":["2024-04-01T00:00:00Z",...]} the CronJob controller's slots: robfig/cron v3
//	       ParseStandard("TZ=<zone> <expr>") and Schedule.Next repeated (cronjob_controllerv2.go formatSchedule)
//	{"kind":"parse","expr":"0 0 * * 7"}
//	    -> {"ok":false,"error":"..."} kube-apiserver's validateScheduleFormat for a new CronJob:
//	       ParseStandard with panic recovery, and no "TZ" anywhere in the schedule
//	{"kind":"zone","zone":"europe/berlin"}
//	    -> {"ok":false,"error":"..."} kube-apiserver's validateTimeZone (this binary embeds time/tzdata,
//	       as kube-apiserver and kube-controller-manager do)
//	{"kind":"zones"} -> {"zones":[...]} every name in Go's embedded time zone database
package main

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"
	_ "time/tzdata"

	"github.com/robfig/cron/v3"
)

type request struct {
	Kind  string `json:"kind"`
	Expr  string `json:"expr"`
	Zone  string `json:"zone"`
	From  string `json:"from"`
	Count int    `json:"count"`
}

type answer struct {
	OK    *bool    `json:"ok,omitempty"`
	Error string   `json:"error,omitempty"`
	Runs  []string `json:"runs,omitempty"`
	Zones []string `json:"zones,omitempty"`
}

func main() {
	var reqs []request
	if err := json.NewDecoder(os.Stdin).Decode(&reqs); err != nil {
		fmt.Fprintln(os.Stderr, "cron-oracle: reading requests:", err)
		os.Exit(2)
	}
	out := make([]answer, len(reqs))
	for i, r := range reqs {
		out[i] = handle(r)
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "cron-oracle:", err)
		os.Exit(1)
	}
}

func handle(r request) answer {
	switch r.Kind {
	case "next":
		return next(r)
	case "parse":
		return verdict(validateScheduleFormat(r.Expr))
	case "zone":
		return verdict(validateTimeZone(r.Zone))
	case "zones":
		return zones()
	}
	return answer{Error: "unknown kind " + r.Kind}
}

func verdict(err error) answer {
	ok := err == nil
	a := answer{OK: &ok}
	if err != nil {
		a.Error = err.Error()
	}
	return a
}

// parseWithPanicRecovery is k8s.io/kubernetes/pkg/util/parsers.ParseCronScheduleWithPanicRecovery.
func parseWithPanicRecovery(schedule string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched = nil
			err = fmt.Errorf("invalid schedule format: %v", r)
		}
	}()
	return cron.ParseStandard(schedule)
}

// validateScheduleFormat mirrors pkg/apis/batch/validation for a new CronJob (allowTZInSchedule=false).
func validateScheduleFormat(schedule string) error {
	var msgs []string
	if schedule == "" {
		return fmt.Errorf("Required value")
	}
	if _, err := parseWithPanicRecovery(schedule); err != nil {
		msgs = append(msgs, err.Error())
	}
	if strings.Contains(schedule, "TZ") {
		msgs = append(msgs, "cannot use TZ or CRON_TZ in schedule, use timeZone field instead")
	}
	if len(msgs) > 0 {
		return fmt.Errorf("%s", strings.Join(msgs, "; "))
	}
	return nil
}

var validTimeZoneCharacters = regexp.MustCompile(`^[A-Za-z\.\-_0-9+]{1,14}$`)

// validateTimeZone mirrors pkg/apis/batch/validation.validateTimeZone for a set timeZone.
func validateTimeZone(tz string) error {
	if len(tz) == 0 {
		return fmt.Errorf("timeZone must be nil or non-empty string")
	}
	for _, part := range strings.Split(tz, "/") {
		if part == "." || part == ".." || strings.HasPrefix(part, "-") || !validTimeZoneCharacters.MatchString(part) {
			return fmt.Errorf("unknown time zone %s", tz)
		}
	}
	if strings.EqualFold(tz, "Local") {
		return fmt.Errorf("timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones")
	}
	if _, err := time.LoadLocation(tz); err != nil {
		return err
	}
	return nil
}

// next lists the slots the CronJob controller starts: formatSchedule prefixes TZ=<zone>.
func next(r request) answer {
	sched, err := parseWithPanicRecovery("TZ=" + r.Zone + " " + r.Expr)
	if err != nil {
		return answer{Error: err.Error()}
	}
	t, err := time.Parse(time.RFC3339Nano, r.From)
	if err != nil {
		return answer{Error: err.Error()}
	}
	runs := []string{}
	for i := 0; i < r.Count; i++ {
		t = sched.Next(t)
		if t.IsZero() {
			break
		}
		runs = append(runs, t.UTC().Format(time.RFC3339))
	}
	return answer{Runs: runs}
}

func zones() answer {
	z, err := zip.OpenReader(filepath.Join(runtime.GOROOT(), "lib", "time", "zoneinfo.zip"))
	if err != nil {
		return answer{Error: err.Error()}
	}
	defer z.Close()
	var names []string
	for _, f := range z.File {
		if !strings.HasSuffix(f.Name, "/") {
			names = append(names, f.Name)
		}
	}
	sort.Strings(names)
	return answer{Zones: names}
}
