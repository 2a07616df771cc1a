package infra

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// scheduleCase is one row of testdata/schedules.json: a SECRET_TTL and the
// ROTATION_SCHEDULE both terraform and `handler schedule --ttl` give for it.
type scheduleCase struct {
	TTL      int64  `json:"ttl"`
	Schedule string `json:"schedule"`
}

func loadScheduleCases(t testing.TB) []scheduleCase {
	t.Helper()
	src, err := os.ReadFile("testdata/schedules.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []scheduleCase
	if err := json.Unmarshal(src, &cases); err != nil {
		t.Fatalf("testdata/schedules.json: %v", err)
	}
	if len(cases) == 0 {
		t.Fatal("testdata/schedules.json is empty")
	}
	return cases
}

// scheduleLocals parses the locals of the functions module's schedule.tf.
func scheduleLocals(t testing.TB) map[string]hclsyntax.Expression {
	t.Helper()
	path := terraformDir + "/modules/functions/schedule.tf"
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags.Error())
	}
	locals := map[string]hclsyntax.Expression{}
	for _, b := range f.Body.(*hclsyntax.Body).Blocks {
		if b.Type != "locals" {
			continue
		}
		for name, a := range b.Body.Attributes {
			locals[name] = a.Expr
		}
	}
	if _, ok := locals["rotation_schedule"]; !ok {
		t.Fatalf("%s defines no local.rotation_schedule", path)
	}
	return locals
}

// terraformFunctions are the terraform functions schedule.tf may use, with
// go-cty's implementations (terraform's own are the same stdlib functions).
var terraformFunctions = map[string]function.Function{
	"floor":  stdlib.FloorFunc,
	"ceil":   stdlib.CeilFunc,
	"max":    stdlib.MaxFunc,
	"min":    stdlib.MinFunc,
	"format": stdlib.FormatFunc,
}

// evalSchedule evaluates the schedule locals for ttl, resolving locals that
// refer to other locals in dependency order.
func evalSchedule(locals map[string]hclsyntax.Expression, ttl int64) (string, error) {
	done := map[string]cty.Value{}
	for len(done) < len(locals) {
		progress := false
		for name, expr := range locals {
			if _, ok := done[name]; ok {
				continue
			}
			ready := true
			for _, tr := range expr.Variables() {
				if tr.RootName() != "local" {
					continue
				}
				if step, ok := tr[1].(hcl.TraverseAttr); ok {
					if _, ok := done[step.Name]; !ok {
						ready = false
					}
				}
			}
			if !ready {
				continue
			}
			ctx := &hcl.EvalContext{
				Variables: map[string]cty.Value{
					"var":   cty.ObjectVal(map[string]cty.Value{"secret_ttl": cty.NumberIntVal(ttl)}),
					"local": cty.ObjectVal(done),
				},
				Functions: terraformFunctions,
			}
			v, diags := expr.Value(ctx)
			if diags.HasErrors() {
				return "", fmt.Errorf("local.%s: %s", name, diags.Error())
			}
			done[name] = v
			progress = true
		}
		if !progress {
			return "", fmt.Errorf("locals refer to each other in a cycle or to unknown locals")
		}
	}
	v := done["rotation_schedule"]
	if v.Type() != cty.String {
		return "", fmt.Errorf("local.rotation_schedule is %s, want string", v.Type().FriendlyName())
	}
	return v.AsString(), nil
}

// TestRotationScheduleTerraform evaluates the HCL that computes
// ROTATION_SCHEDULE for a table of TTLs shared with the handler's own tests.
func TestRotationScheduleTerraform(t *testing.T) {
	locals := scheduleLocals(t)
	for _, tc := range loadScheduleCases(t) {
		t.Run(fmt.Sprint(tc.TTL), func(t *testing.T) {
			got, err := evalSchedule(locals, tc.TTL)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.Schedule {
				t.Errorf("ttl %d: schedule %q, want %q", tc.TTL, got, tc.Schedule)
			}
			if n := len(strings.Fields(got)); n != 6 {
				t.Errorf("schedule %q has %d fields, NCRONTAB needs 6", got, n)
			}
		})
	}
}

// TestRotationScheduleRule checks the table itself against the rule in
// words (80 % of the TTL, at least a minute, rounded down to an even period),
// so a wrong row cannot pass by matching a wrong implementation.
func TestRotationScheduleRule(t *testing.T) {
	for _, tc := range loadScheduleCases(t) {
		t.Run(fmt.Sprint(tc.TTL), func(t *testing.T) {
			period, err := schedulePeriod(tc.Schedule)
			if err != nil {
				t.Fatal(err)
			}
			interval := max(tc.TTL*4/5, 60)
			if period > interval && period != 60 {
				t.Errorf("period %ds is longer than 80 %% of the TTL (%ds)", period, interval)
			}
			// No longer even period may fit: the rule picks the largest.
			for _, p := range []int64{60, 120, 180, 240, 300, 360, 600, 720, 900, 1200, 1800, 3600, 7200, 10800, 14400, 21600, 28800, 43200, 86400} {
				if p > period && p <= interval {
					t.Errorf("period %ds, but %ds also fits in %ds", period, p, interval)
					break
				}
			}
		})
	}
}

// schedulePeriod returns the period in seconds of an expression of the three
// forms the rule emits.
func schedulePeriod(expr string) (int64, error) {
	var n int64
	if _, err := fmt.Sscanf(expr, "0 */%d * * * *", &n); err == nil && expr == fmt.Sprintf("0 */%d * * * *", n) {
		return n * 60, nil
	}
	if _, err := fmt.Sscanf(expr, "0 0 */%d * * *", &n); err == nil && expr == fmt.Sprintf("0 0 */%d * * *", n) {
		return n * 3600, nil
	}
	if expr == "0 0 0 * * *" {
		return 86400, nil
	}
	return 0, fmt.Errorf("unexpected schedule form %q", expr)
}
